"""Deleting closed cases once the municipality's retention period has passed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.database import Database
from bot.municipalities.models import Municipality
from bot.people.models import YoungPerson
from bot.privacy import person_rows
from bot.privacy.models import RetentionCount

log = structlog.get_logger(__name__)


@dataclass
class Expired:
    """One closed case past its retention period, and what it holds (or held)."""

    municipality_id: int
    young_person_id: int
    closed_at: datetime
    rows: dict[str, int] = field(default_factory=dict)
    deleted: bool = False


async def expired_cases(session: AsyncSession, *, now: datetime) -> list[Expired]:
    """Closed cases whose closing lies at least `retention_days` before `now`."""
    found = []
    every = await session.exec(select(Municipality).order_by(col(Municipality.id)))
    for municipality in every.all():
        cutoff = now - timedelta(days=municipality.retention_days)
        people = await session.exec(
            select(YoungPerson)
            .where(
                YoungPerson.municipality_id == municipality.id,
                YoungPerson.status == "closed",
                col(YoungPerson.closed_at).is_not(None),
                col(YoungPerson.closed_at) <= cutoff,
            )
            .order_by(col(YoungPerson.id))
        )
        for person in people.all():
            assert municipality.id is not None and person.id is not None and person.closed_at
            found.append(Expired(municipality.id, person.id, person.closed_at))
    return found


async def _add_counts(
    session: AsyncSession, *, municipality: Municipality, now: datetime, messages: int
) -> None:
    day = now.astimezone(ZoneInfo(municipality.timezone)).date()
    row = (
        await session.exec(
            select(RetentionCount).where(
                RetentionCount.municipality_id == municipality.id, RetentionCount.day == day
            )
        )
    ).first()
    if row is None:
        assert municipality.id is not None
        row = RetentionCount(municipality_id=municipality.id, day=day)
    row.messages_deleted += messages
    row.people_deleted += 1
    session.add(row)


async def sweep_retention(db: Database, now: datetime, dry_run: bool = False) -> list[Expired]:
    """Delete expired closed cases, keeping anonymous counts; dry_run only lists them.

    Safe to run twice (a deleted case is not found again). Each case is deleted in its own
    transaction, so one failure leaves the others done.
    """
    async with db.session() as session:
        cases = await expired_cases(session, now=now)
        for case in cases:
            case.rows = await person_rows.count_rows(session, [case.young_person_id])
    if dry_run:
        return cases
    for case in cases:
        try:
            async with db.session() as session:
                case.rows = await person_rows.delete_rows(session, [case.young_person_id])
                municipality = await session.get(Municipality, case.municipality_id)
                assert municipality is not None
                await _add_counts(
                    session,
                    municipality=municipality,
                    now=now,
                    messages=case.rows.get("message", 0),
                )
                await audit.record(
                    session,
                    staff=None,
                    young_person_id=case.young_person_id,
                    action="retention_deleted",
                    municipality_id=municipality.id,
                    detail=f"closed {case.closed_at.date().isoformat()}",
                )
            case.deleted = True
        except Exception:
            log.exception("retention.failed", young_person_id=case.young_person_id)
    log.info("retention.swept", cases=len(cases), deleted=sum(c.deleted for c in cases))
    return cases
