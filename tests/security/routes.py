"""The app's routes as tests find them: discovered from the app itself, so a route added
later is checked without anyone remembering to add it to a list; with valid bodies, so that
a refusal cannot hide behind a validation error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

# Valid bodies, so that a refusal cannot hide behind a validation error.
FORMS: dict[str, dict[str, str]] = {
    "/assign": {"to": "0"},
    "/reply": {"text": "Hej"},
    "/note": {"text": "note"},
    "/plan/goal": {"goal": "Noget andet"},
    "/plan/milestones": {"title": "Nyt"},
    "/plan/milestones/{milestone_id}": {"status": "done"},
    "/plan/appointments": {"starts_at": "2026-03-10T10:00", "place": "Her"},
    "/plan/appointments/{appointment_id}": {"starts_at": "2026-03-12T10:00", "place": "Der"},
    "/checkins": {"cadence_days": "3"},
}
JSON: dict[str, dict[str, Any]] = {
    "/plan/goal": {"goal": "Noget andet"},
    "/plan/milestones": {"title": "Nyt"},
    "/plan/milestones/{milestone_id}": {"status": "done"},
    "/plan/appointments": {"starts_at": "2026-03-10T10:00:00+01:00", "place": "Her"},
    "/plan/appointments/{appointment_id}": {"place": "Et andet sted"},
    "/checkins/schedule": {"cadence_days": 3},
}


def walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI keeps included routers as wrappers
            context = getattr(route, "include_context", None)
            yield from walk(included.routes, prefix + (getattr(context, "prefix", "") or ""))
        else:
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD":
                    yield method, prefix + getattr(route, "path", "")


def person_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every route about one young person."""
    return sorted({r for r in walk(app.routes) if "{person_id}" in r[1]})


async def call_person_route(
    staff: Any, method: str, template: str, path: str, bearer: dict[str, str]
) -> int:
    """Call one person route as the staff member would: the API with their Bearer token and a
    valid JSON body, pages by GET, forms with the CSRF token and a valid form; the status."""
    tail = template.split("{person_id}", 1)[1]
    if template.startswith("/api/"):
        body = JSON.get(tail) if method != "GET" else None
        answer = await staff.request(method, path, headers=bearer, json=body)
    elif method == "GET":
        answer = await staff.get(path)
    else:
        answer = await staff.form(path, FORMS.get(tail, {}))
    return int(answer.status_code)
