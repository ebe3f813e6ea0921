"""Rendering inbox pages: the templates, the interface language and what every page gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response

from bot.i18n import language_name, native_name, tr
from bot.inbox import labels
from bot.inbox.formatting import Formatter
from bot.inbox.login import Login
from bot.settings import Settings
from bot.staff import permissions

HERE = Path(__file__).parent
LANG_COOKIE = "indgang_lang"
UI_LANGUAGES = ("da", "en")

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


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    login: Login | None = None,
) -> Response:
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
        # A language's name in the reader's language ('dansk', 'Danish').
        "language_name": lambda code: language_name(code, ui),
        "login": login,
        # Whether the signed-in staff member's role may open a path (links they may follow).
        "can": lambda path: login is not None and permissions.allowed(login.staff.role, path),
        "csrf": login.row.csrf_token if login else "",
        "fmt": Formatter(language, timezone),
        "path": request.url.path,
        # A stored code's name for the reader, e.g. label("role", "team_lead").
        "label": lambda kind, code: labels.label(ui, kind, code),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
