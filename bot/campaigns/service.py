"""A campaign's life: create, start, pause, resume, cancel; every step audited.

Pausing takes back what is queued and not yet sent (its deliveries return to planned, so a
resume sends them without duplicates); cancelling takes it back for good.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.campaigns.models import (
    CANCELLED,
    CLAIMED,
    DRAFT,
    PAUSED,
    PLANNED,
    QUEUED,
    RUNNING,
    WITHDRAWN,
    Campaign,
    CampaignDelivery,
)
from bot.campaigns.spec import CampaignSpec
from bot.conversation.models import Message
from bot.municipalities.models import Municipality
from bot.outbox.models import CANCELLED as OUTBOX_CANCELLED
from bot.outbox.models import PENDING, OutboxItem
from bot.staff.models import StaffMember


class CampaignError(ValueError):
    """A campaign action that cannot be done (unknown municipality, wrong state, …)."""


async def create(
    session: AsyncSession, spec: CampaignSpec, *, staff: StaffMember | None, now: datetime
) -> Campaign:
    """Store a draft campaign for the municipality the spec names (or the staff member's)."""
    if spec.municipality is not None:
        place = (
            await session.exec(select(Municipality).where(Municipality.code == spec.municipality))
        ).first()
    elif staff is not None:
        place = await session.get(Municipality, staff.municipality_id)
    else:
        raise CampaignError("say which municipality the campaign is for (municipality: <code>)")
    if place is None:
        raise CampaignError(f"no municipality with code {spec.municipality}")
    if staff is not None and staff.municipality_id != place.id:
        raise CampaignError("staff can only make campaigns for their own municipality")
    campaign = Campaign(
        municipality_id=place.id or 0,
        name=spec.name,
        spec=spec.model_dump(mode="json", by_alias=True, exclude_none=True),
        created_by_id=staff.id if staff else None,
        created_at=now,
    )
    session.add(campaign)
    await session.flush()
    await _audit(session, staff, campaign, "campaign_created", now)
    return campaign


async def set_status(
    session: AsyncSession,
    campaign: Campaign,
    status: str,
    *,
    staff: StaffMember | None,
    now: datetime,
) -> Campaign:
    """Start (running), pause, resume (running) or cancel a campaign."""
    allowed = {
        RUNNING: (DRAFT, PAUSED),
        PAUSED: (RUNNING,),
        CANCELLED: (DRAFT, RUNNING, PAUSED),
    }
    if campaign.status not in allowed.get(status, ()):
        raise CampaignError(f"a {campaign.status} campaign cannot become {status}")
    action = {RUNNING: "campaign_started", PAUSED: "campaign_paused"}.get(
        status, "campaign_cancelled"
    )
    if status == RUNNING and campaign.status == PAUSED:
        action = "campaign_resumed"
        await _take_back_held(session, campaign)
    if status == RUNNING and campaign.started_at is None:
        campaign.started_at = now
    campaign.status = status
    session.add(campaign)
    if status in (PAUSED, CANCELLED):
        await _take_back(session, campaign, cancel=status == CANCELLED, now=now)
    await _audit(session, staff, campaign, action, now)
    return campaign


async def _take_back(
    session: AsyncSession, campaign: Campaign, *, cancel: bool, now: datetime
) -> None:
    """Queued but unsent messages are cancelled; their deliveries wait again (or end).

    A message a dispatcher holds (leased) is cancelled too, and the dispatcher looks again
    just before it sends; its delivery stays queued until a resume, because that message
    may already be on its way (then it is recorded as sent, and nobody gets it twice).
    """
    queued = await session.exec(
        select(OutboxItem.id, OutboxItem.message_id, CampaignDelivery.id, OutboxItem.lease_owner)
        .join(CampaignDelivery, col(CampaignDelivery.id) == OutboxItem.delivery_id)
        .where(CampaignDelivery.campaign_id == campaign.id, OutboxItem.status == PENDING)
    )
    rows = queued.all()
    if rows:
        await session.exec(
            update(OutboxItem)
            .where(col(OutboxItem.id).in_([r[0] for r in rows]), col(OutboxItem.status) == PENDING)
            .values(status=OUTBOX_CANCELLED, done_at=now)
        )
        idle = [r for r in rows if r[3] is None]
        await session.exec(
            update(Message)
            .where(col(Message.id).in_([r[1] for r in idle]))
            .values(status="cancelled")
        )
        await _replan(session, [r[2] for r in idle])
    if cancel:
        await session.exec(
            update(CampaignDelivery)
            .where(
                col(CampaignDelivery.campaign_id) == campaign.id,
                col(CampaignDelivery.status).in_((PLANNED, CLAIMED)),
            )
            .values(status=WITHDRAWN, skip_reason="cancelled")
        )


async def _replan(session: AsyncSession, delivery_ids: list[int | None]) -> None:
    await session.exec(
        update(CampaignDelivery)
        .where(col(CampaignDelivery.id).in_(delivery_ids))
        .values(status=PLANNED, message_id=None, sent_at=None)
    )


async def _take_back_held(session: AsyncSession, campaign: Campaign) -> None:
    """On resume: deliveries whose message a dispatcher held at the pause, and did not send."""
    held = await session.exec(
        select(CampaignDelivery.id, OutboxItem.message_id)
        .join(OutboxItem, col(OutboxItem.delivery_id) == CampaignDelivery.id)
        .where(
            CampaignDelivery.campaign_id == campaign.id,
            CampaignDelivery.status == QUEUED,
            OutboxItem.status == OUTBOX_CANCELLED,
        )
    )
    rows = held.all()
    if rows:
        await session.exec(
            update(Message)
            .where(col(Message.id).in_([r[1] for r in rows]))
            .values(status="cancelled")
        )
        await _replan(session, [r[0] for r in rows])


async def _audit(
    session: AsyncSession, staff: StaffMember | None, campaign: Campaign, action: str, now: datetime
) -> None:
    await audit.record(
        session,
        staff=staff,
        young_person_id=None,
        action=action,
        detail=f"campaign {campaign.id}",
        now=now,
        municipality_id=campaign.municipality_id,
    )


__all__ = ["CampaignError", "create", "set_status"]
