"""A claimed batch of reminders as plain rows, and what becomes of each.

Read for the whole batch in a few queries, with no ORM object per reminder: each reminder
with its young person and its appointment or milestone (one joined query), the identities
the young people are reached on, their municipalities, and their conversations, locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy import and_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.state import StateRow, take_rows
from bot.database import among
from bot.i18n import normalise_language
from bot.municipalities.models import Municipality
from bot.outbox.service import after_quiet_hours
from bot.people.models import YoungPerson
from bot.people.service import preferred_identity_rows
from bot.plans.models import Appointment, Milestone
from bot.reminders import conversation, wording
from bot.reminders.models import Reminder
from bot.reminders.planning import (
    APPOINTMENT,
    CANCELLED,
    DROPPED,
    LIVE_APPOINTMENT,
    MILESTONE_OVERDUE,
    SKIPPED,
)

log = structlog.get_logger(__name__)

_COLUMNS: tuple[Any, ...] = (
    Reminder.id,
    Reminder.young_person_id,
    Reminder.kind,
    Reminder.target_id,
    Reminder.offset_key,
    YoungPerson.status.label("person_status"),  # type: ignore[attr-defined]
    YoungPerson.language,
    YoungPerson.municipality_id,
    Appointment.starts_at,
    Appointment.place,
    Appointment.with_whom,
    Appointment.status.label("appointment_status"),  # type: ignore[attr-defined]
    Milestone.title,
    Milestone.due_date,
    Milestone.status.label("milestone_status"),  # type: ignore[attr-defined]
)


@dataclass(frozen=True)
class Due:
    """A reminder to be said: by which step, with what data, when, and to whom.

    Reminders with the same `alike` key are said the same (the same step, language,
    municipality, and what the step's view shows), so a sweep says them once.
    """

    reminder: Any  # the batch's row
    ref: str
    data: dict[str, Any]
    send_at: datetime
    identity: Any  # the preferred identity's row
    alike: tuple[Any, ...]

    @property
    def person_id(self) -> int:
        """The young person the reminder is for."""
        return int(self.reminder.young_person_id)


@dataclass
class Batch:
    """What a claimed batch of reminders needs to be decided, said and written."""

    reminders: list[Any]
    municipalities: dict[int, Municipality]
    identities: dict[int, Any]
    states: dict[int, StateRow]

    @classmethod
    async def load(cls, session: AsyncSession, ids: list[int]) -> Batch:
        """Read the batch; reminders of a young person someone else is changing right now
        are left out: untouched, they stay pending for the next round."""
        connection = await session.connection()
        reminders = list(
            (
                await connection.execute(
                    sa.select(*_COLUMNS)
                    .select_from(Reminder)
                    .outerjoin(YoungPerson, col(YoungPerson.id) == Reminder.young_person_id)
                    .outerjoin(
                        Appointment,
                        and_(
                            col(Reminder.kind) == APPOINTMENT,
                            col(Appointment.id) == Reminder.target_id,
                        ),
                    )
                    .outerjoin(
                        Milestone,
                        and_(
                            col(Reminder.kind) != APPOINTMENT,
                            col(Milestone.id) == Reminder.target_id,
                        ),
                    )
                    .where(among(session, col(Reminder.id), ids))
                    .order_by(col(Reminder.id))
                )
            ).all()
        )
        taken = await take_rows(session, {r.young_person_id for r in reminders})
        reminders = [r for r in reminders if r.young_person_id not in taken.busy]
        place_ids = {r.municipality_id for r in reminders if r.municipality_id is not None}
        places = (
            await session.exec(select(Municipality).where(col(Municipality.id).in_(place_ids)))
        ).all()
        return cls(
            reminders,
            {m.id or 0: m for m in places},
            await preferred_identity_rows(session, {r.young_person_id for r in reminders}),
            taken.states,
        )

    def decide(self, reminder: Any, now: datetime) -> str | Due:
        """The reminder's outcome when it is not sent (skipped, cancelled, dropped), or what
        to say."""
        if reminder.person_status not in ("active", "paused"):
            return SKIPPED
        identity = self.identities.get(reminder.young_person_id)
        if identity is None:
            log.info("reminder.unreachable", reminder_id=reminder.id)
            return SKIPPED
        municipality = self.municipalities[reminder.municipality_id]
        send_at = after_quiet_hours(now, municipality)
        place = (normalise_language(reminder.language), reminder.municipality_id)
        if reminder.kind == APPOINTMENT:
            if reminder.appointment_status not in LIVE_APPOINTMENT:
                return CANCELLED
            if send_at >= reminder.starts_at:
                log.info(
                    "reminder.dropped_too_late",
                    reminder_id=reminder.id,
                    offset=reminder.offset_key,
                )
                return DROPPED
            return Due(
                reminder,
                conversation.APPOINTMENT_STEP,
                {"appointment_id": reminder.target_id},
                send_at,
                identity,
                (conversation.APPOINTMENT_STEP, *place, *wording.appointment_inputs(reminder)),
            )
        if reminder.milestone_status != "open":
            return CANCELLED
        overdue = reminder.kind == MILESTONE_OVERDUE
        return Due(
            reminder,
            conversation.MILESTONE_STEP,
            {"milestone_id": reminder.target_id, "milestone_overdue": overdue},
            send_at,
            identity,
            (
                conversation.MILESTONE_STEP,
                *place,
                *wording.milestone_inputs(reminder, overdue=overdue),
            ),
        )
