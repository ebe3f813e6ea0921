"""Bounds at the web app's edge, checked before any query runs: an id in a path must fit the
database's integer columns (PostgreSQL's INTEGER is 32 bits), or the row cannot exist."""

from __future__ import annotations

from fastapi import HTTPException, Request

ID_MAX = 2**31 - 1


async def ids_in_range(request: Request) -> None:
    """404 for a path id (`person_id`, `milestone_id`, …) that no row can have.

    Applied to every route by the app; a value that is not a number is left to the route's
    own validation (422).
    """
    for name, value in request.path_params.items():
        if not name.endswith("_id") or not isinstance(value, str):
            continue
        digits = value.removeprefix("-")
        if digits.isdigit() and not 0 < int(value) <= ID_MAX:
            raise HTTPException(status_code=404, detail="Not Found")
