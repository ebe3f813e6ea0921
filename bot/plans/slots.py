"""Free times a staff member publishes, and a young person moving a meeting into one."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.people.models import YoungPerson
from bot.plans import changes
from bot.plans.models import Appointment, FreeSlot
from bot.staff.models import StaffMember

# A young person is offered at most this many free times at once.
OFFERED = 3
# A free time this close is not offered: the contact person needs a moment to see the move.
LEAD = timedelta(hours=2)


async def free_slots(
    session: AsyncSession, *, staff_id: int, now: datetime, limit: int = OFFERED
) -> list[FreeSlot]:
    """The staff member's free times from `now + LEAD`, soonest first."""
    result = await session.exec(
        select(FreeSlot)
        .where(
            FreeSlot.staff_id == staff_id,
            col(FreeSlot.appointment_id).is_(None),
            FreeSlot.starts_at >= now + LEAD,
        )
        .order_by(col(FreeSlot.starts_at), col(FreeSlot.id))
        .limit(limit)
    )
    return list(result.all())


async def upcoming(session: AsyncSession, *, staff_id: int, now: datetime) -> list[FreeSlot]:
    """Every coming time the staff member published, free or taken (their page)."""
    result = await session.exec(
        select(FreeSlot)
        .where(FreeSlot.staff_id == staff_id, FreeSlot.starts_at >= now)
        .order_by(col(FreeSlot.starts_at), col(FreeSlot.id))
    )
    return list(result.all())


async def publish(
    session: AsyncSession, *, staff: StaffMember, starts_at: datetime, place: str, now: datetime
) -> FreeSlot:
    """Add a free time; a time already published by the same staff member is kept once."""
    assert staff.id is not None
    existing = (
        await session.exec(
            select(FreeSlot).where(FreeSlot.staff_id == staff.id, FreeSlot.starts_at == starts_at)
        )
    ).first()
    if existing is not None:
        return existing
    slot = FreeSlot(
        staff_id=staff.id, starts_at=starts_at, place=place.strip()[:200], created_at=now
    )
    session.add(slot)
    await session.flush()
    return slot


async def withdraw(session: AsyncSession, *, staff: StaffMember, slot_id: int) -> bool:
    """Remove one of the staff member's own free times; a taken one stays (it is a meeting)."""
    slot = await session.get(FreeSlot, slot_id)
    if slot is None or slot.staff_id != staff.id or slot.appointment_id is not None:
        return False
    await session.delete(slot)
    await session.flush()
    return True


async def offered_slot(
    session: AsyncSession, *, person: YoungPerson, slot_id: int, now: datetime
) -> FreeSlot | None:
    """The slot if it is a free time of this young person's contact person, still offered."""
    slot = await session.get(FreeSlot, slot_id)
    if (
        slot is None
        or slot.staff_id != person.contact_person_id
        or slot.appointment_id is not None
        or slot.starts_at < now + LEAD
    ):
        return None
    return slot


async def move_to_slot(
    session: AsyncSession,
    *,
    person: YoungPerson,
    appointment: Appointment,
    slot: FreeSlot,
    now: datetime,
) -> bool:
    """The young person takes a free time: the slot is taken (once, whoever races for it), the
    meeting moves there, a slot it held before is free again, its reminders are planned anew,
    and the plan's history says 'appointment.moved' (the contact person's list shows it)."""
    assert appointment.id is not None and slot.id is not None
    taken = await session.exec(
        update(FreeSlot)
        .where(col(FreeSlot.id) == slot.id, col(FreeSlot.appointment_id).is_(None))
        .values(appointment_id=appointment.id, taken_at=now)
        .returning(col(FreeSlot.id))
    )
    if taken.first() is None:
        return False
    await session.exec(
        update(FreeSlot)
        .where(col(FreeSlot.appointment_id) == appointment.id, col(FreeSlot.id) != slot.id)
        .values(appointment_id=None, taken_at=None)
    )
    await session.refresh(slot)
    await changes.update_appointment(
        session,
        person=person,
        appointment_id=appointment.id,
        now=now,
        actor="young_person",
        starts_at=slot.starts_at,
        place=slot.place or None,
        status="confirmed",
        action="appointment.moved",
    )
    return True
