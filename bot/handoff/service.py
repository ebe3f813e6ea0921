"""Opening handoffs and finding who answers the young person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import utcnow
from bot.conversation.turn import HUMAN_TOOK_OVER
from bot.handoff.models import OPEN_STATUSES, Handoff
from bot.people.models import YoungPerson
from bot.staff.models import StaffMember

# Set in session.info when a handoff is opened, so the engine knows a human took over during
# its own transaction without asking the database again.


async def active_handoff(session: AsyncSession, *, person_id: int) -> Handoff | None:
    """The young person's open handoff, if a human holds (or is about to hold) the chat."""
    result = await session.exec(
        select(Handoff)
        .where(Handoff.young_person_id == person_id, col(Handoff.status).in_(OPEN_STATUSES))
        .order_by(col(Handoff.id).desc())
    )
    return result.first()


async def add_open(session: AsyncSession, handoff: Handoff) -> Handoff:
    """Insert an open handoff, or return the one another transaction opened meanwhile.

    A young person has at most one open handoff (the partial unique index
    `uq_handoff_one_open`). When two transactions both found none and both insert, PostgreSQL
    holds the second until the first commits and then refuses it; the second then reads and
    returns the first's. Only the insert is undone (a savepoint), not the caller's work.
    """
    await session.flush()  # the caller's own changes, outside the savepoint
    try:
        async with session.begin_nested():
            session.add(handoff)
    except IntegrityError:
        existing = await active_handoff(session, person_id=handoff.young_person_id)
        if existing is None:
            raise
        return existing
    return handoff


async def open_handoff(
    session: AsyncSession,
    *,
    person: YoungPerson,
    reason: str,
    urgent: bool = False,
    detail: str = "",
    appointment_id: int | None = None,
    message_id: int | None = None,
) -> Handoff:
    """Open a handoff, or raise the priority of the one already open.

    `message_id` is the young person's message that caused it; a raise to urgent records the
    message that raised it.
    """
    assert person.id is not None
    session.info[HUMAN_TOOK_OVER] = True
    handoff = await active_handoff(session, person_id=person.id)
    if handoff is None:
        assignee = await responder(session, person=person, now=utcnow())
        opened = Handoff(
            young_person_id=person.id,
            reason=reason,
            urgent=urgent,
            detail=detail[:300],
            assignee_id=assignee.id if assignee else None,
            appointment_id=appointment_id,
            message_id=message_id,
        )
        handoff = await add_open(session, opened)
        if handoff is opened:
            return handoff
    if urgent and not handoff.urgent:
        handoff.urgent = True
        handoff.reason = reason
        handoff.detail = detail[:300]
        handoff.message_id = message_id
        session.add(handoff)
    return handoff


@dataclass(frozen=True)
class Route:
    """Who answers a young person now; `away` is the contact person a stand-in covers for."""

    staff: StaffMember | None
    away: StaffMember | None = None


def is_away(staff: StaffMember, now: datetime) -> bool:
    """True while the staff member's recorded absence covers `now`."""
    return (
        staff.absent_from is not None
        and staff.absent_until is not None
        and staff.absent_from <= now < staff.absent_until
    )


async def route(session: AsyncSession, *, person: YoungPerson, now: datetime) -> Route:
    """The contact person; their stand-in while away; else the team's next free colleague."""
    contact = (
        await session.get(StaffMember, person.contact_person_id)
        if person.contact_person_id is not None
        else None
    )
    if contact is not None and contact.active:
        if not is_away(contact, now):
            return Route(contact)
        stand_in = (
            await session.get(StaffMember, contact.stand_in_id)
            if contact.stand_in_id is not None
            else None
        )
        if (
            stand_in is not None
            and stand_in.active
            and not is_away(stand_in, now)
            and stand_in.municipality_id == contact.municipality_id
        ):
            return Route(stand_in, away=contact)
        # Away without a usable stand-in: the team covers, and the contact keeps it if no one can.
        picked = await round_robin(
            session, municipality_id=contact.municipality_id, team=contact.team, now=now
        )
        return Route(picked or contact, away=contact if picked else None)
    picked = await round_robin(session, municipality_id=person.municipality_id, team=None, now=now)
    return Route(picked)


async def round_robin(
    session: AsyncSession, *, municipality_id: int, team: str | None, now: datetime
) -> StaffMember | None:
    """The contact person in the team (or municipality) whose turn it is, under capacity."""
    query = select(StaffMember).where(
        StaffMember.municipality_id == municipality_id,
        StaffMember.role == "contact_person",
        col(StaffMember.active).is_(True),
    )
    if team:
        query = query.where(StaffMember.team == team)
    candidates = [s for s in (await session.exec(query)).all() if not is_away(s, now)]
    if not candidates:
        return None
    ids = [s.id for s in candidates]
    caseload = dict(
        (
            await session.exec(
                select(YoungPerson.contact_person_id, func.count())
                .where(
                    col(YoungPerson.contact_person_id).in_(ids),
                    col(YoungPerson.status).in_(("active", "paused")),
                )
                .group_by(col(YoungPerson.contact_person_id))
            )
        ).all()
    )
    open_count = dict(
        (
            await session.exec(
                select(Handoff.assignee_id, func.count())
                .where(col(Handoff.assignee_id).in_(ids), col(Handoff.status).in_(OPEN_STATUSES))
                .group_by(col(Handoff.assignee_id))
            )
        ).all()
    )
    last = dict(
        (
            await session.exec(
                select(Handoff.assignee_id, func.max(Handoff.id))
                .where(col(Handoff.assignee_id).in_(ids))
                .group_by(col(Handoff.assignee_id))
            )
        ).all()
    )
    free = [s for s in candidates if caseload.get(s.id, 0) + open_count.get(s.id, 0) < s.capacity]
    if not free:
        return None
    # Round robin: whoever was handed a conversation longest ago (or never) goes next.
    return min(free, key=lambda s: (last.get(s.id, 0), s.id or 0))


async def responder(
    session: AsyncSession, *, person: YoungPerson, now: datetime
) -> StaffMember | None:
    """Whoever answers the young person now (see `route`)."""
    return (await route(session, person=person, now=now)).staff


async def responder_name(
    session: AsyncSession, *, person: YoungPerson, now: datetime
) -> str | None:
    """The first name of whoever answers, for telling the young person."""
    staff = await responder(session, person=person, now=now)
    return first_name(staff) if staff else None


async def assignee(session: AsyncSession, *, person_id: int) -> StaffMember | None:
    """Who the young person's open handoff went to, if it is open and assigned."""
    held = await active_handoff(session, person_id=person_id)
    if held is None or held.assignee_id is None:
        return None
    return await session.get(StaffMember, held.assignee_id)


def first_name(staff: StaffMember) -> str:
    """'Mette' for 'Mette Hansen'."""
    return staff.name.split()[0] if staff.name.strip() else staff.name
