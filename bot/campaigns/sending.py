"""The campaign sweep: due deliveries become outbox rows, each at most once.

A batch of planned deliveries is claimed (no two sweeps get the same row), each recipient is
tested again (opted out since? a human holding the conversation? over the frequency cap?),
and the message is made by `Engine.start` on the campaign step, so the message offers the
choices its answer is read against. The outbox rows carry their delivery's id and are written
in the same transaction as the deliveries' new status: a crash leaves either both or neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import structlog
from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.campaigns.conversation import MESSAGE_STEP
from bot.campaigns.eligibility import Page
from bot.campaigns.models import (
    CLAIMED,
    PLANNED,
    QUEUED,
    RUNNING,
    SKIPPED,
    WITHDRAWN,
    Campaign,
    CampaignDelivery,
)
from bot.campaigns.planning import LIVE_APPOINTMENT, relative_due
from bot.conversation.engine import Engine
from bot.conversation.models import ConversationState
from bot.conversation.state import take_states
from bot.conversation.turn import Turn
from bot.database import Database, claim_ids
from bot.municipalities.models import Municipality
from bot.outbox.service import Outgoing, enqueue_many
from bot.plans.models import Appointment, Milestone
from bot.reminders.offsets import parse_offset
from bot.settings import CampaignSettings, get_settings

log = structlog.get_logger(__name__)


@dataclass
class SendResult:
    """What one sweep did: deliveries queued, and skipped by reason."""

    queued: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    # Deliveries put back for the next sweep: their young person's conversation was busy.
    waiting: int = 0

    def skip(self, reason: str) -> None:
        """Count one delivery left out."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


async def send_due(
    db: Database,
    engine: Engine,
    now: datetime,
    *,
    settings: CampaignSettings | None = None,
    on_sent: Callable[[], None] | None = None,
) -> SendResult:
    """Queue every due delivery of every running campaign; safe to run twice and side by side."""
    settings = settings or get_settings().campaign
    total = SendResult()
    while True:
        async with db.session() as session:
            claimed = await _claim(session, now=now, limit=settings.batch)
            if claimed:
                await _send_batch(session, engine, claimed, now, settings, total)
        if claimed and on_sent is not None:
            on_sent()
        if len(claimed) < settings.batch or total.waiting:
            return total  # (claiming again now would only take the busy ones back)


async def _claim(session: AsyncSession, *, now: datetime, limit: int) -> list[int]:
    running = select(Campaign.id).where(Campaign.status == RUNNING)
    due = (
        select(CampaignDelivery.id)
        .where(
            CampaignDelivery.status == PLANNED,
            col(CampaignDelivery.due_at) <= now,
            col(CampaignDelivery.campaign_id).in_(running),
        )
        .order_by(col(CampaignDelivery.due_at), col(CampaignDelivery.id))
        .limit(limit)
    )
    return await claim_ids(
        session,
        CampaignDelivery,
        due=due,
        values={"status": CLAIMED},
        still=col(CampaignDelivery.status) == PLANNED,
    )


async def _send_batch(
    session: AsyncSession,
    engine: Engine,
    ids: list[int],
    now: datetime,
    settings: CampaignSettings,
    result: SendResult,
) -> None:
    deliveries = list(
        (
            await session.exec(
                select(CampaignDelivery)
                .where(col(CampaignDelivery.id).in_(ids))
                .order_by(col(CampaignDelivery.id))
            )
        ).all()
    )
    # Held until this transaction ends: a pause waits for this batch, then takes it back.
    campaign_ids = {d.campaign_id for d in deliveries}
    running = set(
        (
            await session.exec(
                select(Campaign.id)
                .where(col(Campaign.id).in_(campaign_ids), Campaign.status == RUNNING)
                .with_for_update(read=True)
            )
        ).all()
    )
    for delivery in [d for d in deliveries if d.campaign_id not in running]:
        delivery.status = PLANNED  # paused since it was claimed: it waits for the resume
        session.add(delivery)
    deliveries = [d for d in deliveries if d.campaign_id in running]
    page = await Page.load(session, {d.young_person_id for d in deliveries}, now)
    # Every state of the batch in one read (not a read, and a flush, per recipient).
    taken = await take_states(session, page.people)
    states = taken.states
    places: dict[int, Municipality] = {}
    outgoing: list[tuple[CampaignDelivery, Outgoing]] = []
    for delivery in deliveries:
        if delivery.young_person_id in taken.busy:
            # Someone is changing this conversation right now: the delivery waits a round.
            delivery.status = PLANNED
            session.add(delivery)
            result.waiting += 1
            continue
        person = page.people.get(delivery.young_person_id)
        place = None
        if person is not None:
            place = places.get(person.municipality_id) or await session.get(
                Municipality, person.municipality_id
            )
        reason: str | None = page.reason(delivery.young_person_id, settings)
        if reason is None and place is not None:
            check = await _target_check(session, delivery, place, now)
            if isinstance(check, datetime):
                # The date moved: the delivery waits for its new time.
                delivery.status, delivery.due_at = PLANNED, check
                session.add(delivery)
                continue
            reason = check
        identity = page.identity(delivery.young_person_id)
        if reason is not None or identity is None or person is None or place is None:
            delivery.status = WITHDRAWN if reason == "date_gone" else SKIPPED
            delivery.skip_reason = reason or "no_channel"
            session.add(delivery)
            result.skip(delivery.skip_reason)
            continue
        places[person.municipality_id] = place
        state = states.get(delivery.young_person_id)
        if state is None:
            state = states[delivery.young_person_id] = ConversationState(
                young_person_id=delivery.young_person_id
            )
        session.add(state)
        turn = Turn.started(
            session, person=person, identity=identity, municipality=place, state=state, now=now
        )
        data = {
            "campaign_id": delivery.campaign_id,
            "delivery_id": delivery.id,
            "arm": delivery.arm,
            "occurrence": delivery.occurrence,
        }
        rate = await _rate(session, delivery.campaign_id)
        for reply in await engine.start(turn, MESSAGE_STEP, data=data):
            out = Outgoing(
                identity,
                reply.text,
                now,
                reply.choices,
                nudge=True,
                delivery_id=delivery.id,
                pace_key=f"campaign:{delivery.campaign_id}",
                pace_rate=rate,
            )
            outgoing.append((delivery, out))
        page.counted(delivery.young_person_id)
    message_ids = await enqueue_many(session, [out for _, out in outgoing], now=now)
    first_message: dict[int, int] = {}
    for (delivery, _), message_id in zip(outgoing, message_ids, strict=True):
        first_message.setdefault(delivery.id or 0, message_id)
    if first_message:
        raw = await session.connection()
        await raw.execute(
            update(CampaignDelivery)
            .where(col(CampaignDelivery.id) == bindparam("did"))
            .values(status=QUEUED, message_id=bindparam("mid"), sent_at=now),
            [{"did": did, "mid": mid} for did, mid in first_message.items()],
        )
    result.queued += len(first_message)


async def _rate(session: AsyncSession, campaign_id: int) -> float:
    """The campaign's own throttle: sends per second across every dispatcher."""
    rates: dict[int, float] = session.info.setdefault("indgang.campaign_rates", {})
    if campaign_id not in rates:
        campaign = await session.get(Campaign, campaign_id)
        rates[campaign_id] = float(campaign.spec.get("per_second", 1.0)) if campaign else 1.0
    return rates[campaign_id]


async def _target_check(
    session: AsyncSession, delivery: CampaignDelivery, place: Municipality, now: datetime
) -> str | datetime | None:
    """For a date-relative delivery: None to send now, 'date_gone' when its appointment or
    milestone is cancelled or done, or the new due time when the date moved."""
    kind, _, rest = delivery.occurrence.partition(":")
    target_id, _, offset_key = rest.partition(":")
    if kind not in ("appointment", "milestone") or not target_id.isdigit():
        return None
    offset = parse_offset(offset_key)
    when: datetime | date | None = None
    if kind == "appointment":
        appointment = await session.get(Appointment, int(target_id))
        if appointment is not None and appointment.status in LIVE_APPOINTMENT:
            when = appointment.starts_at
    else:
        milestone = await session.get(Milestone, int(target_id))
        if milestone is not None and milestone.status == "open":
            when = milestone.due_date
    due = relative_due(offset, when, place) if when is not None else None
    if due is None:
        return "date_gone"
    if abs((due - delivery.due_at).total_seconds()) < 60:
        return None
    return due if due > now else "date_gone"
