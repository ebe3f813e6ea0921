"""Planning reminder rows: when each reminder of an appointment or a milestone falls due."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.municipalities.models import Municipality
from bot.outbox.service import after_quiet_hours
from bot.people.models import YoungPerson
from bot.plans.models import Appointment, Milestone
from bot.reminders.models import Reminder
from bot.reminders.offsets import parse_offset
from bot.settings import ReminderSettings, get_settings

log = structlog.get_logger(__name__)

APPOINTMENT = "appointment"
MILESTONE = "milestone"
MILESTONE_OVERDUE = "milestone_overdue"
PENDING, SENT = "pending", "sent"
DROPPED, CANCELLED, SKIPPED, FAILED = "dropped", "cancelled", "skipped", "failed"
LIVE_APPOINTMENT = ("planned", "confirmed")


async def _upsert(
    session: AsyncSession,
    *,
    person_id: int,
    kind: str,
    target_id: int,
    due: dict[str, datetime],
    now: datetime,
) -> list[Reminder]:
    """Make the target's pending reminders match `due` (offset_key -> UTC time)."""
    existing = {
        r.offset_key: r
        for r in (
            await session.exec(
                select(Reminder).where(Reminder.kind == kind, Reminder.target_id == target_id)
            )
        ).all()
    }
    planned = []
    for key, stale in existing.items():
        if key not in due and stale.status == PENDING:
            stale.status = CANCELLED
            session.add(stale)
    for key, when in due.items():
        row = existing.get(key)
        if when <= now:
            # Booked too late for this one (the 16:00 reminder for a meeting booked at 17:00).
            if row is not None and row.status == PENDING:
                row.status = CANCELLED
                session.add(row)
            continue
        if row is None:
            row = Reminder(
                young_person_id=person_id,
                kind=kind,
                target_id=target_id,
                offset_key=key,
                due_at=when,
            )
        elif row.due_at != when or row.status in (CANCELLED, DROPPED):
            # The target moved: remind again about the new time, even if the old one went out.
            row.due_at, row.status, row.message_id = when, PENDING, None
        session.add(row)
        planned.append(row)
    await session.flush()
    return planned


async def plan_appointment(
    session: AsyncSession,
    *,
    appointment: Appointment,
    person: YoungPerson,
    municipality: Municipality,
    now: datetime,
    settings: ReminderSettings | None = None,
) -> list[Reminder]:
    """(Re)plan an appointment's reminders; a cancelled or past one gets none."""
    assert appointment.id is not None and person.id is not None
    settings = settings or get_settings().reminder
    zone = ZoneInfo(municipality.timezone)
    due: dict[str, datetime] = {}
    if appointment.status in LIVE_APPOINTMENT:
        for key in appointment_offsets(municipality, settings):
            raw = parse_offset(key).due(appointment.starts_at, zone)
            when = after_quiet_hours(raw, municipality)
            if when >= appointment.starts_at:
                log.info(
                    "reminder.too_late", kind=APPOINTMENT, target_id=appointment.id, offset=key
                )
                continue
            due[key] = when
    return await _upsert(
        session, person_id=person.id, kind=APPOINTMENT, target_id=appointment.id, due=due, now=now
    )


def appointment_offsets(municipality: Municipality, settings: ReminderSettings) -> list[str]:
    """The municipality's own meeting reminders ("3d@16:00,1d@16:00"), else the default."""
    own = []
    for key in filter(None, (k.strip() for k in municipality.appointment_reminders.split(","))):
        try:
            own.append(parse_offset(key).key)
        except ValueError:
            log.warning("reminder.bad_offset", municipality_id=municipality.id, offset=key)
    return own or list(settings.appointment_offsets)


async def plan_milestone(
    session: AsyncSession,
    *,
    milestone: Milestone,
    person: YoungPerson,
    municipality: Municipality,
    now: datetime,
    settings: ReminderSettings | None = None,
) -> list[Reminder]:
    """(Re)plan a milestone's reminder before its due date and its overdue follow-up."""
    assert milestone.id is not None and person.id is not None
    settings = settings or get_settings().reminder
    zone = ZoneInfo(municipality.timezone)
    before: dict[str, datetime] = {}
    after: dict[str, datetime] = {}
    if milestone.status == "open" and milestone.due_date is not None:
        for key in settings.milestone_before:
            raw = parse_offset(key).on_day(milestone.due_date, zone)
            before[key] = after_quiet_hours(raw, municipality)
        for key in settings.milestone_overdue:
            raw = parse_offset(key).on_day(milestone.due_date, zone)
            after[key] = after_quiet_hours(raw, municipality)
    rows = await _upsert(
        session, person_id=person.id, kind=MILESTONE, target_id=milestone.id, due=before, now=now
    )
    return rows + await _upsert(
        session,
        person_id=person.id,
        kind=MILESTONE_OVERDUE,
        target_id=milestone.id,
        due=after,
        now=now,
    )


async def pending_for(session: AsyncSession, *, person_id: int) -> list[Reminder]:
    """A young person's planned reminders, soonest first."""
    result = await session.exec(
        select(Reminder)
        .where(Reminder.young_person_id == person_id, Reminder.status == PENDING)
        .order_by(col(Reminder.due_at), col(Reminder.id))
    )
    return list(result.all())
