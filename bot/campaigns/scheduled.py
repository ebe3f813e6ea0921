"""The campaign sweep as a scheduled job: plan what is due, then queue what is due."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from bot.campaigns.planning import plan_due
from bot.campaigns.sending import SendResult, send_due
from bot.clock import utcnow
from bot.conversation.engine import Engine
from bot.database import Database
from bot.scheduler import Job
from bot.settings import Settings

log = structlog.get_logger(__name__)


def jobs(settings: Settings, engine: Engine) -> list[Job]:
    """The campaigns domain's periodic sweep (every INDGANG_CAMPAIGN_SWEEP_SECONDS)."""

    async def sweep(db: Database, on_sent: Callable[[], None] | None = None) -> SendResult:
        now = utcnow()
        await plan_due(db, now)
        result = await send_due(db, engine, now, settings=settings.campaign, on_sent=on_sent)
        if result.queued or result.skipped:
            log.info("campaigns.swept", queued=result.queued, **result.skipped)
        return result

    return [Job("campaigns.sweep", settings.campaign.sweep_seconds, sweep)]
