"""A campaign as staff write it: what is refused, with an error that says what to fix."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.campaigns.spec import CampaignSpec, cron_trigger, load_spec
from tests.campaigns.world import spec

CONTENT = Path(__file__).resolve().parents[2] / "content" / "campaigns"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"text": {"en": "Hi"}}, "Danish text"),
        ({"text": {"da": "Hej {navn}"}}, "unknown placeholder {navn}"),
        ({"schedule": {}}, "exactly one of at, cron, relative"),
        ({"schedule": {"cron": "every monday"}}, "cron"),
        ({"schedule": {"relative": {"to": "appointment", "offsets": ["3 dage før"]}}}, "offset"),
        ({"audience": {"age": {"min": 15}, "language": ["da"]}}, "exactly one test"),
        ({"audience": {"all": [{"shoe_size": 42}]}}, "shoe_size"),
        ({"holdout": 0.7}, "holdout"),
        ({"per_second": 0}, "per_second"),
        (
            {"choices": [{"key": "Ja!", "label": {"da": "Ja"}}]},
            "key",
        ),
    ],
)
def test_what_is_wrong_is_named(change: dict[str, object], says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        spec(**change)
    assert says in str(caught.value)


def test_text_and_arms_are_one_or_the_other() -> None:
    with pytest.raises(ValidationError, match="either text or arms"):
        spec(arms=[{"name": "A", "text": {"da": "Hej"}}])


def test_an_experiment_has_its_arms_and_holdout() -> None:
    made = spec(
        text=None,
        arms=[{"name": "A", "text": {"da": "Hej"}}, {"name": "B", "text": {"da": "Hej du"}}],
        holdout=0.1,
    )
    assert [arm.name for arm in made.arms] == ["A", "B"]


@pytest.mark.parametrize("path", sorted(CONTENT.glob("*.yaml")), ids=lambda p: p.name)
def test_the_shipped_templates_are_valid(path: Path) -> None:
    assert isinstance(load_spec(path), CampaignSpec)


def test_a_broken_file_names_itself(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape("broken.yaml: not valid YAML")):
        load_spec(broken)


@pytest.mark.parametrize(
    ("expression", "weekdays"),
    [
        ("0 16 * * 1", {"Mon"}),
        ("0 16 * * 1-5", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("0 16 * * 0,6", {"Sat", "Sun"}),
        ("0 16 * * 7", {"Sun"}),
        ("0 16 * * mon,thu", {"Mon", "Thu"}),
    ],
)
def test_cron_weekdays_count_from_sunday_as_crontab_does(
    expression: str, weekdays: set[str]
) -> None:
    zone = ZoneInfo("Europe/Copenhagen")
    trigger = cron_trigger(expression, zone)
    fire = trigger.get_next_fire_time(None, datetime(2026, 3, 1, tzinfo=zone))
    seen = set()
    for _ in range(14):
        assert fire is not None
        seen.add(fire.strftime("%a"))
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    assert seen == weekdays
