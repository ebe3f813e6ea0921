"""FastAPI dependencies: who is asking, and may they."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import utcnow
from bot.database import Database
from bot.staff import permissions, service
from bot.staff.models import StaffMember, StaffSession

SESSION_COOKIE = "indgang_session"


def get_db(request: Request) -> Database:
    """The app's database."""
    db: Database = request.app.state.db
    return db


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent."""
    async with get_db(request).session() as session:
        yield session


# scope="function": commit when the handler returns, so the next request sees the change.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def request_token(request: Request) -> tuple[str | None, bool]:
    """The staff session token, and whether it came as a Bearer header (not a cookie)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None, True
    return request.cookies.get(SESSION_COOKIE), False


async def current_login(request: Request, session: SessionDep) -> tuple[StaffSession, StaffMember]:
    """The signed-in staff member and session, or 401; cookie writes need the CSRF header."""
    token, bearer = request_token(request)
    found = await service.session_for_token(session, token=token, now=utcnow()) if token else None
    if found is None:
        raise HTTPException(
            status_code=401, detail="Sign in first.", headers={"WWW-Authenticate": "Bearer"}
        )
    permissions.require(request, found[1].role)
    if not bearer and request.method not in SAFE_METHODS:
        # The browser sends the cookie by itself; only our own pages know the session's token.
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent.encode(), found[0].csrf_token.encode()):
            raise HTTPException(status_code=403, detail="Missing or wrong CSRF token.")
    return found


async def current_staff(
    login: Annotated[tuple[StaffSession, StaffMember], Depends(current_login)],
) -> StaffMember:
    """The signed-in staff member, or 401."""
    return login[1]


CurrentStaff = Annotated[StaffMember, Depends(current_staff)]
