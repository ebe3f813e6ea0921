"""Right of access and erasure: what we hold about a young person, and removing it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.audit.models import AuditEvent
from bot.checkins.models import Checkin
from bot.conversation.models import Message
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans.models import Appointment, Milestone, Plan
from bot.privacy import person_rows
from bot.staff.models import StaffMember

ADMIN = "admin"


class NotAllowed(PermissionError):
    """The staff member may not do this to this young person."""


class NotFound(LookupError):
    """No such young person (or not in the staff member's municipality)."""


@dataclass(frozen=True)
class Facts:
    """What the young person sees when they ask what we know about them."""

    first_name: str | None
    birth_year: int | None
    language: str
    channels: tuple[str, ...]
    messages: int
    has_plan: bool
    milestones: int
    appointments: int
    checkins: int


async def _count(session: AsyncSession, statement: object) -> int:
    return int((await session.exec(statement)).one())  # type: ignore[call-overload]


async def facts(session: AsyncSession, *, person: YoungPerson) -> Facts:
    """Count what is stored about a young person, for a plain summary."""
    pid = person.id
    channels = (
        await session.exec(
            select(ChannelIdentity.channel)
            .where(ChannelIdentity.young_person_id == pid)
            .order_by(col(ChannelIdentity.id))
        )
    ).all()
    messages = await _count(
        session, select(func.count()).select_from(Message).where(Message.young_person_id == pid)
    )
    plan = (await session.exec(select(Plan).where(Plan.young_person_id == pid))).first()
    milestones = appointments = 0
    if plan is not None:
        milestones = await _count(
            session, select(func.count()).select_from(Milestone).where(Milestone.plan_id == plan.id)
        )
        appointments = await _count(
            session,
            select(func.count()).select_from(Appointment).where(Appointment.plan_id == plan.id),
        )
    checkins = await _count(
        session,
        select(func.count())
        .select_from(Checkin)
        .where(Checkin.young_person_id == pid, col(Checkin.answered_at).is_not(None)),
    )
    return Facts(
        person.first_name,
        person.birth_year,
        person.language,
        tuple(dict.fromkeys(channels)),
        messages,
        plan is not None,
        milestones,
        appointments,
        checkins,
    )


async def person_for_staff(
    session: AsyncSession, *, person_id: int, staff: StaffMember | None
) -> YoungPerson:
    """The young person, if the staff member's municipality owns them (None: system use)."""
    person = await session.get(YoungPerson, person_id)
    if person is None or (staff is not None and person.municipality_id != staff.municipality_id):
        raise NotFound(f"no young person {person_id}")
    return person


async def staff_by_email(session: AsyncSession, email: str) -> StaffMember | None:
    """An active staff member by e-mail address."""
    result = await session.exec(
        select(StaffMember).where(
            func.lower(StaffMember.email) == email.strip().lower(),
            StaffMember.active == True,  # noqa: E712
        )
    )
    return result.first()


async def erase(session: AsyncSession, *, person_id: int, by: StaffMember) -> dict[str, int]:
    """Delete everything about a young person on an admin's order; the audit event remains."""
    if by.role != ADMIN:
        raise NotAllowed("only an admin can erase a young person's data")
    person = await person_for_staff(session, person_id=person_id, staff=by)
    municipality_id = person.municipality_id
    counts = await person_rows.delete_rows(session, [person_id])
    # Numbers only: the event says that it happened and how much, never what was said.
    summary = ", ".join(f"{table}={n}" for table, n in sorted(counts.items()))
    await audit.record(
        session,
        staff=by,
        young_person_id=person_id,
        action="erased",
        detail=summary,
        municipality_id=municipality_id,
    )
    return counts


async def audit_trail(session: AsyncSession, *, person_id: int) -> list[AuditEvent]:
    """Every audit event about a young person, oldest first, without a limit (for exports)."""
    result = await session.exec(
        select(AuditEvent)
        .where(AuditEvent.young_person_id == person_id)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    return list(result.all())
