"""Opening handoffs and finding who answers the young person."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import utcnow
from bot.handoff.models import Handoff
from bot.people.models import YoungPerson
from bot.tenants.models import StaffMember

OPEN_STATUSES = ("open", "held")


async def active_handoff(session: AsyncSession, *, person_id: int) -> Handoff | None:
    """The young person's open handoff, if a human holds (or is about to hold) the chat."""
    result = await session.exec(
        select(Handoff)
        .where(Handoff.young_person_id == person_id, col(Handoff.status).in_(OPEN_STATUSES))
        .order_by(col(Handoff.id).desc())
    )
    return result.first()


async def open_handoff(
    session: AsyncSession,
    *,
    person: YoungPerson,
    reason: str,
    urgent: bool = False,
    detail: str = "",
    appointment_id: int | None = None,
) -> Handoff:
    """Open a handoff, or raise the priority of the one already open."""
    assert person.id is not None
    existing = await active_handoff(session, person_id=person.id)
    if existing is not None:
        if urgent and not existing.urgent:
            existing.urgent = True
            existing.reason = reason
            existing.detail = detail[:300]
            session.add(existing)
        return existing
    assignee = await responder(session, person=person, now=utcnow())
    handoff = Handoff(
        young_person_id=person.id,
        reason=reason,
        urgent=urgent,
        detail=detail[:300],
        assignee_id=assignee.id if assignee else None,
        appointment_id=appointment_id,
    )
    session.add(handoff)
    await session.flush()
    return handoff


async def responder(
    session: AsyncSession, *, person: YoungPerson, now: datetime
) -> StaffMember | None:
    """The contact person, or their stand-in while they are away."""
    if person.contact_person_id is None:
        return None
    contact = await session.get(StaffMember, person.contact_person_id)
    if contact is None or not contact.active:
        return None
    away = (
        contact.absent_from is not None
        and contact.absent_until is not None
        and contact.absent_from <= now < contact.absent_until
    )
    if away and contact.stand_in_id is not None:
        return await session.get(StaffMember, contact.stand_in_id)
    return contact


async def responder_name(
    session: AsyncSession, *, person: YoungPerson, now: datetime
) -> str | None:
    """The first name of whoever answers, for telling the young person."""
    staff = await responder(session, person=person, now=now)
    return staff.name.split()[0] if staff else None
