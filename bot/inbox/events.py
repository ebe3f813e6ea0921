"""Live updates for the inbox: a server-sent event whenever the queue or a conversation changes.

On PostgreSQL each connection looks at the database when a notification says that a message
or a handoff changed, in whichever process (bot/signals.py), and at least every ten seconds;
on SQLite it polls about once a second with a cheap query.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from bot.clock import utcnow
from bot.inbox import service
from bot.inbox.login import find_login
from bot.signals import Changes
from bot.staff.deps import get_db

POLL_SECONDS = 1.0
# Without a change, look again this often anyway (a session may expire) and keep the
# connection alive through proxies.
QUIET_SECONDS = 10.0
# EventSource reconnects by itself; short streams keep shutdowns and logouts quick.
STREAM_SECONDS = 60.0

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)


@router.get("/events")
async def events(
    request: Request, person: int | None = None, mark: str | None = None
) -> StreamingResponse:
    """`changed` events with the waiting count; `person` also watches that conversation.

    `mark` is the fingerprint the page was rendered with, so a change between rendering
    and connecting is not missed.
    """
    db = get_db(request)
    # On PostgreSQL a notification from whichever process changed a message or a handoff
    # (bot/signals.py) says when to look again; SQLite is looked at every second.
    changes: Changes | None = request.app.state.inbox_changes if db.dialect != "sqlite" else None
    async with db.session() as session:
        login = await find_login(request, session)
        if login is None:
            raise HTTPException(status_code=401, detail="Sign in first.")
        if person is not None:
            try:
                await service.person_for(session, login, person)
            except service.NotFound:
                raise HTTPException(status_code=404, detail="Not Found") from None

    async def poll(last: str | None) -> tuple[str | None, int]:
        async with db.session() as session:
            current = await find_login(request, session)
            if current is None:
                return None, 0
            found = await service.fingerprint(session, current, person)
            if found == last:
                return found, 0  # unchanged: the count is not sent, so not counted
            return found, await service.waiting_count(session, current, now=utcnow())

    async def stream() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        last = mark
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_SECONDS
        while loop.time() < ends and not await request.is_disconnected():
            # Shielded: a disconnect cancels this generator, and a database call cancelled
            # half-way could leave a connection holding SQLite's write lock.
            current_mark, waiting = await asyncio.shield(poll(last))
            if current_mark is None:  # signed out or expired: stop at once
                yield "event: signed-out\ndata: {}\n\n"
                return
            if current_mark != last:
                if last is not None:
                    yield f"event: changed\ndata: {json.dumps({'waiting': waiting})}\n\n"
                last = current_mark
            if changes is None:
                await asyncio.sleep(POLL_SECONDS)
            elif not await _next_change(changes, request, loop.time() + QUIET_SECONDS):
                yield ": keep-alive\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _next_change(changes: Changes, request: Request, until: float) -> bool:
    """Wait for a change until the loop's clock reads `until`; whether one came. Looks each
    second whether the page went away, so a closed tab does not hold its stream open."""
    loop = asyncio.get_running_loop()
    while (left := until - loop.time()) > 0:
        if await changes.wait(min(POLL_SECONDS, left)):
            return True
        if await request.is_disconnected():
            return False
    return False
