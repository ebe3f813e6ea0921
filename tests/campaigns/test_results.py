"""Results per arm: the interval arithmetic against published figures, and a simulated
history whose planted difference the results must recover."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, update
from sqlmodel import col, select

from bot.campaigns.models import HOLDOUT
from bot.campaigns.results import ArmResult, compare, outcomes, progress, wilson
from bot.clock import clock
from bot.database import Database
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans.models import Milestone, Plan
from tests.campaigns.world import deliveries, spec, started, sweep
from tests.world import local, municipality

PLANTED = {"A": 0.30, "B": 0.45, HOLDOUT: 0.20}


def test_wilson_and_newcombe_match_the_published_examples() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857-872: 81/263, and 56/70 against 48/80.
    low, high = wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    c = compare(ArmResult("a", 70, 56), ArmResult("b", 80, 48))
    assert (round(c.low, 4), round(c.high, 4)) == (0.0524, 0.3339)
    assert c.can_tell


@pytest.mark.parametrize(("n", "reached"), [(10, 5), (25, 20)])
def test_too_few_to_tell_is_said(n: int, reached: int) -> None:
    c = compare(ArmResult("B", n, reached), ArmResult(HOLDOUT, n, 0))
    assert not c.can_tell


async def _crowd(db: Database, count: int, now: datetime) -> None:
    async with db.session() as session:
        town = await municipality(session, code="0999")
        await session.exec(
            insert(YoungPerson),
            params=[
                {"municipality_id": town.id, "first_name": f"U{n}", "created_at": now}
                for n in range(count)
            ],
        )
        ids = list((await session.exec(select(YoungPerson.id))).all())
        await session.exec(
            insert(ChannelIdentity),
            params=[
                {
                    "young_person_id": i,
                    "channel": "web",
                    "address": f"v{i}",
                    "verified": True,
                    "created_at": now,
                }
                for i in ids
            ],
        )
        await session.exec(
            insert(Plan),
            params=[{"young_person_id": i, "goal": "", "created_at": now} for i in ids],
        )
        plans = (await session.exec(select(Plan.id))).all()
        await session.exec(
            insert(Milestone),
            params=[
                {
                    "plan_id": p,
                    "title": "Skriv CV",
                    "tag": "cv",
                    "status": "open",
                    "created_at": now,
                }
                for p in plans
            ],
        )


async def test_a_planted_difference_lies_within_the_reported_interval(db: Database) -> None:
    now = local(2026, 3, 3, 10)
    clock.set(now)
    await _crowd(db, 3000, now)
    campaign_id = await started(
        db,
        spec(
            text=None,
            arms=[
                {"name": "A", "text": {"da": "Husk dit CV"}},
                {"name": "B", "text": {"da": "Hej"}},
            ],
            holdout=0.2,
            seed=7,
            schedule={"at": "2026-03-03T10:00:00"},
            experiment={"outcome": "milestone_done", "tag": "cv", "by": "2026-03-20T00:00:00Z"},
        ),
        now,
    )
    await sweep(db, now)
    rows = await deliveries(db, campaign_id)
    arms = {d.arm for d in rows}
    assert arms == {"A", "B", HOLDOUT}
    # The simulated history: each young person finishes the step with their arm's chance.
    draw = random.Random(2026)
    done = [d.young_person_id for d in rows if draw.random() < PLANTED[d.arm or ""]]
    async with db.session() as session:
        plan_ids = select(Plan.id).where(col(Plan.young_person_id).in_(done))
        await session.exec(
            update(Milestone)
            .where(col(Milestone.plan_id).in_(plan_ids))
            .values(status="done", done_at=now + timedelta(days=5))
        )
    found = {arm.arm: arm for arm in await outcomes(db, campaign_id)}
    assert sum(arm.n for arm in found.values()) == 3000
    for name in ("A", "B"):
        c = compare(found[name], found[HOLDOUT])
        planted = PLANTED[name] - PLANTED[HOLDOUT]
        assert c.low <= planted <= c.high, (name, c)
        assert c.can_tell
    counts = await progress(db, campaign_id)
    assert counts["holdout"] == found[HOLDOUT].n
    assert counts["queued"] == found["A"].n + found["B"].n
