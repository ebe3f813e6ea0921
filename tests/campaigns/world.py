"""Campaign test helpers: a spec in a line, started, and swept at a given time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from bot.campaigns import service
from bot.campaigns.models import RUNNING, Campaign, CampaignDelivery
from bot.campaigns.planning import plan_due
from bot.campaigns.sending import SendResult, send_due
from bot.campaigns.spec import CampaignSpec
from bot.database import Database
from bot.settings import CampaignSettings
from bot.wiring import build_engine

ENGINE = build_engine()


def spec(**fields: Any) -> CampaignSpec:
    """A campaign for municipality 0999 to everyone active; fields replace parts (None drops)."""
    base: dict[str, Any] = {
        "name": "Husk ansøgning",
        "municipality": "0999",
        "audience": {"status": ["active"]},
        "text": {"da": "Hej {first_name}. Husk at søge ind. Hilsen {contact_name}"},
        "schedule": {"at": "2026-03-03T11:00:00"},
    }
    merged = {key: value for key, value in {**base, **fields}.items() if value is not None}
    return CampaignSpec.model_validate(merged)


async def started(db: Database, campaign_spec: CampaignSpec, now: datetime) -> int:
    """Create and start a campaign; its id."""
    async with db.session() as session:
        campaign = await service.create(session, campaign_spec, staff=None, now=now)
        await service.set_status(session, campaign, RUNNING, staff=None, now=now)
        return campaign.id or 0


async def sweep(
    db: Database, now: datetime, settings: CampaignSettings | None = None
) -> SendResult:
    """Plan what is due and queue what is due, as the scheduled job does."""
    await plan_due(db, now)
    return await send_due(db, ENGINE, now, settings=settings or CampaignSettings())


async def deliveries(db: Database, campaign_id: int) -> list[CampaignDelivery]:
    """The campaign's delivery rows in id order."""
    async with db.session() as session:
        rows = await session.exec(
            select(CampaignDelivery)
            .where(CampaignDelivery.campaign_id == campaign_id)
            .order_by(col(CampaignDelivery.id))
        )
        return list(rows.all())


async def campaign(db: Database, campaign_id: int) -> Campaign:
    """The campaign row."""
    async with db.session() as session:
        row = await session.get(Campaign, campaign_id)
        assert row is not None
        return row
