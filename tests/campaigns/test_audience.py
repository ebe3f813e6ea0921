"""The audience filter picks the young people it says, in SQL, on both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.campaigns import audience
from bot.campaigns.spec import Condition
from bot.database import Database
from tests.world import (
    appointment,
    channel_identity,
    milestone,
    municipality,
    plan,
    staff_member,
    young_person,
)

CPH = ZoneInfo("Europe/Copenhagen")


async def _town(db: Database, now: datetime) -> tuple[int, dict[str, int]]:
    """Named young people, each different in one way, and one in another municipality."""
    today = now.astimezone(CPH).date()
    async with db.session() as session:
        town = await municipality(session, code="0999")
        other = await municipality(session, name="Andeby", code="0998")
        nord = await staff_member(session, town, name="Mette Nord", team="Nord")
        syd = await staff_member(session, town, name="Ali Syd", team="Syd")
        people = {
            # 16 today (exact birth date); 17 next week
            "ida": await young_person(
                session, town, first_name="Ida", contact=nord, birth_date=date(2009, 12, 1)
            ),
            # born 2008: 17 or 18 on 30 November 2026 (by birth year only)
            "bo": await young_person(session, town, first_name="Bo", contact=syd, birth_year=2008),
            # 18 years and a day
            "cem": await young_person(
                session, town, first_name="Cem", contact=nord, birth_date=date(2008, 11, 29)
            ),
            "dina": await young_person(
                session, town, first_name="Dina", contact=syd, language="ar", status="paused"
            ),
            "eva": await young_person(
                session, town, first_name="Eva", contact=nord, risk_flag_at=now
            ),
            "far": await young_person(session, other, first_name="Far", birth_year=2009),
        }
        await channel_identity(session, people["ida"], channel="sms", address="+4520123456")
        await channel_identity(
            session,
            people["bo"],
            channel="telegram",
            address="4242",
            last_inbound_at=now - timedelta(days=40),
        )
        await channel_identity(
            session, people["cem"], channel="web", address="v-cem", last_inbound_at=now
        )
        ida_plan = await plan(session, people["ida"])
        await milestone(session, ida_plan, title="Søg ind", tag="ansogning", due_date=today)
        bo_plan = await plan(session, people["bo"])
        await milestone(
            session,
            bo_plan,
            title="Søg ind",
            tag="ansogning",
            due_date=today - timedelta(days=2),
        )
        cem_plan = await plan(session, people["cem"])
        await milestone(session, cem_plan, title="Søg ind", tag="ansogning", status="done")
        await appointment(session, cem_plan, starts_at=now + timedelta(days=3))
        return town.id or 0, {name: person.id or 0 for name, person in people.items()}


CASES: list[tuple[dict[str, object], set[str]]] = [
    ({"age": {"min": 15, "max": 17}}, {"ida", "bo"}),
    ({"age": {"min": 18}}, {"bo", "cem"}),
    ({"status": ["active"]}, {"ida", "bo", "cem", "eva"}),
    ({"language": ["ar"]}, {"dina"}),
    ({"channel": ["sms", "telegram"]}, {"ida", "bo"}),
    ({"team": "Nord"}, {"ida", "cem", "eva"}),
    ({"contact_person": "ALI@0999.dk"}, {"bo", "dina"}),
    ({"milestone": {"tag": "ansogning", "state": "open"}}, {"ida", "bo"}),
    ({"milestone": {"tag": "ansogning", "state": "overdue"}}, {"bo"}),
    ({"milestone": {"tag": "ansogning", "state": "done"}}, {"cem"}),
    ({"appointment_within_days": 7}, {"cem"}),
    ({"appointment_within_days": 2}, set()),
    ({"risk_flag": True}, {"eva"}),
    ({"no_contact_days": 30}, {"ida", "bo", "dina", "eva"}),
    (
        {"all": [{"team": "Nord"}, {"not": {"milestone": {"tag": "ansogning", "state": "done"}}}]},
        {"ida", "eva"},
    ),
    ({"any": [{"language": ["ar"]}, {"risk_flag": True}]}, {"dina", "eva"}),
]


@pytest.mark.parametrize(("test", "expected"), CASES, ids=[str(c[0]) for c in CASES])
async def test_the_filter_picks_whom_it_says(
    db: Database, test: dict[str, object], expected: set[str]
) -> None:
    now = datetime(2026, 11, 30, 11, 0, tzinfo=ZoneInfo("UTC"))
    town_id, ids = await _town(db, now)
    condition = Condition.model_validate(test)
    found: set[int] = set()
    async for page in audience.pages(
        db, condition, municipality_id=town_id, now=now, zone=CPH, size=2
    ):
        assert len(page) <= 2
        found |= set(page)
    names = {name for name, person_id in ids.items() if person_id in found}
    assert names == expected
    async with db.session() as session:
        counted = await audience.count(
            session, condition, municipality_id=town_id, now=now, zone=CPH
        )
    assert counted == len(expected)
