"""The check-in sweep: ask everyone whose check-in is due, once, and move their next time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkins import service
from bot.checkins.models import Checkin, CheckinSchedule
from bot.checkins.risk import rules
from bot.clock import utcnow
from bot.content.texts import system_text
from bot.conversation.models import ConversationState
from bot.database import Database
from bot.handoff.service import active_handoff
from bot.municipalities.models import Municipality
from bot.outbox.service import after_quiet_hours, enqueue
from bot.people.models import YoungPerson
from bot.people.service import preferred_identity
from bot.plans.service import get_plan
from bot.reminders.wording import step_choices
from bot.scheduler import Job
from bot.settings import Settings

log = structlog.get_logger(__name__)
ASK_STEP = "checkin.ask"


@dataclass
class CheckinSweep:
    """How many were asked, skipped, flagged or failed."""

    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, status: str) -> None:
        """Count one outcome."""
        self.outcomes[status] = self.outcomes.get(status, 0) + 1


async def question_text(session: AsyncSession, *, person: YoungPerson, language: str) -> str:
    """'Hvordan går det med dit mål: …?' with the plan's goal when there is one."""
    plan = await get_plan(session, person_id=person.id or 0)
    if plan is not None and plan.goal:
        return system_text("checkin_question", language, goal=plan.goal)
    return system_text("checkin_question_nogoal", language)


async def sweep_checkins(
    db: Database, now: datetime, *, batch: int = 200, on_sent: Callable[[], None] | None = None
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
            for schedule in due:
                try:
                    async with session.begin_nested():
                        status = await _ask(session, schedule, now)
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


async def _ask(session: AsyncSession, schedule: CheckinSchedule, now: datetime) -> str:
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
    text = await question_text(session, person=person, language=person.language)
    await enqueue(
        session,
        identity=identity,
        text=text,
        now=now,
        choices=step_choices(ASK_STEP, person.language),
        due_at=after_quiet_hours(now, municipality),
        nudge=True,
    )
    state = await session.get(ConversationState, person.id)
    if state is None:
        state = ConversationState(young_person_id=person.id or 0)
    state.flow, _, state.step = ASK_STEP.partition(".")
    state.data = {**state.data, "checkin_id": checkin.id}
    state.misses = 0
    state.updated_at = now
    session.add(state)
    return "asked"


async def sweep_due_checkins(
    db: Database, on_sent: Callable[[], None] | None = None
) -> CheckinSweep:
    """Send the check-ins due now (the scheduled job)."""
    result = await sweep_checkins(db, utcnow(), on_sent=on_sent)
    if result.outcomes:
        log.info("checkins.swept", **result.outcomes)
    return result


def jobs(settings: Settings) -> list[Job]:
    """The check-ins domain's periodic sweeps (every INDGANG_REMINDER_CHECKIN_SWEEP_SECONDS)."""
    return [Job("checkins.sweep", settings.reminder.checkin_sweep_seconds, sweep_due_checkins)]
