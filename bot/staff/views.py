"""Staff sign-in and sign-out pages under /inbox."""

from __future__ import annotations

import hmac
import secrets
from collections import defaultdict, deque
from datetime import datetime, timedelta

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.clock import utcnow
from bot.i18n import tr
from bot.inbox.login import FormLogin, InboxSession
from bot.inbox.pages import render, secure_cookies, ui_language
from bot.staff import permissions, service
from bot.staff.deps import SESSION_COOKIE

LOGIN_CSRF_COOKIE = "indgang_login_csrf"
# Per client address, on top of the per-account lockout: slows guessing across many accounts.
IP_WINDOW = timedelta(minutes=15)
IP_MAX_FAILURES = 30

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)


class _Throttle:
    """Recent failed sign-ins per client address, in memory (one process is enough here)."""

    def __init__(self) -> None:
        self.failures: dict[str, deque[datetime]] = defaultdict(deque)

    def blocked(self, address: str, now: datetime) -> bool:
        """True when the address failed too often within the window."""
        recent = self.failures[address]
        while recent and recent[0] < now - IP_WINDOW:
            recent.popleft()
        return len(recent) >= IP_MAX_FAILURES

    def failed(self, address: str, now: datetime) -> None:
        """Count one failure."""
        self.failures[address].append(now)


def _throttle(request: Request) -> _Throttle:
    """The app's throttle (one per app, so separate apps never share counts)."""
    found: _Throttle | None = getattr(request.app.state, "login_throttle", None)
    if found is None:
        found = request.app.state.login_throttle = _Throttle()
    return found


def _login_page(
    request: Request, *, error: str = "", email: str = "", status: int = 200
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request, "login.html", {"error": error, "email": email, "login_csrf": token}, status=status
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/inbox",
    )
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    """The sign-in page."""
    return _login_page(request)


@router.post("/login")
async def login(
    request: Request,
    session: InboxSession,
    email: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Check email and password; set the session cookie and go to the queue."""
    lang = ui_language(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return _login_page(
            request, error=tr(lang, "Siden var udløbet. Prøv igen."), email=email, status=403
        )
    now = utcnow()
    address = request.client.host if request.client else "unknown"
    throttle = _throttle(request)
    if throttle.blocked(address, now):
        return _login_page(
            request, error=tr(lang, "For mange forsøg. Vent et kvarter."), email=email, status=429
        )
    outcome = await service.authenticate(session, email=email, password=password, now=now)
    if outcome.staff is None or outcome.staff.id is None:
        throttle.failed(address, now)
        # One answer for a wrong password, an unknown address and a locked account, so the
        # page does not tell which addresses exist.
        message = tr(
            lang,
            "Forkert e-mail eller adgangskode. Efter fem forkerte forsøg "
            "er kontoen låst i 15 minutter.",
        )
        return _login_page(request, error=message, email=email, status=401)
    token, _row = await service.create_session(session, staff_id=outcome.staff.id, now=now)
    # Where the role may start: the queue, or (a content editor) their own settings.
    start = "/inbox" if permissions.allowed(outcome.staff.role, "/inbox") else "/inbox/me"
    response = RedirectResponse(start, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
        max_age=int(service.SESSION_LIFETIME.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/inbox")
    return response


@router.post("/logout")
async def logout(request: Request, session: InboxSession, login: FormLogin) -> Response:
    """End the session at once and go back to the sign-in page."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await service.end_session(session, token=token)
    response = RedirectResponse("/inbox/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request)
    )
    return response
