"""What a campaign would do if started now, before anything is sent.

The count by channel and language; who is left out and why; ten real recipients with the
message rendered for each exactly as their channel shows it; the estimated SMS cost and the
time to finish at the campaign's throttle. Nothing is written: the sample turns run in a
transaction that is rolled back.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.campaigns import audience
from bot.campaigns.conversation import MESSAGE_STEP
from bot.campaigns.eligibility import Page
from bot.campaigns.models import HOLDOUT, Campaign, CampaignDelivery
from bot.campaigns.planning import ONCE, arm_of, read
from bot.campaigns.spec import CampaignSpec
from bot.conversation.engine import Engine
from bot.conversation.models import ConversationState
from bot.conversation.turn import Turn
from bot.database import Database
from bot.municipalities.models import Municipality
from bot.reminders.calendar import calendar
from bot.settings import CampaignSettings
from channels.base import Choice, Sample

# (channel name, text, choices) -> the message as that channel shows it.
Show = Callable[[str, str, tuple[Choice, ...]], Sample]
SAMPLES = 10


@dataclass
class Recipient:
    """One sampled recipient and their message as they would get it."""

    person_id: int
    first_name: str
    channel: str
    language: str
    arm: str
    sample: Sample


@dataclass
class Preview:
    """The numbers staff see before they press start."""

    audience: int = 0
    eligible: int = 0
    holdout: int = 0
    by_channel: Counter[str] = field(default_factory=Counter)
    by_language: Counter[str] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)
    recipients: list[Recipient] = field(default_factory=list)
    sms_segments: int = 0
    sms_cost: float = 0.0
    seconds_to_finish: float = 0.0


async def preview(
    db: Database,
    engine: Engine,
    campaign: Campaign,
    *,
    now: datetime,
    show: Show,
    settings: CampaignSettings,
) -> Preview:
    """Who would get the campaign now, who would not and why, and what they would read."""
    assert campaign.id is not None
    spec, place, zone = await read(db, campaign)
    result = Preview()
    sms_messages = 0
    segments_per_sms: list[int] = []
    async for ids in audience.pages(
        db, spec.audience, municipality_id=campaign.municipality_id, now=now, zone=zone
    ):
        async with db.session() as session:
            page = await Page.load(session, ids, now)
            already = await _already(session, campaign.id, ids)
        result.audience += len(ids)
        for person_id in ids:
            reason = "already_sent" if person_id in already else page.reason(person_id, settings)
            if reason is not None:
                result.left_out[reason] += 1
                continue
            if arm_of(spec, campaign.id, person_id) == HOLDOUT:
                result.holdout += 1
                continue
            identity = page.identity(person_id)
            assert identity is not None
            result.eligible += 1
            result.by_channel[identity.channel] += 1
            result.by_language[page.people[person_id].language] += 1
            sms_messages += identity.channel == "sms"
            if len(result.recipients) < SAMPLES:
                recipient = await _sample(
                    db, engine, campaign, spec, page, person_id, place, show, now
                )
                result.recipients.append(recipient)
                if recipient.channel == "sms" and recipient.sample.segments:
                    segments_per_sms.append(recipient.sample.segments)
    # The sample's mean segments per SMS stands for every SMS recipient.
    per_sms = sum(segments_per_sms) / len(segments_per_sms) if segments_per_sms else 1.0
    result.sms_segments = math.ceil(sms_messages * per_sms)
    result.sms_cost = round(result.sms_segments * settings.sms_segment_price, 2)
    result.seconds_to_finish = result.eligible / spec.per_second
    return result


async def _already(session: AsyncSession, campaign_id: int, ids: list[int]) -> set[int]:
    rows = await session.exec(
        select(CampaignDelivery.young_person_id).where(
            CampaignDelivery.campaign_id == campaign_id,
            CampaignDelivery.occurrence == ONCE,
            col(CampaignDelivery.young_person_id).in_(ids),
            col(CampaignDelivery.message_id).is_not(None),
        )
    )
    return set(rows.all())


async def _sample(
    db: Database,
    engine: Engine,
    campaign: Campaign,
    spec: CampaignSpec,
    page: Page,
    person_id: int,
    place: Municipality,
    show: Show,
    now: datetime,
) -> Recipient:
    person = page.people[person_id]
    identity = page.identity(person_id)
    assert identity is not None and campaign.id is not None
    arm = arm_of(spec, campaign.id, person_id)
    async with db.sessions() as session:
        # The turn may change the conversation state: it is rolled back, nothing is kept.
        person = await session.merge(person)
        identity = await session.merge(identity)
        state = ConversationState(young_person_id=person_id)
        turn = Turn.started(
            session, person=person, identity=identity, municipality=place, state=state, now=now
        )
        data = {"campaign_id": campaign.id, "arm": arm, "occurrence": _example(spec, now)}
        replies = await engine.start(turn, MESSAGE_STEP, data=data)
        recipient = Recipient(
            person_id,
            person.first_name or "",
            identity.channel,
            person.language,
            arm,
            show(identity.channel, replies[0].text, replies[0].choices),
        )
        await session.rollback()
    return recipient


def _example(spec: CampaignSpec, now: datetime) -> str:
    """An occurrence to show the message with: the next deadline for deadline campaigns."""
    relative = spec.schedule.relative
    if relative is None or relative.to != "deadline" or relative.deadline is None:
        return ONCE  # a meeting or step date is shown as it will be: left out of the sample
    year = calendar().by_key(relative.deadline).next_after(now).year
    return f"deadline:{relative.deadline}:{year}:{relative.offsets[0]}"


__all__ = ["Preview", "Recipient", "Show", "preview"]
