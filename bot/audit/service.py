"""Writing and listing audit events: who read or changed what about a young person."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit.models import ACTIONS, AuditEvent
from bot.clock import utcnow
from bot.people.models import YoungPerson
from bot.staff.models import StaffMember


async def record(
    session: AsyncSession,
    *,
    staff: StaffMember | None,
    young_person_id: int | None,
    action: str,
    detail: str = "",
    now: datetime | None = None,
    municipality_id: int | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction (never a message body).

    `staff=None` is the system itself (e.g. retention); then the municipality is given or
    taken from the young person. `action` is one of ACTIONS (a ValueError otherwise).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: add it to bot.audit.models.ACTIONS")
    owner = (
        municipality_id
        if municipality_id is not None
        else (staff.municipality_id if staff is not None else None)
    )
    if owner is None and young_person_id is not None:
        person = await session.get(YoungPerson, young_person_id)
        owner = person.municipality_id if person is not None else None
    if owner is None:
        raise ValueError("an audit event needs a municipality")
    event = AuditEvent(
        municipality_id=owner,
        staff_id=staff.id if staff else None,
        young_person_id=young_person_id,
        action=action,
        detail=detail[:300],
        at=now or utcnow(),
    )
    session.add(event)
    return event


async def events_for(
    session: AsyncSession,
    *,
    young_person_id: int,
    municipality_id: int | None = None,
    limit: int = 500,
) -> list[AuditEvent]:
    """The newest audit events about one young person, newest first."""
    query = select(AuditEvent).where(AuditEvent.young_person_id == young_person_id)
    if municipality_id is not None:
        query = query.where(AuditEvent.municipality_id == municipality_id)
    result = await session.exec(
        query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc()).limit(limit)
    )
    return list(result.all())


async def for_person(
    session: AsyncSession, *, municipality_id: int, young_person_id: int, limit: int = 200
) -> list[AuditEvent]:
    """The events about one young person within one municipality (the inbox's list)."""
    return await events_for(
        session, young_person_id=young_person_id, municipality_id=municipality_id, limit=limit
    )
