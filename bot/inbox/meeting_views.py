"""The inbox's meeting page: missed and moved meetings, and the staff member's free times."""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from bot.audit import service as audit
from bot.clock import utcnow
from bot.inbox.login import FormLogin, InboxSession, PageLogin
from bot.inbox.pages import render
from bot.inbox.views import parse_local
from bot.plans import follow_up, slots

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
