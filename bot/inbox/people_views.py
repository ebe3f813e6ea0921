"""Inbox pages for young people: list, create with invite, profile, plan and check-ins."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import segno
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.checkins import service as checkins
from bot.checkins.models import CheckinSchedule
from bot.clock import utcnow
from bot.handoff import operations
from bot.i18n import LANGUAGES, N_
from bot.inbox import audit_trail, service
from bot.inbox.formatting import Formatter
from bot.inbox.login import FormLogin, InboxSession, Login, PageLogin
from bot.inbox.pages import render, ui_language
from bot.inbox.views import load_person, parse_local
from bot.people import service as people
from bot.people.models import YoungPerson
from bot.plans import changes
from bot.staff.models import StaffMember
from bot.wiring import invite_ways
from channels.base import InviteWay

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)


@router.get("/people")
async def people_list(request: Request, session: InboxSession, login: PageLogin) -> Response:
    """The young people this staff member may see."""
    found = await service.list_people(session, login)
    staff = {s.id: s for s in await service.colleagues(session, login)}
    return render(request, "people.html", {"people": found, "staff": staff}, login=login)


@router.get("/people/new")
async def new_person_form(request: Request, session: InboxSession, login: PageLogin) -> Response:
    """The form for adding a young person."""
    return render(
        request,
        "person_new.html",
        {
            "colleagues": await service.colleagues(session, login),
            "languages": LANGUAGES,
            "error": "",
        },
        login=login,
    )


def telegram_link(request: Request, code: str) -> str | None:
    """The deep link that starts the Telegram bot with the invite code, when configured."""
    return invite_ways(request.app.state.channel_settings, code).get("telegram", InviteWay()).link


def qr_svg(data: str) -> str:
    """An inline SVG QR code (no external service sees the invite)."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(
        buffer, kind="svg", scale=4, xmldecl=False, svgns=True, title="QR", nl=False
    )
    return buffer.getvalue().decode()


async def _invite_page(
    request: Request, session: AsyncSession, login: Login, person: YoungPerson
) -> Response:
    assert person.id is not None
    now = utcnow()
    code = await people.create_invite(
        session, person_id=person.id, now=now, staff_id=login.staff.id
    )
    await audit.record(
        session, staff=login.staff, young_person_id=person.id, action="invite_created", now=now
    )
    link = telegram_link(request, code)
    return render(
        request,
        "invite.html",
        {
            "person": person,
            "code": code,
            "link": link,
            "qr": qr_svg(link) if link else None,
            "sms_number": login.municipality.sms_number,
            "expires": now + people.INVITE_LIFETIME,
        },
        login=login,
    )


@router.post("/people")
async def create_person(
    request: Request,
    session: InboxSession,
    login: FormLogin,
    first_name: str = Form(""),
    birth_year: str = Form(""),
    language: str = Form("da"),
    contact_person_id: str = Form(""),
) -> Response:
    """Create a young person and show their invite (the code is shown only this once)."""
    name = " ".join(first_name.split())[:60]
    year = int(birth_year) if birth_year.isdigit() else None
    contact_id = int(contact_person_id) if contact_person_id.isdigit() else login.staff.id
    contact = await session.get(StaffMember, contact_id)
    if (
        not name
        or contact is None
        or contact.municipality_id != login.staff.municipality_id
        or not contact.active
        or (year is not None and not 1990 <= year <= utcnow().year)
    ):
        return render(
            request,
            "person_new.html",
            {
                "colleagues": await service.colleagues(session, login),
                "languages": LANGUAGES,
                "error": N_("Skriv et fornavn, et fødselsår og vælg en kontaktperson."),
            },
            status=400,
            login=login,
        )
    person = YoungPerson(
        municipality_id=login.staff.municipality_id,
        first_name=name,
        birth_year=year,
        language=language if language in LANGUAGES else "da",
        contact_person_id=contact.id,
    )
    session.add(person)
    await session.flush()
    await audit.record(
        session, staff=login.staff, young_person_id=person.id, action="person_created"
    )
    await changes.ensure_plan(session, person=person, now=utcnow())
    return await _invite_page(request, session, login, person)


@router.post("/people/{person_id}/invite")
async def new_invite(
    request: Request, session: InboxSession, login: FormLogin, person_id: int
) -> Response:
    """A fresh invite code for another channel."""
    person = await load_person(session, login, person_id)
    return await _invite_page(request, session, login, person)


@router.get("/people/{person_id}")
async def person_page(
    request: Request, session: InboxSession, login: PageLogin, person_id: int
) -> Response:
    """Profile, channels, plan, check-ins; the audit trail for team leads. The view is audited."""
    person = await load_person(session, login, person_id)
    assert person.id is not None
    now = utcnow()
    plan = await changes.ensure_plan(session, person=person, now=now)
    assert plan.id is not None
    events = (
        await audit.for_person(
            session, municipality_id=login.staff.municipality_id, young_person_id=person.id
        )
        if login.is_lead
        else []
    )
    staff = {s.id: s for s in await service.colleagues(session, login)}
    language = ui_language(request)
    trail = audit_trail.lines(
        events,
        language=language,
        fmt=Formatter(language, login.municipality.timezone),
        names=await service.staff_names(session, login) if events else {},
    )
    context: dict[str, Any] = {
        "person": person,
        "identities": await service.identities(session, person_id=person.id),
        "plan": plan,
        "milestones": await changes.all_milestones(session, plan_id=plan.id),
        # From a day ago on, so today's meeting still shows after it began.
        "appointments": [
            a
            for a in await changes.all_appointments(session, plan_id=plan.id)
            if a.starts_at >= now - timedelta(days=1) and a.status != "cancelled"
        ],
        "cadence": await session.get(CheckinSchedule, person.id),
        "events": trail,
        "staff": staff,
        "person_language": person.language,
    }
    await audit.record(
        session, staff=login.staff, young_person_id=person.id, action="view_plan", now=now
    )
    return render(request, "person.html", context, login=login)


def _to_person(person_id: int, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/inbox/people/{person_id}#{anchor}", status_code=303)


@router.post("/people/{person_id}/plan/goal")
async def set_goal(
    session: InboxSession, login: FormLogin, person_id: int, goal: str = Form("")
) -> Response:
    """Change the plan's goal."""
    person = await load_person(session, login, person_id)
    await changes.set_goal(session, person=person, goal=goal, now=utcnow(), staff=login.staff)
    return _to_person(person_id, "plan")


@router.post("/people/{person_id}/plan/milestones")
async def add_milestone(
    session: InboxSession,
    login: FormLogin,
    person_id: int,
    title: str = Form(""),
    due: str = Form(""),
) -> Response:
    """Add a milestone."""
    person = await load_person(session, login, person_id)
    if not title.strip():
        raise HTTPException(status_code=400, detail="A title is needed.")
    try:
        due_date = date.fromisoformat(due) if due else None
    except ValueError:
        raise HTTPException(status_code=400, detail="Bad date.") from None
    await changes.add_milestone(
        session, person=person, title=title, due_date=due_date, now=utcnow(), staff=login.staff
    )
    return _to_person(person_id, "plan")


@router.post("/people/{person_id}/plan/milestones/{milestone_id}")
async def milestone_status(
    session: InboxSession,
    login: FormLogin,
    person_id: int,
    milestone_id: int,
    status: str = Form("done"),
) -> Response:
    """Mark a milestone done (or open again)."""
    person = await load_person(session, login, person_id)
    if status not in ("open", "done"):
        raise HTTPException(status_code=404, detail="Not Found")
    try:
        await changes.update_milestone(
            session,
            person=person,
            milestone_id=milestone_id,
            now=utcnow(),
            staff=login.staff,
            status=status,
        )
    except changes.NotFound:
        raise HTTPException(status_code=404, detail="Not Found") from None
    return _to_person(person_id, "plan")


@router.post("/people/{person_id}/checkins")
async def set_cadence(
    session: InboxSession,
    login: FormLogin,
    person_id: int,
    cadence_days: int = Form(7),
    weekday: int = Form(2),
    hour: int = Form(15),
    paused: str = Form(""),
) -> Response:
    """Set the check-in cadence."""
    person = await load_person(session, login, person_id)
    now = utcnow()
    schedule = await checkins.set_schedule(
        session,
        person=person,
        municipality=login.municipality,
        now=now,
        cadence_days=max(1, min(cadence_days, 60)),
        weekday=max(0, min(weekday, 6)),
        hour=max(0, min(hour, 23)),
        paused=paused == "1",
    )
    await audit.record(
        session,
        staff=login.staff,
        young_person_id=person.id,
        action="checkin_cadence",
        detail=f"every {schedule.cadence_days} days, paused={schedule.paused}",
        now=now,
    )
    return _to_person(person_id, "checkins")


@router.get("/me")
async def me_page(request: Request, session: InboxSession, login: PageLogin) -> Response:
    """The staff member's own settings: absence and stand-in."""
    return await _me(request, session, login, saved=request.query_params.get("saved") == "1")


async def _me(
    request: Request, session: AsyncSession, login: Login, *, saved: bool = False, error: str = ""
) -> Response:
    """The settings page, with a note that it was saved or why it was not (400)."""
    return render(
        request,
        "me.html",
        {"colleagues": await service.colleagues(session, login), "saved": saved, "error": error},
        status=400 if error else 200,
        login=login,
    )


@router.post("/me/absence")
async def set_absence(
    request: Request,
    session: InboxSession,
    login: FormLogin,
    absent_from: str = Form(""),
    absent_until: str = Form(""),
    stand_in_id: str = Form(""),
) -> Response:
    """Record an absence (from–to) and a named stand-in; empty fields clear it."""
    zone = login.municipality.timezone
    start = parse_local(absent_from, zone) if absent_from else None
    end = parse_local(absent_until, zone) if absent_until else None
    if (start is None) != (end is None) or (start and end and end <= start):
        return await _me(
            request, session, login, error=N_("Skriv begge tider, og slut efter start.")
        )
    stand_in = int(stand_in_id) if stand_in_id.isdigit() else None
    if stand_in is not None:
        colleague = await session.get(StaffMember, stand_in)
        if (
            colleague is None
            or colleague.municipality_id != login.staff.municipality_id
            or not colleague.active
            or colleague.id == login.staff.id
        ):
            return await _me(
                request, session, login, error=N_("Vælg en kollega som stedfortræder.")
            )
    staff = await session.get(StaffMember, login.staff.id)
    assert staff is not None
    staff.absent_from, staff.absent_until, staff.stand_in_id = start, end, stand_in
    session.add(staff)
    # Away from now: open conversations go to the stand-in, and the young people are told.
    moved = await operations.cover_absence(
        session, staff=staff, now=utcnow(), engine=request.app.state.receiver.engine
    )
    if moved:
        request.app.state.dispatcher.wake()
    return RedirectResponse("/inbox/me?saved=1", status_code=303)
