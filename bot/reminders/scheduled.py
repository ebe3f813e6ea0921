"""The reminder sweep as a scheduled job: named, safe to run twice, one batch at a time."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from bot.clock import utcnow
from bot.conversation.engine import Engine
from bot.database import Database
from bot.reminders.missed import MissedResult, sweep_missed
from bot.reminders.sweep import SweepResult, sweep_due
from bot.scheduler import Job
from bot.settings import Settings

log = structlog.get_logger(__name__)


def jobs(settings: Settings, engine: Engine) -> list[Job]:
    """The reminders domain's periodic sweeps (every INDGANG_REMINDER_SWEEP_SECONDS)."""

    async def sweep(db: Database, on_sent: Callable[[], None] | None = None) -> SweepResult:
        """Write outbox rows for every reminder due now."""
        result = await sweep_due(db, engine, utcnow(), on_sent=on_sent)
        if result.claimed:
            log.info("reminders.swept", claimed=result.claimed, **result.outcomes)
        return result

    async def missed(db: Database, on_sent: Callable[[], None] | None = None) -> MissedResult:
        """Follow up meetings nobody marked held ("Vi savnede dig")."""
        result = await sweep_missed(db, engine, utcnow())
        if result.flagged:
            log.info("reminders.missed", flagged=result.flagged, told=result.told)
        if result.told and on_sent is not None:
            on_sent()
        return result

    return [
        Job("reminders.sweep", settings.reminder.sweep_seconds, sweep),
        Job("reminders.missed", settings.reminder.sweep_seconds, missed),
    ]
