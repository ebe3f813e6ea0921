"""How a campaign is going and what it did: progress counts, and outcomes per arm with a
confidence interval for the difference, saying plainly when the numbers are too small."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func
from sqlmodel import col, select

from bot.campaigns.models import HOLDOUT, Campaign, CampaignDelivery
from bot.campaigns.spec import CampaignSpec
from bot.conversation.models import INBOUND, Message
from bot.database import Database
from bot.outbox.models import OutboxItem
from bot.people.models import ChannelIdentity
from bot.plans.models import Appointment, Milestone, Plan

# Below this many per arm, or when the interval spans zero, the page says it cannot tell.
TOO_FEW = 30


async def progress(db: Database, campaign_id: int) -> dict[str, int]:
    """Deliveries by where they are (planned, queued, sent, delivered, failed, skipped, …),
    and how many replied, and opted out, after theirs."""
    counts: dict[str, int] = dict.fromkeys(
        ("planned", "queued", "sent", "delivered", "failed", "skipped", "holdout", "withdrawn"), 0
    )
    async with db.session() as session:
        rows = await session.exec(
            select(CampaignDelivery.status, OutboxItem.status, Message.status, func.count())
            .outerjoin(Message, col(Message.id) == CampaignDelivery.message_id)
            .outerjoin(OutboxItem, col(OutboxItem.message_id) == CampaignDelivery.message_id)
            .where(CampaignDelivery.campaign_id == campaign_id)
            .group_by(col(CampaignDelivery.status), col(OutboxItem.status), col(Message.status))
        )
        for delivery_status, outbox_status, message_status, count in rows.all():
            key = _where_it_is(delivery_status, outbox_status, message_status)
            counts[key] = counts.get(key, 0) + int(count)
        replied = await session.exec(
            select(func.count()).where(
                CampaignDelivery.campaign_id == campaign_id,
                col(CampaignDelivery.sent_at).is_not(None),
                _replied_after(col(CampaignDelivery.sent_at)),
            )
        )
        counts["replied"] = int(replied.one())
        stopped = await session.exec(
            select(func.count()).where(
                CampaignDelivery.campaign_id == campaign_id,
                col(CampaignDelivery.sent_at).is_not(None),
                exists().where(
                    col(ChannelIdentity.young_person_id) == CampaignDelivery.young_person_id,
                    col(ChannelIdentity.opted_out_at) > CampaignDelivery.sent_at,
                ),
            )
        )
        counts["opted_out_after"] = int(stopped.one())
    return counts


def _where_it_is(delivery: str, outbox: str | None, message: str | None) -> str:
    if delivery == "claimed":
        return "planned"
    if delivery != "queued" or outbox is None:
        return delivery
    if outbox in ("pending", "sending"):  # sending: handed to its channel, not yet answered
        return "queued"
    if outbox == "cancelled":
        return "withdrawn"  # held by a dispatcher when the campaign was paused or cancelled
    if outbox == "failed" or message in ("failed", "undelivered"):
        return "failed"
    return "delivered" if message in ("delivered", "read") else "sent"


def _replied_after(moment: Any) -> ColumnElement[bool]:
    return exists().where(
        col(Message.young_person_id) == CampaignDelivery.young_person_id,
        col(Message.direction) == INBOUND,
        col(Message.created_at) > moment,
    )


@dataclass(frozen=True)
class ArmResult:
    """One arm's outcome: how many, how many reached it, the rate."""

    arm: str
    n: int
    reached: int

    @property
    def rate(self) -> float:
        """The share that reached the outcome."""
        return self.reached / self.n if self.n else 0.0


@dataclass(frozen=True)
class Comparison:
    """An arm against the reference arm (the holdout, or the first arm)."""

    arm: str
    against: str
    difference: float
    low: float
    high: float
    can_tell: bool


def compare(arm: ArmResult, reference: ArmResult, z: float = 1.96) -> Comparison:
    """The difference in rates with its 95% interval (Newcombe's hybrid Wilson score)."""
    low1, high1 = wilson(arm.reached, arm.n, z)
    low2, high2 = wilson(reference.reached, reference.n, z)
    p1, p2 = arm.rate, reference.rate
    difference = p1 - p2
    low = difference - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = difference + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    can_tell = min(arm.n, reference.n) >= TOO_FEW and (low > 0 or high < 0)
    return Comparison(arm.arm, reference.arm, difference, low, high, can_tell)


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


async def outcomes(db: Database, campaign_id: int) -> list[ArmResult]:
    """Per arm (holdout included), how many reached the campaign's named outcome."""
    async with db.session() as session:
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        spec = CampaignSpec.model_validate(campaign.spec)
        experiment = spec.experiment
        reached_test: ColumnElement[bool]
        if experiment.outcome == "milestone_done":
            done = [
                col(Plan.young_person_id) == CampaignDelivery.young_person_id,
                col(Milestone.plan_id) == Plan.id,
                col(Milestone.status) == "done",
            ]
            if experiment.tag:
                done.append(col(Milestone.tag) == experiment.tag)
            if experiment.by:
                done.append(col(Milestone.done_at) <= experiment.by)
            reached_test = exists().where(*done)
        elif experiment.outcome == "appointment_kept":
            reached_test = exists().where(
                col(Plan.young_person_id) == CampaignDelivery.young_person_id,
                col(Appointment.plan_id) == Plan.id,
                # Kept, or moved in advance: both are what a reminder is for.
                col(Appointment.status).in_(("confirmed", "done", "reschedule_requested")),
            )
        else:
            reached_test = _replied_after(col(CampaignDelivery.due_at))
        counted = (CampaignDelivery.status == "queued") | (CampaignDelivery.status == HOLDOUT)
        rows = await session.exec(
            select(
                CampaignDelivery.arm,
                func.count(func.distinct(CampaignDelivery.young_person_id)),
                func.count(func.distinct(CampaignDelivery.young_person_id)).filter(reached_test),
            )
            .where(CampaignDelivery.campaign_id == campaign_id, counted)
            .group_by(col(CampaignDelivery.arm))
        )
        found = {arm: ArmResult(arm or "", int(n), int(r)) for arm, n, r in rows.all()}
    order = [arm.name for arm in spec.arms] + [HOLDOUT]
    return [found[name] for name in order if name in found]


__all__ = ["ArmResult", "Comparison", "compare", "outcomes", "progress", "wilson"]
