"""The contact person's meeting list: meetings missed, and meetings a young person moved.

Each is one row per meeting, read from the appointment ('missed' with `missed_notice_at`) and
the staff member's free times a young person took (their calendar), for the young people
this staff member is contact person for; the inbox shows it (bot/inbox/meeting_views.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.people.models import YoungPerson
from bot.plans.models import Appointment, FreeSlot, Plan

# How long a missed or moved meeting stays on the list.
SHOWN_FOR = timedelta(days=14)
MISSED, MOVED = "missed", "moved"


@dataclass(frozen=True)
class Item:
    """One line on the list: what happened to which meeting of whom, and when."""

    kind: str
    person: YoungPerson
    appointment: Appointment
    at: datetime


async def items_for(
    session: AsyncSession, *, staff_id: int, municipality_id: int, now: datetime
) -> list[Item]:
    """The staff member's young people's missed and moved meetings, newest first (only ever
    young people of the staff member's own municipality)."""
    since = now - SHOWN_FOR
    town = YoungPerson.municipality_id == municipality_id
    mine = (
        select(Appointment, YoungPerson)
        .join(Plan, col(Plan.id) == Appointment.plan_id)
        .join(YoungPerson, col(YoungPerson.id) == Plan.young_person_id)
        .where(town, YoungPerson.contact_person_id == staff_id)
    )
    missed = await session.exec(
        mine.where(Appointment.status == "missed", col(Appointment.missed_notice_at) >= since)
    )
    items = [Item(MISSED, p, a, a.missed_notice_at or a.starts_at) for a, p in missed.all()]
    # The contact person's calendar: their free times a young person took.
    taken = await session.exec(
        select(FreeSlot, Appointment, YoungPerson)
        .join(Appointment, col(Appointment.id) == FreeSlot.appointment_id)
        .join(Plan, col(Plan.id) == Appointment.plan_id)
        .join(YoungPerson, col(YoungPerson.id) == Plan.young_person_id)
        .where(
            town,
            FreeSlot.staff_id == staff_id,
            col(FreeSlot.taken_at) >= since,
            Appointment.status != "cancelled",
        )
    )
    items += [Item(MOVED, p, a, slot.taken_at or now) for slot, a, p in taken.all()]
    return sorted(items, key=lambda item: item.at, reverse=True)
