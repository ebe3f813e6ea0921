"""Retention: closed cases are deleted after the municipality's period; counts remain."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.audit.models import AuditEvent
from bot.clock import clock, utcnow
from bot.conversation.models import Message
from bot.database import Database
from bot.municipalities.models import Municipality
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans.models import Plan
from bot.privacy.models import RetentionCount
from bot.privacy.retention import sweep_retention
from tests.support import Harness
from tests.world import AHMED, SOFIE, youth_service

pytestmark = pytest.mark.usefixtures("frozen_clock")


async def close_sofie(db: Database, *, retention_days: int = 30) -> tuple[int, int, datetime]:
    """The youth service; both young people chat; Sofie's case is closed now."""
    await youth_service(db)
    for visitor in (SOFIE, AHMED):
        await Harness(db, address=visitor).say("hej")
    closed = utcnow()
    async with db.session() as session:
        town = (await session.exec(select(Municipality))).one()
        town.retention_days = retention_days
        session.add(town)
        ids = {}
        for person in (await session.exec(select(YoungPerson))).all():
            ids[person.first_name] = person.id
            if person.first_name == "Sofie":
                person.status, person.closed_at = "closed", closed
                session.add(person)
    return ids["Sofie"], ids["Ahmed"], closed


async def count(db: Database, model: type, **where: object) -> int:
    async with db.session() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int((await session.exec(query)).one())


async def test_31_days_after_closing_the_case_is_deleted_and_counts_remain(db: Database) -> None:
    sofie, ahmed, closed = await close_sofie(db)
    clock.set(closed + timedelta(days=31))
    cases = await sweep_retention(db, utcnow())
    assert [(c.young_person_id, c.deleted) for c in cases] == [(sofie, True)]
    assert cases[0].rows["message"] == 2
    assert await count(db, Message, young_person_id=sofie) == 0
    assert await count(db, ChannelIdentity, young_person_id=sofie) == 0
    assert await count(db, Plan, young_person_id=sofie) == 0
    assert await count(db, YoungPerson, id=sofie) == 0
    # Ahmed's open case is untouched.
    assert await count(db, Message, young_person_id=ahmed) == 2
    async with db.session() as session:
        [counts] = (await session.exec(select(RetentionCount))).all()
        events = (await session.exec(select(AuditEvent))).all()
    assert (counts.messages_deleted, counts.people_deleted) == (2, 1)
    assert counts.day == (closed + timedelta(days=31)).date()
    assert [(e.action, e.young_person_id, e.staff_id) for e in events] == [
        ("retention_deleted", sofie, None)
    ]
    # Running again finds nothing and changes no count.
    assert await sweep_retention(db, utcnow()) == []
    assert await count(db, RetentionCount) == 1


async def test_29_days_after_closing_nothing_is_deleted(db: Database) -> None:
    sofie, _, closed = await close_sofie(db)
    clock.set(closed + timedelta(days=29))
    assert await sweep_retention(db, utcnow()) == []
    assert await count(db, Message, young_person_id=sofie) == 2
    assert await count(db, RetentionCount) == 0


async def test_dry_run_lists_and_deletes_nothing(db: Database) -> None:
    sofie, _, closed = await close_sofie(db)
    clock.set(closed + timedelta(days=31))
    [case] = await sweep_retention(db, utcnow(), dry_run=True)
    assert case.young_person_id == sofie and not case.deleted
    assert case.rows["message"] == 2 and case.rows["young_person"] == 1
    assert await count(db, Message, young_person_id=sofie) == 2
    assert await count(db, RetentionCount) == 0


async def test_active_people_are_never_swept_however_old(db: Database) -> None:
    _, ahmed, closed = await close_sofie(db)
    clock.set(closed + timedelta(days=3650))
    cases = await sweep_retention(db, utcnow())
    assert ahmed not in [c.young_person_id for c in cases]
    assert await count(db, Message, young_person_id=ahmed) == 2


@pytest.mark.parametrize(
    ("days", "after", "deleted"), [(30, 30, True), (90, 89, False), (90, 91, True)]
)
async def test_period_is_per_municipality(
    db: Database, days: int, after: int, deleted: bool
) -> None:
    sofie, _, closed = await close_sofie(db, retention_days=days)
    clock.set(closed + timedelta(days=after))
    await sweep_retention(db, utcnow())
    assert (await count(db, YoungPerson, id=sofie) == 0) is deleted


async def test_the_scheduler_runs_retention(db: Database) -> None:
    from bot.scheduler import Scheduler
    from bot.settings import get_settings
    from bot.wiring import build_engine
    from bot.workers import scheduled_jobs

    sofie, _ahmed, _closed = await close_sofie(db)
    clock.advance(timedelta(days=31))
    jobs = scheduled_jobs(get_settings(), build_engine())
    job = next(j for j in jobs if j.name == "privacy.retention")
    scheduler = Scheduler(db, jobs=[job])
    assert await scheduler.run_job(job)
    await scheduler.stop()
    async with db.session() as session:
        assert await session.get(YoungPerson, sofie) is None
