"""Shared web plumbing for the inbox: templates, language, sign-in and CSRF checks."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from bot.clock import utcnow
from bot.i18n import N_, babel_locale, native_name, tr
from bot.plans.service import format_when
from bot.settings import Settings
from bot.staff import service as staff_service
from bot.staff.deps import SessionDep, request_token
from bot.staff.models import StaffSession
from bot.tenants.models import Municipality, StaffMember

HERE = Path(__file__).parent
LANG_COOKIE = "indgang_lang"
UI_LANGUAGES = ("da", "en")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

_env = Environment(
    loader=FileSystemLoader(str(HERE / "templates")),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_env)


def ui_language(request: Request) -> str:
    """The staff member's interface language (cookie), Danish by default."""
    value = request.cookies.get(LANG_COOKIE, "da")
    return value if value in UI_LANGUAGES else "da"


def settings_of(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure whenever the public address is https."""
    return settings_of(request).public_base.startswith("https://")


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
    token, bearer = request_token(request)
    if not token:
        return None
    found = await staff_service.session_for_token(session, token=token, now=utcnow())
    if found is None:
        return None
    row, staff = found
    municipality = await session.get(Municipality, staff.municipality_id)
    assert municipality is not None
    return Login(staff=staff, row=row, municipality=municipality, via_bearer=bearer)


async def page_login(request: Request, session: InboxSession) -> Login:
    """The signed-in staff member for a page; otherwise a redirect to the sign-in page."""
    login = await find_login(request, session)
    if login is None:
        raise HTTPException(status_code=303, detail="Sign in first.",
                            headers={"Location": "/inbox/login"})
    return login


async def api_login(request: Request, session: InboxSession) -> Login:
    """The signed-in staff member for a fragment or API call; otherwise 401."""
    login = await find_login(request, session)
    if login is None:
        raise HTTPException(status_code=401, detail="Sign in first.",
                            headers={"WWW-Authenticate": "Bearer"})
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


REASON_LABELS = {
    "asked": N_("Bad om et menneske"),
    "crisis": N_("Krise"),
    "not_understood": N_("Botten forstod ikke"),
    "risk": N_("Risikosvar i check-in"),
    "plan_change": N_("Ændring i planen"),
    "reschedule": N_("Vil flytte et møde"),
    "staff": N_("Medarbejder skrev først"),
}
STATUS_LABELS = {
    "received": N_("Modtaget"),
    "queued": N_("I kø"),
    "accepted": N_("Afsendt"),
    "sent": N_("Afsendt"),
    "delivered": N_("Leveret"),
    "read": N_("Læst"),
    "undelivered": N_("Ikke leveret"),
    "failed": N_("Fejlet"),
    "cancelled": N_("Annulleret"),
    "note": N_("Intern note"),
}
AUTHOR_LABELS = {"young_person": N_("Den unge"), "bot": N_("Chatbot"), "staff": N_("Medarbejder")}


class Formatter:
    """Dates and durations in the municipality's time zone and the reader's language."""

    def __init__(self, language: str, timezone: str) -> None:
        self.language = language
        self.zone = ZoneInfo(timezone)
        self.locale = babel_locale(language)

    def when(self, moment: datetime | None, style: str = "short") -> str:
        """A local date and time, e.g. '04.03.2026 16.30'."""
        if moment is None:
            return ""
        return format_datetime(moment.astimezone(self.zone), style, locale=self.locale)

    def long(self, moment: datetime | None) -> str:
        """'torsdag den 5. marts 2026 kl. 10.30', as young people read it too."""
        if moment is None:
            return ""
        return format_when(moment, language=self.language, timezone=str(self.zone))

    def iso_local(self, moment: datetime | None) -> str:
        """The local time for a datetime-local input."""
        return moment.astimezone(self.zone).strftime("%Y-%m-%dT%H:%M") if moment else ""

    def ago(self, seconds: float) -> str:
        """A rounded duration, e.g. '3 timer'."""
        return format_timedelta(timedelta(seconds=seconds), locale=self.locale, threshold=1.5)


def render(request: Request, name: str, context: dict[str, Any], *, status: int = 200,
           login: Login | None = None) -> Response:
    """Render a template with the language, CSRF token and helpers every page uses."""
    language = ui = ui_language(request)
    timezone = login.municipality.timezone if login else settings_of(request).timezone

    def gettext(message: str, **values: Any) -> str:
        return tr(ui, message, **values)

    base = {
        "_": gettext,
        "lang": language,
        "other_lang": "en" if language == "da" else "da",
        "native_name": native_name,
        "login": login,
        "csrf": login.row.csrf_token if login else "",
        "fmt": Formatter(language, timezone),
        "path": request.url.path,
        "reason_label": lambda key: REASON_LABELS.get(key, key),
        "status_label": lambda key: STATUS_LABELS.get(key, key),
        "author_label": lambda key: AUTHOR_LABELS.get(key, key),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
