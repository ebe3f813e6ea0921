"""Campaign test helpers: a spec in a line, started, and swept at a given time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, select

from bot.campaigns import service
from bot.campaigns.models import RUNNING, Campaign, CampaignDelivery
from bot.campaigns.planning import plan_due
from bot.campaigns.sending import SendResult, send_due
from bot.campaigns.spec import CampaignSpec
from bot.database import Database
from bot.handoff.models import Handoff
from bot.people.models import ChannelIdentity, YoungPerson
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


async def crowd(
    db: Database, town_id: int, now: datetime, per_channel: int, left_out: dict[str, int]
) -> dict[str, list[str]]:
    """Reachable young people (`per_channel` on Telegram, as many on SMS) and, per reason in
    `left_out` (opted_out, no_channel, paused, in_handoff, unreachable), some who must be left
    out. Their addresses by kind: 'telegram', 'sms', and 'left_out' (the left out who have one).
    """
    people: list[dict[str, object]] = []
    kinds: list[str] = []
    for channel in ("telegram", "sms"):
        people += [{"municipality_id": town_id, "first_name": f"U{i}"} for i in range(per_channel)]
        kinds += [channel] * per_channel
    for reason, count in left_out.items():
        status = "paused" if reason == "paused" else "active"
        people += [{"municipality_id": town_id, "status": status} for _ in range(count)]
        kinds += [reason] * count
    async with db.session() as session:
        await session.exec(
            insert(YoungPerson), params=[{**p, "language": "da", "created_at": now} for p in people]
        )
        ids = (
            await session.exec(
                select(YoungPerson.id)
                .where(YoungPerson.municipality_id == town_id)
                .order_by(col(YoungPerson.id))
            )
        ).all()
        addresses: dict[str, list[str]] = {"telegram": [], "sms": [], "left_out": []}
        identities = []
        handoffs = []
        for n, (person_id, kind) in enumerate(zip(ids, kinds, strict=True)):
            if kind == "no_channel":
                continue
            channel = "sms" if kind == "sms" else "telegram"
            address = f"+45201{n:05d}" if channel == "sms" else str(7_000_000 + n)
            addresses[kind if kind in addresses else "left_out"].append(address)
            identities.append(
                {
                    "young_person_id": person_id,
                    "channel": channel,
                    "address": address,
                    "verified": True,
                    "opted_out_at": now if kind == "opted_out" else None,
                    "unreachable_at": now if kind == "unreachable" else None,
                    "created_at": now,
                }
            )
            if kind == "in_handoff":
                handoffs.append(
                    {
                        "young_person_id": person_id,
                        "municipality_id": town_id,
                        "reason": "user_request",
                        "status": "open",
                        "created_at": now,
                    }
                )
        await session.exec(insert(ChannelIdentity), params=identities)
        await session.exec(insert(Handoff), params=handoffs)
    return addresses
