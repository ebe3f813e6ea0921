"""What planning writes for a mixed audience, row by row: who is planned, who is held out,
who is skipped and why, in which arm, for which occurrence and when.

The expected plan is written out here, one line per young person (every reason a planner
records, and the cases where the order of the tests decides), so a faster planner must
write the very same rows. The page is made small so the audience spans several pages.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.campaigns import planning
from bot.campaigns.models import HOLDOUT, PLANNED, SKIPPED
from bot.campaigns.planning import arm_of
from bot.database import Database
from tests.campaigns.world import deliveries, spec, started
from tests.world import channel_identity, handoff, municipality, young_person

# name: (status, identities as (opted out, unreachable), open handoff?, expected skip reason)
PEOPLE: dict[str, tuple[str, list[tuple[bool, bool]], str | None, str | None]] = {
    "telegram": ("active", [(False, False)], None, None),
    "sms": ("active", [(False, False)], None, None),
    "one_opted_out_one_open": ("active", [(True, False), (False, False)], None, None),
    "unreachable_and_open": ("active", [(False, True), (False, False)], None, None),
    "handoff_closed": ("active", [(False, False)], "closed", None),
    "opted_out_status": ("opted_out", [(False, False)], None, "opted_out"),
    "closed": ("closed", [(False, False)], None, "closed"),
    "paused": ("paused", [(False, False)], None, "paused"),
    "paused_in_handoff": ("paused", [(False, False)], "open", "paused"),
    "no_channel": ("active", [], None, "no_channel"),
    "no_channel_in_handoff": ("active", [], "open", "no_channel"),
    "opted_out_identity": ("active", [(True, False)], None, "opted_out"),
    "opted_out_everywhere": ("active", [(True, False), (True, True)], None, "opted_out"),
    "unreachable": ("active", [(False, True)], None, "unreachable"),
    "opted_out_and_unreachable": ("active", [(True, False), (False, True)], None, "unreachable"),
    "unreachable_in_handoff": ("active", [(False, True)], "open", "unreachable"),
    "in_handoff": ("active", [(False, False)], "open", "in_handoff"),
    "held_handoff": ("active", [(False, False)], "held", "in_handoff"),
}


async def _town(db: Database, now: datetime) -> dict[int, str]:
    """The young people above (and one of another municipality); names by id."""
    names: dict[int, str] = {}
    async with db.session() as session:
        town = await municipality(session, code="0999")
        other = await municipality(session, name="Andeby", code="0998")
        stranger = await young_person(session, other, first_name="Far")
        await channel_identity(session, stranger, channel="telegram", address="9999")
        for n, (name, (status, identities, held, _)) in enumerate(PEOPLE.items()):
            person = await young_person(session, town, first_name=name, status=status)
            names[person.id or 0] = name
            for k, (opted_out, unreachable) in enumerate(identities):
                await channel_identity(
                    session,
                    person,
                    channel="sms" if name == "sms" or k else "telegram",
                    address=f"+45201{n:03d}{k:02d}" if name == "sms" or k else str(5000 + n),
                    opted_out_at=now if opted_out else None,
                    unreachable_at=now if unreachable else None,
                )
            if held is not None:
                await handoff(session, person, municipality_id=town.id, status=held)
    return names


@pytest.mark.parametrize("page", [3, 2000])
@pytest.mark.parametrize("experiment", [False, True], ids=["one_text", "two_arms_holdout"])
async def test_the_plan_for_a_mixed_audience_is_row_for_row_as_expected(
    db: Database,
    frozen_clock: datetime,
    monkeypatch: pytest.MonkeyPatch,
    page: int,
    experiment: bool,
) -> None:
    monkeypatch.setattr(planning, "PAGE", page)
    names = await _town(db, frozen_clock)
    at = frozen_clock + timedelta(hours=1)
    wording: dict[str, object] = (
        {
            "text": None,
            "arms": [
                {"name": "A", "text": {"da": "Hej A"}},
                {"name": "B", "text": {"da": "Hej B"}},
            ],
            "holdout": 0.3,
        }
        if experiment
        else {}
    )
    campaign_spec = spec(
        audience={"risk_flag": False},  # everyone, whatever their status
        schedule={"at": at.isoformat()},
        **wording,
    )
    campaign_id = await started(db, campaign_spec, frozen_clock)
    await planning.plan_due(db, frozen_clock)
    await planning.plan_due(db, frozen_clock)  # planning again adds and changes nothing

    expected = {}
    for person_id, name in names.items():
        reason = PEOPLE[name][3]
        arm = arm_of(campaign_spec, campaign_id, person_id)
        status = SKIPPED if reason else HOLDOUT if arm == HOLDOUT else PLANNED
        expected[name] = ("once", arm, status, reason, at)
    rows = await deliveries(db, campaign_id)
    got = {
        names[d.young_person_id]: (d.occurrence, d.arm, d.status, d.skip_reason, d.due_at)
        for d in rows
    }
    assert len(rows) == len(PEOPLE)
    assert got == expected
    if experiment:  # the draw really splits them: an arm each and some held out
        assert {arm for _, arm, *_ in got.values()} == {"A", "B", HOLDOUT}
