"""Planning a campaign: one delivery row per recipient and occurrence, before anything is sent.

A one-off campaign has one occurrence ('once'); a recurring one an occurrence per firing of
its cron trigger; a date-relative one an occurrence per date and offset on each young person
('appointment:17:1d@16:00'). Rows are written a page at a time with the unique key
(campaign, young person, occurrence) as the guard, so planning twice, or in two processes at
once, plans nobody twice, and no page holds more than a page of the audience in memory.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.campaigns import audience
from bot.campaigns.eligibility import reasons
from bot.campaigns.models import HOLDOUT, PLANNED, RUNNING, SKIPPED, Campaign, CampaignDelivery
from bot.campaigns.spec import CampaignSpec, cron_trigger
from bot.database import Database, insert_new
from bot.municipalities.models import Municipality
from bot.outbox.service import after_quiet_hours
from bot.plans.models import Appointment, Milestone, Plan
from bot.reminders.calendar import calendar
from bot.reminders.offsets import Offset, parse_offset

ONCE = "once"
LIVE_APPOINTMENT = ("planned", "confirmed")
RELATIVE_RESCAN = timedelta(minutes=10)
# Young people planned per page: one read of the audience, one of why some are left out, one
# insert. Only a page is ever in memory; bigger pages mean fewer round trips.
PAGE = 2000


def arm_of(spec: CampaignSpec, campaign_id: int, person_id: int) -> str:
    """The arm a young person is in, or 'holdout': random, but the same every time asked."""
    if spec.holdout == 0 and len(spec.arms) == 1:
        return spec.arms[0].name  # what the draw below gives, without seeding a generator
    draw = random.Random(f"{spec.seed}:{campaign_id}:{person_id}")
    if draw.random() < spec.holdout:
        return HOLDOUT
    return spec.arms[draw.randrange(len(spec.arms))].name


def local_to_utc(moment: datetime, zone: ZoneInfo) -> datetime:
    """A time as staff wrote it: without an offset it is the municipality's local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Target:
    """One occurrence for one young person: who, which occurrence, when it falls due."""

    person_id: int
    occurrence: str
    due_at: datetime


def relative_due(offset: Offset, when: datetime | date, place: Municipality) -> datetime | None:
    """When a message `offset` from a meeting's time or a step's due date goes: after quiet
    hours; None when that would be at or after the meeting itself."""
    zone = ZoneInfo(place.timezone)
    if isinstance(when, datetime):
        due = after_quiet_hours(offset.due(when, zone), place)
        return due if due < when else None
    return after_quiet_hours(offset.on_day(when, zone), place)


async def plan_due(db: Database, now: datetime) -> int:
    """Plan whatever is due for planning in every running campaign; how many campaigns."""
    async with db.session() as session:
        running = (await session.exec(select(Campaign).where(Campaign.status == RUNNING))).all()
    for campaign in running:
        await plan_campaign(db, campaign, now)
    return len(running)


async def read(db: Database, campaign: Campaign) -> tuple[CampaignSpec, Municipality, ZoneInfo]:
    """A campaign's spec, its municipality and that municipality's time zone."""
    assert campaign.id is not None
    async with db.session() as session:
        municipality = await session.get(Municipality, campaign.municipality_id)
    assert municipality is not None
    spec = CampaignSpec.model_validate(campaign.spec)
    return spec, municipality, ZoneInfo(municipality.timezone)


async def plan_campaign(db: Database, campaign: Campaign, now: datetime) -> None:
    """Write the delivery rows this campaign's schedule calls for up to now (or its horizon)."""
    assert campaign.id is not None
    spec, municipality, zone = await read(db, campaign)
    schedule = spec.schedule
    if schedule.at is not None:
        if campaign.planned_until is not None:
            return
        due = local_to_utc(schedule.at, zone)
        await _plan_targets(db, campaign, spec, everyone(db, campaign, spec, now, zone, due))
        await _planned_until(db, campaign, due)
    elif schedule.cron is not None:
        trigger = cron_trigger(schedule.cron, zone)
        since = campaign.planned_until or campaign.started_at or now
        fire = trigger.get_next_fire_time(None, since + timedelta(seconds=1))
        while fire is not None and fire <= now:
            due = fire.astimezone(UTC)
            await _plan_targets(db, campaign, spec, everyone(db, campaign, spec, now, zone, due))
            await _planned_until(db, campaign, due)
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    else:
        if campaign.planned_until is not None and campaign.planned_until > now - RELATIVE_RESCAN:
            return
        await _plan_targets(
            db, campaign, spec, relative_targets(db, campaign, spec, now, municipality)
        )
        await _planned_until(db, campaign, now)


async def _planned_until(db: Database, campaign: Campaign, until: datetime) -> None:
    async with db.session() as session:
        row = await session.get(Campaign, campaign.id)
        if row is not None:
            row.planned_until = until
            session.add(row)
    campaign.planned_until = until


async def everyone(
    db: Database,
    campaign: Campaign,
    spec: CampaignSpec,
    now: datetime,
    zone: ZoneInfo,
    due: datetime,
) -> AsyncIterator[list[Target]]:
    """The whole audience for one occurrence at `due` (a one-off or a recurrence's firing)."""
    occurrence = ONCE if spec.schedule.at is not None else due.strftime("%Y-%m-%dT%H:%MZ")
    async for ids in audience.pages(
        db, spec.audience, municipality_id=campaign.municipality_id, now=now, zone=zone, size=PAGE
    ):
        yield [Target(person_id, occurrence, due) for person_id in ids]


async def relative_targets(
    db: Database,
    campaign: Campaign,
    spec: CampaignSpec,
    now: datetime,
    place: Municipality,
    horizon: datetime | None = None,
) -> AsyncIterator[list[Target]]:
    """Each date-relative occurrence due after `now` and by the horizon, a page at a time."""
    relative = spec.schedule.relative
    assert relative is not None
    zone = ZoneInfo(place.timezone)
    offsets = [parse_offset(key) for key in relative.offsets]
    horizon = horizon or now + timedelta(days=spec.schedule.horizon_days)
    if relative.to == "deadline":
        async for targets in _before_deadline(db, campaign, spec, now, place, horizon):
            yield targets
        return
    people = audience.audience_query(
        spec.audience, municipality_id=campaign.municipality_id, now=now, zone=zone
    ).subquery()
    after = 0
    while True:
        query: Any
        if relative.to == "appointment":
            query = (
                select(col(Plan.young_person_id), col(Appointment.id), col(Appointment.starts_at))
                .join(Plan, col(Plan.id) == Appointment.plan_id)
                .where(
                    col(Plan.young_person_id).in_(select(people.c.id)),
                    col(Appointment.status).in_(LIVE_APPOINTMENT),
                    col(Appointment.starts_at) > now,
                    col(Appointment.starts_at) <= horizon,
                    col(Appointment.id) > after,
                )
                .order_by(col(Appointment.id))
                .limit(PAGE)
            )
        else:
            query = (
                select(col(Plan.young_person_id), col(Milestone.id), col(Milestone.due_date))
                .join(Plan, col(Plan.id) == Milestone.plan_id)
                .where(
                    col(Plan.young_person_id).in_(select(people.c.id)),
                    Milestone.status == "open",
                    col(Milestone.due_date).is_not(None),
                    col(Milestone.id) > after,
                    *([Milestone.tag == relative.tag] if relative.tag else []),
                )
                .order_by(col(Milestone.id))
                .limit(PAGE)
            )
        async with db.session() as session:
            rows = (await session.exec(query)).all()
        if not rows:
            return
        targets = []
        for person_id, target_id, when in rows:
            for offset in offsets:
                due = relative_due(offset, when, place)
                if due is None or due <= now or due > horizon:
                    continue
                targets.append(Target(person_id, f"{relative.to}:{target_id}:{offset.key}", due))
        yield targets
        after = int(rows[-1][1])


async def _before_deadline(
    db: Database,
    campaign: Campaign,
    spec: CampaignSpec,
    now: datetime,
    place: Municipality,
    horizon: datetime,
) -> AsyncIterator[list[Target]]:
    """Everyone in the audience, at each offset before the deadline's next date."""
    relative = spec.schedule.relative
    assert relative is not None and relative.deadline is not None
    zone = ZoneInfo(place.timezone)
    deadline = calendar().by_key(relative.deadline)
    moment = deadline.next_after(now)
    day = moment.astimezone(zone).date()
    offsets = [parse_offset(key) for key in relative.offsets]
    due_at = {o.key: after_quiet_hours(o.on_day(day, zone), place) for o in offsets}
    due_at = {key: due for key, due in due_at.items() if now < due <= horizon and due < moment}
    if not due_at:
        return
    async for ids in audience.pages(
        db, spec.audience, municipality_id=campaign.municipality_id, now=now, zone=zone
    ):
        yield [
            Target(person_id, f"deadline:{deadline.key}:{day.year}:{key}", due)
            for person_id in ids
            for key, due in due_at.items()
        ]


async def _plan_targets(
    db: Database, campaign: Campaign, spec: CampaignSpec, batches: AsyncIterator[list[Target]]
) -> None:
    assert campaign.id is not None
    async for targets in batches:
        if not targets:
            continue
        async with db.session() as session:
            why = await reasons(session, {t.person_id for t in targets})
            created = datetime.now(UTC)
            rows = []
            for target in targets:
                arm = arm_of(spec, campaign.id, target.person_id)
                reason = why[target.person_id]
                status = SKIPPED if reason else HOLDOUT if arm == HOLDOUT else PLANNED
                rows.append(
                    {
                        "campaign_id": campaign.id,
                        "young_person_id": target.person_id,
                        "occurrence": target.occurrence,
                        "arm": arm,
                        "status": status,
                        "skip_reason": reason,
                        "due_at": target.due_at,
                        "created_at": created,
                    }
                )
            await insert_new(session, CampaignDelivery, rows)
            await _follow_moves(session, campaign.id, targets)


async def _follow_moves(session: AsyncSession, campaign_id: int, targets: list[Target]) -> None:
    """A date that moved moves its planned, unsent deliveries with it."""
    if not targets or targets[0].occurrence == ONCE:
        return
    wanted = {(t.person_id, t.occurrence): t.due_at for t in targets}
    planned = await session.exec(
        select(CampaignDelivery).where(
            CampaignDelivery.campaign_id == campaign_id,
            CampaignDelivery.status == PLANNED,
            col(CampaignDelivery.occurrence).in_([t.occurrence for t in targets]),
        )
    )
    for delivery in planned.all():
        due = wanted.get((delivery.young_person_id, delivery.occurrence))
        if due is not None and due != delivery.due_at:
            delivery.due_at = due
            session.add(delivery)
