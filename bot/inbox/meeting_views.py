"""Meetings in the inbox: booking, moving and cancelling one (the young person is told once),
the meeting page (missed and moved meetings) and the staff member's free times."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.clock import utcnow
from bot.inbox.login import FormLogin, InboxSession, Login, PageLogin
from bot.inbox.pages import render
from bot.inbox.views import load_person, parse_local
from bot.people.models import YoungPerson
from bot.plans import changes, follow_up, slots
from bot.reminders import notices

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)


@router.get("/meetings")
async def meetings_page(request: Request, session: InboxSession, login: PageLogin) -> Response:
    """Meetings to follow up (each young person shown is audited) and my free times."""
    now = utcnow()
    assert login.staff.id is not None
    items = await follow_up.items_for(
        session, staff_id=login.staff.id, municipality_id=login.staff.municipality_id, now=now
    )
    for person_id in sorted({item.person.id for item in items if item.person.id is not None}):
        await audit.record(
            session, staff=login.staff, young_person_id=person_id, action="view_meetings", now=now
        )
    return render(
        request,
        "meetings.html",
        {
            "items": items,
            "slots": await slots.upcoming(session, staff_id=login.staff.id, now=now),
            "offered": slots.OFFERED,
        },
        login=login,
    )


@router.post("/meetings/slots")
async def add_slot(
    session: InboxSession, login: FormLogin, starts_at: str = Form(""), place: str = Form("")
) -> Response:
    """Publish a free time (local time) young people may move a meeting to."""
    moment = parse_local(starts_at, login.municipality.timezone)
    if moment is None or moment <= utcnow():
        raise HTTPException(status_code=400, detail="A time to come is needed.")
    await slots.publish(session, staff=login.staff, starts_at=moment, place=place, now=utcnow())
    return RedirectResponse("/inbox/meetings#slots", status_code=303)


@router.post("/meetings/slots/{slot_id}/delete")
async def remove_slot(session: InboxSession, login: FormLogin, slot_id: int) -> Response:
    """Withdraw one of my free times; a taken one is a meeting and stays."""
    if not await slots.withdraw(session, staff=login.staff, slot_id=slot_id):
        raise HTTPException(status_code=404, detail="Not Found")
    return RedirectResponse("/inbox/meetings#slots", status_code=303)


@router.post("/people/{person_id}/plan/appointments")
async def add_appointment(
    request: Request,
    session: InboxSession,
    login: FormLogin,
    person_id: int,
    starts_at: str = Form(""),
    place: str = Form(""),
    with_whom: str = Form(""),
    bring: str = Form(""),
) -> Response:
    """Book an appointment (local time); the young person is told once."""
    person = await load_person(session, login, person_id)
    moment = parse_local(starts_at, login.municipality.timezone)
    if moment is None or not place.strip():
        raise HTTPException(status_code=400, detail="A time and a place are needed.")
    await notices.staff_book(
        session,
        person=person,
        staff=login.staff,
        engine=request.app.state.receiver.engine,
        now=utcnow(),
        starts_at=moment,
        place=place,
        with_whom=with_whom,
        bring=bring,
    )
    return RedirectResponse(f"/inbox/people/{person_id}#plan", status_code=303)


@router.post("/people/{person_id}/plan/appointments/{appointment_id}")
async def change_appointment(
    request: Request,
    session: InboxSession,
    login: FormLogin,
    person_id: int,
    appointment_id: int,
    starts_at: str = Form(""),
    place: str = Form(""),
    bring: str = Form(""),
) -> Response:
    """Move a meeting or change its place or what to bring; a move is told once."""
    person = await load_person(session, login, person_id)
    moment = parse_local(starts_at, login.municipality.timezone) if starts_at else None
    if (starts_at and moment is None) or not place.strip():
        raise HTTPException(status_code=400, detail="A time and a place are needed.")
    await _staff_change(
        request, session, login, person, appointment_id, starts_at=moment, place=place, bring=bring
    )
    return RedirectResponse(f"/inbox/people/{person_id}#plan", status_code=303)


@router.post("/people/{person_id}/plan/appointments/{appointment_id}/cancel")
async def cancel_appointment(
    request: Request, session: InboxSession, login: FormLogin, person_id: int, appointment_id: int
) -> Response:
    """Cancel an appointment; the young person is told once."""
    person = await load_person(session, login, person_id)
    await _staff_change(request, session, login, person, appointment_id, status="cancelled")
    return RedirectResponse(f"/inbox/people/{person_id}#plan", status_code=303)


@router.post("/people/{person_id}/plan/appointments/{appointment_id}/held")
async def mark_held(
    request: Request,
    session: InboxSession,
    login: FormLogin,
    person_id: int,
    appointment_id: int,
    back: str = Form(""),
) -> Response:
    """The meeting was held: no "Vi savnede dig", and off the meeting list (nothing is sent)."""
    person = await load_person(session, login, person_id)
    await _staff_change(request, session, login, person, appointment_id, status="done")
    where = "/inbox/meetings" if back == "meetings" else f"/inbox/people/{person_id}#plan"
    return RedirectResponse(where, status_code=303)


async def _staff_change(
    request: Request,
    session: AsyncSession,
    login: Login,
    person: YoungPerson,
    appointment_id: int,
    **fields: Any,
) -> None:
    try:
        await notices.staff_change(
            session,
            person=person,
            appointment_id=appointment_id,
            staff=login.staff,
            engine=request.app.state.receiver.engine,
            now=utcnow(),
            **fields,
        )
    except changes.NotFound:
        raise HTTPException(status_code=404, detail="Not Found") from None
    request.app.state.dispatcher.wake()
