"""The retention sweep as a scheduled job: closed cases past their retention period go."""

from __future__ import annotations

from collections.abc import Callable

from bot.clock import utcnow
from bot.database import Database
from bot.privacy.retention import sweep_retention
from bot.scheduler import Job
from bot.settings import Settings

# Retention is measured in days; looking once an hour is plenty and cheap.
RETENTION_SECONDS = 3600.0


async def sweep_expired_cases(db: Database, _wake: Callable[[], None] | None = None) -> None:
    """Delete closed cases past their municipality's retention period."""
    await sweep_retention(db, utcnow())


def jobs(_settings: Settings) -> list[Job]:
    """The privacy domain's periodic sweeps."""
    return [Job("privacy.retention", RETENTION_SECONDS, sweep_expired_cases)]
