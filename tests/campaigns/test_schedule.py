"""When campaign messages go: relative to each meeting across a DST change, never inside
quiet hours, and never more than the frequency cap allows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.campaigns import service as campaigns
from bot.campaigns.dry_run import dry_run
from bot.campaigns.models import QUEUED, SKIPPED, WITHDRAWN
from bot.campaigns.spec import Condition, load_spec
from bot.clock import clock
from bot.conversation.models import Message
from bot.database import Database
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.models import OutboxItem
from bot.paths import REPO_ROOT
from bot.people.models import YoungPerson
from bot.plans import changes
from bot.settings import CampaignSettings, Settings
from tests.campaigns.world import deliveries, spec, started, sweep
from tests.support import CollectingChannel, Harness
from tests.world import (
    appointment,
    channel_identity,
    conversation,
    local,
    municipality,
    plan,
    staff_member,
    young_person,
)

CPH = ZoneInfo("Europe/Copenhagen")
CONTENT = REPO_ROOT / "content" / "campaigns"


async def _people(db: Database, count: int, *, code: str = "0999") -> list[int]:
    async with db.session() as session:
        town = await municipality(session, code=code)
        mette = await staff_member(session, town)
        ids = []
        for n in range(count):
            person = await young_person(session, town, first_name=f"U{n}", contact=mette)
            await channel_identity(session, person, channel="web", address=f"visitor-{n}")
            await conversation(session, person)
            ids.append(person.id or 0)
        return ids


async def test_three_days_and_one_day_before_at_16_across_the_dst_change(db: Database) -> None:
    clock.set(local(2026, 10, 20, 9))
    ids = await _people(db, 3)
    # Tuesday 27 October, after the clocks go back on Sunday 25 October; and a meeting that
    # is cancelled after it was planned.
    async with db.session() as session:
        meetings = []
        for person_id, day in zip(ids, (27, 28, 29), strict=True):
            the_plan = await plan(session, await session.get_one(YoungPerson, person_id))
            meetings.append(
                await appointment(session, the_plan, starts_at=local(2026, 10, day, 10))
            )
        cancelled_id = meetings[2].id
    campaign_id = await started(
        db,
        spec(
            schedule={"relative": {"to": "appointment", "offsets": ["3d@16:00", "1d@16:00"]}},
            audience={"appointment_within_days": 30},
        ),
        clock.now(),
    )
    moment = clock.now()
    while moment < local(2026, 10, 30):
        if moment == local(2026, 10, 25, 9):
            async with db.session() as session:
                person = await session.get_one(YoungPerson, ids[2])
                await changes.update_appointment(
                    session,
                    person=person,
                    appointment_id=cancelled_id or 0,
                    now=moment,
                    status="cancelled",
                )
        clock.set(moment)
        await sweep(db, moment)
        moment += timedelta(minutes=30)

    sent: dict[int, list[datetime]] = defaultdict(list)
    async with db.session() as session:
        rows = await session.exec(
            select(Message.young_person_id, OutboxItem.due_at)
            .join(OutboxItem, col(OutboxItem.message_id) == Message.id)
            .where(col(OutboxItem.delivery_id).is_not(None))
        )
        for person_id, due_at in rows.all():
            sent[person_id or 0].append(due_at.astimezone(CPH))
    assert sorted(sent[ids[0]]) == [
        datetime(2026, 10, 24, 16, tzinfo=CPH),  # summer time (UTC+2)
        datetime(2026, 10, 26, 16, tzinfo=CPH),  # winter time (UTC+1)
    ]
    assert sorted(sent[ids[1]]) == [
        datetime(2026, 10, 25, 16, tzinfo=CPH),
        datetime(2026, 10, 27, 16, tzinfo=CPH),
    ]
    assert ids[2] not in sent
    statuses = [d.status for d in await deliveries(db, campaign_id)]
    assert statuses.count(QUEUED) == 4
    assert set(statuses) <= {QUEUED, WITHDRAWN}


class _PacedClock:
    """A pace that lets one message go a second by moving the frozen clock."""

    def __init__(self, per_second: float) -> None:
        self.step = timedelta(seconds=1 / per_second)

    async def wait(
        self, key: str, per_second: float, *, recipient: str | None = None, interval: float = 0.0
    ) -> None:
        if key.startswith("campaign:"):
            clock.set(clock.now() + self.step)

    async def hold(self, key: str, seconds: float) -> None:
        return None


async def test_at_20_55_what_fits_goes_before_21_and_the_rest_at_8(db: Database) -> None:
    clock.set(local(2026, 3, 3, 20, 55))
    await _people(db, 400)
    campaign_id = await started(
        db, spec(schedule={"at": "2026-03-03T20:55:00"}, per_second=1), clock.now()
    )
    assert (await sweep(db, clock.now())).queued == 400
    channel = CollectingChannel(name="web")
    dispatcher = Dispatcher(db, {"web": channel}, Settings(_env_file=None, database_url=db.url))
    dispatcher.pace = _PacedClock(per_second=1)  # type: ignore[assignment]
    sent_at: list[datetime] = []
    channel_send = channel.send

    async def record(outbound):  # type: ignore[no-untyped-def]
        sent_at.append(clock.now())
        return await channel_send(outbound)

    channel.send = record  # type: ignore[method-assign]
    while await dispatcher.dispatch_once():
        if clock.now() > local(2026, 3, 3, 21, 30):
            break
    evening = [t for t in sent_at if t < local(2026, 3, 4)]
    assert 290 <= len(evening) <= 300  # one a second from 20:55 to 21:00
    assert max(evening) <= local(2026, 3, 3, 21)
    async with db.session() as session:
        waiting = (
            await session.exec(select(OutboxItem).where(OutboxItem.status == "pending"))
        ).all()
    assert len(waiting) == 400 - len(evening)
    assert {row.due_at for row in waiting} == {local(2026, 3, 4, 8)}

    clock.set(local(2026, 3, 4, 8))
    while await dispatcher.dispatch_once():
        pass
    assert len(sent_at) == 400
    assert min(t for t in sent_at if t >= local(2026, 3, 4)) >= local(2026, 3, 4, 8)
    assert len({o.message_id for o in channel.sent}) == 400
    assert {d.status for d in await deliveries(db, campaign_id)} == {QUEUED}


async def test_the_frequency_cap_holds_across_campaigns(db: Database) -> None:
    clock.set(local(2026, 3, 3, 10))
    [person_id] = await _people(db, 1)
    caps = CampaignSettings(cap_per_day=2, cap_per_week=3)
    outcomes = []
    for hour in (10, 11, 12):
        at = local(2026, 3, 3, hour)
        clock.set(at)
        campaign_id = await started(
            db, spec(schedule={"at": at.astimezone(CPH).replace(tzinfo=None).isoformat()}), at
        )
        await sweep(db, at, caps)
        [delivery] = await deliveries(db, campaign_id)
        outcomes.append((delivery.status, delivery.skip_reason))
    assert outcomes == [(QUEUED, None), (QUEUED, None), (SKIPPED, "frequency_cap")]
    # A day later (the cap's day is the last 24 hours) one more goes, the week's third.
    outcomes = []
    for day in (4, 5):
        at = local(2026, 3, day, 12)
        clock.set(at)
        campaign_id = await started(
            db, spec(schedule={"at": at.astimezone(CPH).replace(tzinfo=None).isoformat()}), at
        )
        await sweep(db, at, caps)
        [delivery] = await deliveries(db, campaign_id)
        outcomes.append((delivery.status, delivery.skip_reason))
    assert outcomes == [(QUEUED, None), (SKIPPED, "frequency_cap")]
    async with db.session() as session:
        nudges = await session.exec(
            select(OutboxItem)
            .join(Message, col(Message.id) == OutboxItem.message_id)
            .where(Message.young_person_id == person_id, col(OutboxItem.nudge).is_(True))
        )
        assert len(nudges.all()) == 3


async def test_fourteen_days_before_the_application_deadline_every_year(db: Database) -> None:
    clock.set(local(2027, 2, 1, 9))
    ids = await _people(db, 2)
    template = load_spec(CONTENT / "ansogning-1-marts.yaml")
    campaign_id = await started(
        db,
        template.model_copy(
            update={"municipality": "0999", "audience": Condition(status=["active"])}
        ),
        clock.now(),
    )
    harness = Harness(db, address="visitor-0")
    for moment in (local(2027, 2, 15, 15, 59), local(2027, 2, 15, 16), local(2027, 2, 16, 16)):
        clock.set(moment)
        await sweep(db, moment)
    while await harness.dispatcher.dispatch_once():
        pass
    rows = await deliveries(db, campaign_id)
    assert [(d.young_person_id, d.occurrence, d.status) for d in rows] == [
        (person_id, "deadline:ungdomsuddannelse_ansoegning:2027:14d@16:00", QUEUED)
        for person_id in ids
    ]
    assert {d.due_at for d in rows} == {local(2027, 2, 15, 16)}
    assert len(harness.channel.sent) == 2
    assert all("inden 01.03." in message.text for message in harness.channel.sent)


async def test_a_dry_run_lists_who_gets_what_when_and_writes_nothing(db: Database) -> None:
    clock.set(local(2026, 3, 2, 9))  # a Monday
    ids = await _people(db, 3)
    async with db.session() as session:
        campaign = await campaigns.create(
            session, spec(schedule={"cron": "0 16 * * 1,4"}), staff=None, now=clock.now()
        )
    simulated = await dry_run(db, campaign, start=clock.now(), weeks=2)
    # Monday and Thursday at 16:00 for two weeks: four firings, three young people each.
    assert simulated.total == 12
    assert sorted(simulated.per_day) == [
        date(2026, 3, 2),
        date(2026, 3, 5),
        date(2026, 3, 9),
        date(2026, 3, 12),
    ]
    assert {person_id for _, person_id, _, _ in simulated.first} == set(ids)
    assert all(when.hour == 16 for when, _, _, _ in simulated.first)
    assert await deliveries(db, campaign.id or 0) == []
