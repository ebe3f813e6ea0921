"""Who is signed in to the inbox: the `Login`, and the dependencies that demand one.

Pages redirect to the sign-in page, fragments and API calls answer 401, and forms must also
carry the session's CSRF token.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import utcnow
from bot.municipalities.models import Municipality
from bot.staff import permissions
from bot.staff import service as staff_service
from bot.staff.deps import CSRF_HEADER, SessionDep, request_token
from bot.staff.models import StaffMember, StaffSession

CSRF_FIELD = "csrf_token"

InboxSession = SessionDep


@dataclass
class Login:
    """The signed-in staff member, their session and municipality."""

    staff: StaffMember
    row: StaffSession
    municipality: Municipality
    via_bearer: bool

    @property
    def is_lead(self) -> bool:
        """Team leads and admins see the whole municipality."""
        return self.staff.role in ("team_lead", "admin")


async def find_login(request: Request, session: AsyncSession) -> Login | None:
    """The signed-in staff member (session cookie or Bearer token), or None; 403 when their
    role may not use this route (bot/staff/permissions.py)."""
    token, bearer = request_token(request)
    if not token:
        return None
    found = await staff_service.session_for_token(session, token=token, now=utcnow())
    if found is None:
        return None
    row, staff = found
    permissions.require(request, staff.role)
    municipality = await session.get(Municipality, staff.municipality_id)
    assert municipality is not None
    return Login(staff=staff, row=row, municipality=municipality, via_bearer=bearer)


async def page_login(request: Request, session: InboxSession) -> Login:
    """The signed-in staff member for a page; otherwise a redirect to the sign-in page."""
    return await _required(request, session, 303, {"Location": "/inbox/login"})


async def api_login(request: Request, session: InboxSession) -> Login:
    """The signed-in staff member for a fragment or API call; otherwise 401."""
    return await _required(request, session, 401, {"WWW-Authenticate": "Bearer"})


async def _required(
    request: Request, session: AsyncSession, status: int, headers: dict[str, str]
) -> Login:
    login = await find_login(request, session)
    if login is None:
        raise HTTPException(status_code=status, detail="Sign in first.", headers=headers)
    return login


async def checked_login(request: Request, session: InboxSession) -> Login:
    """A signed-in staff member whose form carries the session's CSRF token; else 403."""
    login = await api_login(request, session)
    if login.via_bearer:
        return login  # no ambient credentials: a cross-site page cannot send this header
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), login.row.csrf_token.encode()):
        raise HTTPException(status_code=403, detail="Missing or wrong CSRF token.")
    return login


PageLogin = Annotated[Login, Depends(page_login)]
ApiLogin = Annotated[Login, Depends(api_login)]
FormLogin = Annotated[Login, Depends(checked_login)]
