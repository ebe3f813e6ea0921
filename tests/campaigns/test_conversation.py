"""A campaign message as a young person gets it: their name, their contact person, choices
that work, and an answer that changes the plan only after a confirmation."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.campaigns.models import PLANNED, QUEUED
from bot.campaigns.results import progress
from bot.clock import clock
from bot.database import Database
from bot.plans.models import Milestone
from tests.campaigns.world import deliveries, spec, started, sweep
from tests.support import Harness
from tests.world import (
    channel_identity,
    conversation,
    milestone,
    municipality,
    plan,
    staff_member,
    young_person,
)


async def _sofie(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        town = await municipality(session, code="0999")
        mette = await staff_member(session, town, name="Mette Hansen")
        sofie = await young_person(session, town, contact=mette, first_name="Sofie")
        await channel_identity(session, sofie, channel="web", address="visitor-1")
        await conversation(session, sofie)
        the_plan = await plan(session, sofie, goal="Blive tømrer")
        step = await milestone(session, the_plan, title="Søg ind på EUD", tag="ansogning")
        return sofie.id or 0, step.id or 0


async def test_yes_asks_to_confirm_then_marks_the_tagged_step_done(
    db: Database, frozen_clock: datetime
) -> None:
    _sofie_id, step_id = await _sofie(db)
    harness = Harness(db)
    campaign_id = await started(
        db,
        spec(
            schedule={"at": frozen_clock.isoformat()},
            choices=[
                {
                    "key": "applied",
                    "label": {"da": "Ja, jeg har søgt"},
                    "do": "milestone_propose_tag:ansogning",
                    "goto": "plan.confirm",
                },
                {"key": "help", "label": {"da": "Skriv med Mette"}, "goto": "contact.open"},
            ],
        ),
        frozen_clock,
    )
    result = await sweep(db, frozen_clock)
    assert result.queued == 1
    while await harness.dispatcher.dispatch_once():
        pass
    sent = harness.channel.sent[-1]
    assert sent.text == "Hej Sofie. Husk at søge ind. Hilsen Mette"
    assert [c.label for c in sent.choices][:2] == ["Ja, jeg har søgt", "Skriv med Mette"]
    [delivery] = await deliveries(db, campaign_id)
    assert delivery.status == QUEUED and delivery.message_id is not None

    confirm = await harness.tap("Ja, jeg har søgt")
    assert "Søg ind på EUD" in confirm[-1].text
    async with db.session() as session:
        assert (await session.get(Milestone, step_id)).status == "open"  # type: ignore[union-attr]
    await harness.tap("Ja")
    async with db.session() as session:
        assert (await session.get(Milestone, step_id)).status == "done"  # type: ignore[union-attr]


async def test_sweeping_again_sends_nothing_twice(db: Database, frozen_clock: datetime) -> None:
    await _sofie(db)
    campaign_id = await started(db, spec(schedule={"at": frozen_clock.isoformat()}), frozen_clock)
    first = await sweep(db, frozen_clock)
    again = await sweep(db, frozen_clock + timedelta(minutes=1))
    assert (first.queued, again.queued) == (1, 0)
    assert [d.status for d in await deliveries(db, campaign_id)] == [QUEUED]


async def test_a_future_campaign_waits_for_its_time(db: Database, frozen_clock: datetime) -> None:
    await _sofie(db)
    later = frozen_clock + timedelta(hours=2)
    campaign_id = await started(db, spec(schedule={"at": later.isoformat()}), frozen_clock)
    assert (await sweep(db, frozen_clock)).queued == 0
    assert [d.status for d in await deliveries(db, campaign_id)] == [PLANNED]
    assert (await sweep(db, later)).queued == 1
    assert [d.status for d in await deliveries(db, campaign_id)] == [QUEUED]


async def test_why_did_i_get_this_names_the_campaign_and_how_to_stop(
    db: Database, frozen_clock: datetime
) -> None:
    await _sofie(db)
    harness = Harness(db)
    assert "ikke sendt dig nogen påmindelse" in (await harness.say("hvorfor fik jeg den?"))[-1].text
    await started(
        db, spec(name="Husk ansøgning", schedule={"at": frozen_clock.isoformat()}), frozen_clock
    )
    await sweep(db, frozen_clock)
    while await harness.dispatcher.dispatch_once():
        pass
    answer = (await harness.say("hvorfor fik jeg den besked??"))[-1]
    assert "'Husk ansøgning'" in answer.text
    assert "Skriv STOP" in answer.text
    assert [c.label for c in answer.choices] == ["Menu"]
    english = (await harness.say("why did I get this"))[-1]
    assert "Husk ansøgning" in english.text


async def test_replies_and_opt_outs_after_the_message_are_counted(
    db: Database, frozen_clock: datetime
) -> None:
    await _sofie(db)
    harness = Harness(db)
    campaign_id = await started(db, spec(schedule={"at": frozen_clock.isoformat()}), frozen_clock)
    await sweep(db, frozen_clock)
    while await harness.dispatcher.dispatch_once():
        pass
    before = await progress(db, campaign_id)
    assert (before["replied"], before["opted_out_after"]) == (0, 0)
    clock.set(frozen_clock + timedelta(minutes=5))
    await harness.say("ok tak")
    clock.set(frozen_clock + timedelta(minutes=6))
    await harness.say("STOP")
    after = await progress(db, campaign_id)
    assert (after["replied"], after["opted_out_after"]) == (1, 1)
