"""The reminder sweep as a scheduled job: named, safe to run twice, one batch at a time."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from bot.clock import utcnow
from bot.database import Database
from bot.reminders.sweep import SweepResult, sweep_due
from bot.scheduler import Job
from bot.settings import Settings

log = structlog.get_logger(__name__)


async def sweep_reminders(db: Database, on_sent: Callable[[], None] | None = None) -> SweepResult:
    """Write outbox rows for every reminder due now."""
    result = await sweep_due(db, utcnow(), on_sent=on_sent)
    if result.claimed:
        log.info("reminders.swept", claimed=result.claimed, **result.outcomes)
    return result


def jobs(settings: Settings) -> list[Job]:
    """The reminders domain's periodic sweeps (every INDGANG_REMINDER_SWEEP_SECONDS)."""
    return [Job("reminders.sweep", settings.reminder.sweep_seconds, sweep_reminders)]
