"""The check-in sweep: ask everyone whose check-in is due, once, and move their next time.

The question is said by `Engine.start` on `checkin.ask`, the step that reads the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkins import service
from bot.checkins.conversation import ASK_STEP
from bot.checkins.models import Checkin, CheckinSchedule
from bot.checkins.risk import rules
from bot.clock import utcnow
from bot.conversation.engine import Engine
from bot.conversation.models import ConversationState
from bot.conversation.state import locked_state, take_states
from bot.conversation.turn import Turn
from bot.database import Database
from bot.handoff.service import active_handoff
from bot.municipalities.models import Municipality
from bot.outbox.service import Outgoing, after_quiet_hours, enqueue_many
from bot.people.models import YoungPerson
from bot.people.service import preferred_identity
from bot.scheduler import Job
from bot.settings import Settings

log = structlog.get_logger(__name__)


@dataclass
class CheckinSweep:
    """How many were asked, skipped, flagged or failed."""

    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, status: str) -> None:
        """Count one outcome."""
        self.outcomes[status] = self.outcomes.get(status, 0) + 1


async def sweep_checkins(
    db: Database,
    engine: Engine,
    now: datetime,
    *,
    batch: int = 200,
    on_sent: Callable[[], None] | None = None,
) -> CheckinSweep:
    """Send every due check-in; safe to run twice and side by side."""
    result = CheckinSweep()
    while True:
        async with db.session() as session:
            due = (
                await session.exec(
                    select(CheckinSchedule)
                    .where(
                        col(CheckinSchedule.paused).is_(False),
                        col(CheckinSchedule.next_at).is_not(None),
                        col(CheckinSchedule.next_at) <= now,
                    )
                    .order_by(col(CheckinSchedule.next_at))
                    .limit(batch)
                    # PostgreSQL: a parallel sweep skips these; SQLite sweeps take turns anyway.
                    .with_for_update(skip_locked=True)
                )
            ).all()
            # The batch's conversations locked at once; a busy one's check-in waits a round.
            taken = await take_states(session, [schedule.young_person_id for schedule in due])
            for schedule in due:
                if schedule.young_person_id in taken.busy:
                    continue
                try:
                    async with session.begin_nested():
                        status = await _ask(session, engine, schedule, now)
                except Exception:
                    log.exception("checkin.failed", young_person_id=schedule.young_person_id)
                    status = "failed"
                    # Move on regardless, so one broken row is not retried every minute.
                    schedule.next_at = None
                    session.add(schedule)
                result.add(status)
        if result.outcomes.get("asked") and on_sent is not None:
            on_sent()
        if len(due) < batch:
            return result


async def _ask(
    session: AsyncSession, engine: Engine, schedule: CheckinSchedule, now: datetime
) -> str:
    person = await session.get(YoungPerson, schedule.young_person_id)
    municipality = await session.get(Municipality, person.municipality_id) if person else None
    if person is None or municipality is None or person.status != "active":
        schedule.next_at = None
        session.add(schedule)
        return "skipped"
    schedule.next_at = service.next_time(
        schedule, after=now, zone=ZoneInfo(municipality.timezone), after_send=True
    )
    session.add(schedule)
    if await service.silent_streak(session, person=person):
        await service.raise_risk(session, person=person, reason=rules().no_answer.reason, now=now)
        return "flagged"
    if await active_handoff(session, person_id=person.id or 0) is not None:
        # A human holds the conversation; a check-in now would talk over them.
        return "skipped"
    identity = await preferred_identity(session, person_id=person.id or 0)
    if identity is None:
        return "skipped"
    checkin = Checkin(young_person_id=person.id or 0, sent_at=now)
    session.add(checkin)
    await session.flush()
    state = await locked_state(session, person.id or 0) or ConversationState(
        young_person_id=person.id or 0
    )
    session.add(state)
    turn = Turn.started(
        session, person=person, identity=identity, municipality=municipality, state=state, now=now
    )
    # The question is said by the step that reads the answer, with its choices.
    replies = await engine.start(turn, ASK_STEP, data={"checkin_id": checkin.id})
    due_at = after_quiet_hours(now, municipality)
    await enqueue_many(
        session,
        [Outgoing(identity, reply.text, due_at, reply.choices, nudge=True) for reply in replies],
        now=now,
    )
    return "asked"


def jobs(settings: Settings, engine: Engine) -> list[Job]:
    """The check-ins domain's periodic sweeps (every INDGANG_REMINDER_CHECKIN_SWEEP_SECONDS)."""

    async def sweep(db: Database, on_sent: Callable[[], None] | None = None) -> CheckinSweep:
        """Send the check-ins due now."""
        result = await sweep_checkins(db, engine, utcnow(), on_sent=on_sent)
        if result.outcomes:
            log.info("checkins.swept", **result.outcomes)
        return result

    return [Job("checkins.sweep", settings.reminder.checkin_sweep_seconds, sweep)]
