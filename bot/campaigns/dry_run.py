"""Who would get what and when over the next weeks, on a simulated clock, sending nothing.

For recurring and date-relative campaigns, before they are switched on: the same planning
the sweep does, read instead of written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.campaigns.models import HOLDOUT, Campaign
from bot.campaigns.planning import (
    Target,
    arm_of,
    everyone,
    local_to_utc,
    read,
    relative_targets,
)
from bot.campaigns.spec import CampaignSpec, cron_trigger
from bot.database import Database
from bot.municipalities.models import Municipality

LISTED = 50


@dataclass
class DryRun:
    """Messages per local day, and the first ones in full."""

    total: int = 0
    holdout: int = 0
    per_day: Counter[date] = field(default_factory=Counter)
    first: list[tuple[datetime, int, str, str]] = field(default_factory=list)


async def dry_run(db: Database, campaign: Campaign, *, start: datetime, weeks: int) -> DryRun:
    """What the campaign would send from `start` for `weeks` weeks (today's audience)."""
    assert campaign.id is not None
    spec, place, zone = await read(db, campaign)
    until = start + timedelta(weeks=weeks)
    result = DryRun()
    async for batch in _batches(db, campaign, spec, start, until, place):
        for target in batch:
            arm = arm_of(spec, campaign.id, target.person_id)
            if arm == HOLDOUT:
                result.holdout += 1
                continue
            result.total += 1
            local = target.due_at.astimezone(zone)
            result.per_day[local.date()] += 1
            if len(result.first) < LISTED:
                result.first.append((local, target.person_id, target.occurrence, arm))
    result.first.sort()
    return result


async def _batches(
    db: Database,
    campaign: Campaign,
    spec: CampaignSpec,
    start: datetime,
    until: datetime,
    place: Municipality,
) -> AsyncIterator[list[Target]]:
    zone = ZoneInfo(place.timezone)
    schedule = spec.schedule
    if schedule.relative is not None:
        async for batch in relative_targets(db, campaign, spec, start, place, until):
            yield batch
        return
    moments: list[datetime] = []
    if schedule.at is not None:
        due = local_to_utc(schedule.at, zone)
        moments = [due] if start <= due <= until else []
    elif schedule.cron is not None:
        trigger = cron_trigger(schedule.cron, zone)
        fire = trigger.get_next_fire_time(None, start)
        while fire is not None and fire <= until and len(moments) < 500:
            moments.append(fire)
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    for moment in moments:
        async for batch in everyone(db, campaign, spec, moment, zone, moment):
            yield batch
