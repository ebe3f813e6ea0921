"""Inbox pages: the queue, a conversation, and the actions on it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.checkins import service as checkin_service
from bot.clock import utcnow
from bot.handoff import operations
from bot.handoff import service as handoffs
from bot.i18n import normalise_language, tr
from bot.inbox import service
from bot.inbox.login import ApiLogin, FormLogin, InboxSession, Login, PageLogin
from bot.inbox.pages import UI_LANGUAGES, render, ui_language
from bot.inbox.replies import canned_for
from bot.inbox.thread import thread
from bot.municipalities import hours
from bot.people import service as people
from bot.people.models import YoungPerson
from bot.plans import changes
from bot.plans.service import next_appointment

STATIC = Path(__file__).parent / "static"
STATIC_FILES = {
    "htmx.min.js": "text/javascript",
    "inbox.js": "text/javascript",
    "conversation.js": "text/javascript",
    "counter.js": "text/javascript",
    "campaigns.js": "text/javascript",
    "inbox.css": "text/css",
}
VIEWS = ("all", "mine", "team", "unassigned")
CHART_CHECKINS = 20

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """The inbox's own CSS and JavaScript (htmx is vendored, no CDN)."""
    if name not in STATIC_FILES:
        raise HTTPException(404)
    return FileResponse(
        STATIC / name,
        media_type=STATIC_FILES[name],
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/lang/{code}")
async def switch_language(code: str, request: Request, next: str = "/inbox") -> Response:
    """Switch the interface language (a cookie); back to the page it came from."""
    target = next if next.startswith("/inbox") and "//" not in next else "/inbox"
    response = RedirectResponse(target, status_code=303)
    if code in UI_LANGUAGES:
        response.set_cookie(
            "indgang_lang", code, samesite="lax", httponly=True, max_age=365 * 24 * 3600, path="/"
        )
    return response


async def load_person(session: AsyncSession, login: Login, person_id: int) -> YoungPerson:
    """The young person, or 404 when this staff member may not see them."""
    try:
        return await service.person_for(session, login, person_id)
    except service.NotFound:
        raise HTTPException(status_code=404, detail="Not Found") from None


def _view(value: str) -> str:
    return value if value in VIEWS else "all"


@router.get("")
async def queue_page(
    request: Request, session: InboxSession, login: PageLogin, view: str = "all"
) -> Response:
    """The queue of open handoffs."""
    now = utcnow()
    items = await service.queue(session, login, view=_view(view), now=now)
    waiting = await service.waiting_count(session, login, now=now)
    mark = await service.fingerprint(session, login, None)
    return render(
        request,
        "queue.html",
        {"items": items, "view": _view(view), "mark": mark, "waiting": waiting, "now": now},
        login=login,
    )


@router.get("/queue")
async def queue_fragment(
    request: Request, session: InboxSession, login: ApiLogin, view: str = "all"
) -> Response:
    """The queue's list only, for live updates."""
    now = utcnow()
    items = await service.queue(session, login, view=_view(view), now=now)
    waiting = await service.waiting_count(session, login, now=now)
    response = render(
        request,
        "_queue.html",
        {"items": items, "view": _view(view), "waiting": waiting, "now": now},
        login=login,
    )
    response.headers["X-Waiting"] = str(waiting)
    return response


async def _conversation_context(
    session: AsyncSession, login: Login, person: YoungPerson, lang: str
) -> dict[str, Any]:
    assert person.id is not None
    now = utcnow()
    plan = await changes.ensure_plan(session, person=person, now=now)
    assert plan.id is not None
    staff = {s.id: s for s in await service.colleagues(session, login)}
    # The latest answered check-ins, oldest first, for the chart.
    checkins = [
        c
        for c in await checkin_service.history(session, person_id=person.id)
        if c.score is not None
    ][-CHART_CHECKINS:]
    identity = await people.preferred_identity(session, person_id=person.id)
    handoff = await handoffs.active_handoff(session, person_id=person.id)
    return {
        "person": person,
        "person_lang": normalise_language(person.language),
        **await thread(session, login, person, handoff),
        "handoff": handoff,
        "handoff_state": await service.handoff_status(session, login, person_id=person.id, now=now),
        "plan": plan,
        "milestones": [
            m for m in await changes.all_milestones(session, plan_id=plan.id) if m.status == "open"
        ],
        "appointment": await next_appointment(session, person_id=person.id, now=now),
        "checkins": checkins,
        "chart": chart_points(checkins),
        "identity": identity,
        "staff": staff,
        "canned": canned_for(lang, person.language),
        "now": now,
        "default_later": default_later(login, now),
        "guard": None,
        "draft": "",
        "error": "",
    }


def default_later(login: Login, now: datetime) -> datetime:
    """The suggested 'send later' time: the next working day's start (e.g. tomorrow 08:00)."""
    return hours.next_working_day_start(login.municipality, now)


def chart_points(checkins: list[Any], width: int = 220, height: int = 60) -> str:
    """SVG polyline points for check-in scores, oldest left, best at the top."""
    scores = [c.score for c in checkins if c.score is not None]
    if not scores:
        return ""
    top = max(5, *scores)
    step = width / max(1, len(scores) - 1)
    return " ".join(
        f"{round(i * step, 1)},{round(height - (s / top) * (height - 6) - 3, 1)}"
        for i, s in enumerate(scores)
    )


@router.get("/people/{person_id}/conversation")
async def conversation_page(
    request: Request, session: InboxSession, login: PageLogin, person_id: int
) -> Response:
    """The whole conversation with the plan at the side; the view is audited."""
    person = await load_person(session, login, person_id)
    lang = ui_language(request)
    context = await _conversation_context(session, login, person, lang)
    context["mark"] = await service.fingerprint(session, login, person.id)
    await audit.record(
        session, staff=login.staff, young_person_id=person.id, action="view_conversation"
    )
    return render(request, "conversation.html", context, login=login)


@router.get("/people/{person_id}/messages")
async def messages_fragment(
    request: Request, session: InboxSession, login: ApiLogin, person_id: int
) -> Response:
    """The message list only, for live updates of an open conversation page."""
    person = await load_person(session, login, person_id)
    assert person.id is not None
    # A read of the conversation like the page itself (an API client may read only this).
    await audit.record(
        session, staff=login.staff, young_person_id=person.id, action="view_messages"
    )
    handoff = await handoffs.active_handoff(session, person_id=person.id)
    return render(
        request,
        "_messages.html",
        {"person": person, **await thread(session, login, person, handoff)},
        login=login,
    )


def _back(person_id: int, anchor: str = "reply") -> RedirectResponse:
    return RedirectResponse(f"/inbox/people/{person_id}/conversation#{anchor}", status_code=303)


async def _refused(
    request: Request,
    session: AsyncSession,
    login: Login,
    person: YoungPerson,
    error: str,
    *,
    draft: str = "",
    status: int = 400,
    guard: list[str] | None = None,
) -> Response:
    lang = ui_language(request)
    context = await _conversation_context(session, login, person, lang)
    context.update(error=tr(lang, error), draft=draft, guard=guard)
    return render(request, "conversation.html", context, status=status, login=login)


def parse_local(value: str, timezone: str) -> datetime | None:
    """A datetime-local value ('2026-03-04T08:00') in the municipality's zone, as UTC."""
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        return None
    if local.tzinfo is not None:
        return None
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))


@router.post("/people/{person_id}/take")
async def take(session: InboxSession, login: FormLogin, person_id: int) -> Response:
    """Take the conversation."""
    person = await load_person(session, login, person_id)
    await operations.take(session, staff=login.staff, person=person, now=utcnow())
    return _back(person_id)


@router.post("/people/{person_id}/assign")
async def assign(
    request: Request, session: InboxSession, login: FormLogin, person_id: int, to: int = Form(...)
) -> Response:
    """Give the conversation to a colleague (any department)."""
    person = await load_person(session, login, person_id)
    try:
        await operations.assign(
            session,
            staff=login.staff,
            person=person,
            to=to,
            now=utcnow(),
            engine=request.app.state.receiver.engine,
        )
    except operations.Refused as refused:
        return await _refused(request, session, login, person, str(refused))
    request.app.state.dispatcher.wake()
    return _back(person_id, "actions")


@router.post("/people/{person_id}/note")
async def add_note(
    request: Request, session: InboxSession, login: FormLogin, person_id: int, text: str = Form("")
) -> Response:
    """Add an internal note (never sent)."""
    person = await load_person(session, login, person_id)
    try:
        await service.note(session, login, person, text=text, now=utcnow())
    except operations.Refused as refused:
        return await _refused(request, session, login, person, str(refused))
    return _back(person_id)


@router.post("/people/{person_id}/scheduled/{message_id}/cancel")
async def cancel_scheduled(
    session: InboxSession, login: FormLogin, person_id: int, message_id: int
) -> Response:
    """Cancel a scheduled reply before it goes."""
    person = await load_person(session, login, person_id)
    try:
        await service.cancel_scheduled(session, login, person, message_id=message_id, now=utcnow())
    except service.NotFound:
        raise HTTPException(status_code=404, detail="Not Found") from None
    return _back(person_id, "messages")


@router.post("/people/{person_id}/handback")
async def hand_back(
    request: Request, session: InboxSession, login: FormLogin, person_id: int
) -> Response:
    """Hand the conversation back to the bot and ask the one optional question."""
    person = await load_person(session, login, person_id)
    try:
        await operations.hand_back(
            session,
            staff=login.staff,
            person=person,
            now=utcnow(),
            engine=request.app.state.receiver.engine,
        )
    except operations.Refused as refused:
        return await _refused(request, session, login, person, str(refused))
    request.app.state.dispatcher.wake()
    return RedirectResponse("/inbox", status_code=303)


@router.post("/people/{person_id}/close")
async def close(
    request: Request, session: InboxSession, login: FormLogin, person_id: int
) -> Response:
    """Close the handoff; the young person is told so and offered the menu."""
    person = await load_person(session, login, person_id)
    try:
        await operations.close(
            session,
            staff=login.staff,
            person=person,
            now=utcnow(),
            engine=request.app.state.receiver.engine,
        )
    except operations.Refused as refused:
        return await _refused(request, session, login, person, str(refused))
    request.app.state.dispatcher.wake()
    return RedirectResponse("/inbox", status_code=303)
