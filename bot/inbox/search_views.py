"""The inbox's search page: young people by name and messages by a word, in two lists."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.clock import utcnow
from bot.inbox import search
from bot.inbox import service as inbox
from bot.inbox.login import InboxSession, PageLogin
from bot.inbox.pages import render

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)


@router.get("/search")
async def search_page(
    request: Request, session: InboxSession, login: PageLogin, q: str | None = None
) -> Response:
    """The search form and, for a usable query, what it found; shown messages are audited."""
    query = search.clean(q)
    # Opened from the menu (no query yet): just the form. Sent empty or too short: say why.
    problem = search.problem(query) if q is not None else None
    results = None
    if q is not None and problem is None:
        results = await search.search(session, login, query, now=utcnow())
    return render(
        request,
        "search.html",
        {
            # A CPR number is not shown back in the field (the screen may be shared).
            "query": "" if problem == search.NO_CPR else query,
            "problem": problem,
            "results": results,
            # Staff by id, former staff too: who wrote a message, who is a contact person.
            "names": await inbox.staff_names(session, login) if results else {},
            "limit": search.LIMIT,
            "min_length": search.MIN_LENGTH,
            "max_length": search.MAX_LENGTH,
        },
        login=login,
    )
