"""Reminder times: local wall-clock offsets, daylight saving, quiet hours, too late to matter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlmodel import select

from bot.clock import clock
from bot.database import Database
from bot.people.models import YoungPerson
from bot.plans import changes
from bot.reminders import planning as reminders
from bot.reminders.models import Reminder
from bot.reminders.offsets import parse_offset
from bot.settings import ReminderSettings
from tests.world import CPH, local, one_person


async def _book(db: Database, person_id: int, starts_at: datetime) -> list[Reminder]:
    async with db.session() as session:
        person = await session.get(YoungPerson, person_id)
        assert person is not None
        appointment = await changes.add_appointment(
            session,
            person=person,
            starts_at=starts_at,
            place="Ungeindsatsen, Torvet 1",
            now=clock.now(),
        )
        return await reminders.pending_for(session, person_id=person_id) if appointment else []


@pytest.mark.parametrize(
    ("booked", "starts", "expected"),
    [
        # Friday, for next Tuesday 10:00: Saturday 16:00 and Monday 16:00.
        ((2026, 3, 6, 12), (2026, 3, 10, 10), [(2026, 3, 7, 16, 0), (2026, 3, 9, 16, 0)]),
        # Monday after the October change (summer time ended Sunday 25 October).
        ((2026, 10, 20, 12), (2026, 10, 26, 10), [(2026, 10, 23, 16, 0), (2026, 10, 25, 16, 0)]),
        # Monday after the March change (summer time began Sunday 29 March).
        ((2026, 3, 25, 12), (2026, 3, 30, 10), [(2026, 3, 27, 16, 0), (2026, 3, 29, 16, 0)]),
    ],
)
async def test_default_offsets_fall_at_local_wall_clock(
    db: Database,
    booked: tuple[int, ...],
    starts: tuple[int, ...],
    expected: list[tuple[int, ...]],
) -> None:
    clock.set(local(*booked))
    world = await one_person(db)
    planned = await _book(db, world.person_id, local(*starts))
    assert [r.due_at for r in planned] == [local(*e) for e in expected]
    assert [r.due_at.astimezone(CPH).hour for r in planned] == [16, 16]
    assert [r.offset_key for r in planned] == ["3d@16:00", "1d@16:00"]


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    """Each test stops the clock where it needs it; let time run again afterwards."""
    yield
    clock.reset()


async def test_october_change_utc_hours(db: Database) -> None:
    clock.set(local(2026, 10, 20, 12))
    world = await one_person(db)
    planned = await _book(db, world.person_id, local(2026, 10, 26, 10))
    # Before the change (Friday) 16:00 local is 14:00 UTC; after it (Sunday), 15:00.
    assert planned[0].due_at.hour == 14
    assert planned[1].due_at.hour == 15


async def test_reminder_in_quiet_hours_moves_to_their_end(db: Database) -> None:
    clock.set(local(2026, 3, 2, 9))
    world = await one_person(db)
    async with db.session() as session:
        person = await session.get(YoungPerson, world.person_id)
        assert person is not None
        appointment = await changes.add_appointment(
            session,
            person=person,
            starts_at=local(2026, 3, 4, 10),
            place="Torvet 1",
            now=clock.now(),
        )
        town = await session.get(reminders.Municipality, world.town_id)
        assert town is not None
        # 11 hours before Wednesday 10:00 is Tuesday 23:00: inside quiet hours.
        planned = await reminders.plan_appointment(
            session,
            appointment=appointment,
            person=person,
            municipality=town,
            now=clock.now(),
            settings=ReminderSettings(appointment_offsets=["11h"]),
        )
    assert [r.due_at for r in planned] == [local(2026, 3, 4, 8)]


async def _remind_day_before_and_two_hours_before(db: Database, town_id: int) -> None:
    async with db.session() as session:
        town = await session.get(reminders.Municipality, town_id)
        assert town is not None
        town.appointment_reminders = "1d@16:00,2h"
        session.add(town)


async def test_too_late_after_quiet_hours_is_not_planned(db: Database) -> None:
    clock.set(local(2026, 3, 2, 9))
    world = await one_person(db)
    await _remind_day_before_and_two_hours_before(db, world.town_id)
    # 07:30: the 2-hour reminder (05:30) would move to 08:00, after the meeting began.
    planned = await _book(db, world.person_id, local(2026, 3, 4, 7, 30))
    assert [r.offset_key for r in planned] == ["1d@16:00"]


async def test_moving_an_appointment_moves_its_reminders(db: Database) -> None:
    clock.set(local(2026, 3, 2, 9))
    world = await one_person(db)
    async with db.session() as session:
        person = await session.get(YoungPerson, world.person_id)
        assert person is not None
        appointment = await changes.add_appointment(
            session,
            person=person,
            starts_at=local(2026, 3, 10, 10),
            place="Torvet 1",
            now=clock.now(),
        )
        assert appointment.id is not None
        await changes.update_appointment(
            session,
            person=person,
            appointment_id=appointment.id,
            starts_at=local(2026, 3, 12, 14),
            now=clock.now(),
        )
        rows = (await session.exec(select(Reminder).order_by(Reminder.offset_key))).all()
    assert {r.offset_key: r.due_at for r in rows} == {
        "3d@16:00": local(2026, 3, 9, 16),
        "1d@16:00": local(2026, 3, 11, 16),
    }
    async with db.session() as session:
        await changes.update_appointment(
            session,
            person=person,
            appointment_id=appointment.id,
            status="cancelled",
            now=clock.now(),
        )
        assert await reminders.pending_for(session, person_id=world.person_id) == []


@pytest.mark.parametrize(
    ("key", "days", "hours"), [("1d@16:00", -1, None), ("+1d@10:00", 1, None), ("2h", 0, 2)]
)
def test_offsets_parse(key: str, days: int, hours: int | None) -> None:
    offset = parse_offset(key)
    assert offset.days == days
    assert (offset.before.total_seconds() / 3600 if offset.before else None) == hours


@pytest.mark.parametrize("key", ["", "tomorrow", "1d", "25:00", "1d@1600"])
def test_bad_offsets_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="bad reminder offset"):
        parse_offset(key)
