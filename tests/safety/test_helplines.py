"""Help lines: chosen by topic, by age (exact or a birth year's range) and by hour; 112 apart.

`helplines_for(topic, age, now_local)` gives the lines for the topic before `general` lines,
lines open now before lines whose hours are unknown, never a line closed at that hour, and
with `include_unverified=False` only lines verified within a year. These tests use the
shipped content/safety/helplines.yaml where its facts are what matters, and small content
files of their own for hours and dates the shipped file does not have.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.i18n import tr
from bot.people.models import YoungPerson
from bot.safety.concepts import CATEGORIES
from bot.safety.crisis import age_range
from bot.safety.helplines import (
    EMERGENCY,
    MAX_OPTIONS,
    TOPICS,
    Helpline,
    HelplineFileError,
    Hours,
    helplines_for,
    load_helplines,
    parse_helplines,
)
from channels.sms.encoding import is_gsm7

# A Wednesday, 03:00 local time.
NIGHT = datetime(2026, 3, 4, 3, 0)
TODAY = date(2026, 3, 3)
AGES: list[int | tuple[int, int] | None] = [
    None,
    9,
    12,
    14,
    15,
    (14, 15),
    16,
    17,
    (17, 18),
    18,
    (18, 19),
    19,
    23,
    24,
    (24, 25),
    25,
    26,
    30,
]
EVERY_TOPIC = (*TOPICS, "distress")


def ids(lines: Iterable[Helpline]) -> list[str]:
    return [line.id for line in lines]


def person(**born: Any) -> YoungPerson:
    return YoungPerson(municipality_id=1, **born)


# --- by topic (shipped lines) ---------------------------------------------------------------


def test_violence_offers_lev_uden_vold_1888() -> None:
    lines = helplines_for("violence", 16, NIGHT)
    assert ids(lines) == ["boernetelefonen", "levudenvold", "red"]
    assert lines[1].contact == "1888"
    assert "1888" in lines[1].text


def test_violence_for_an_adult_still_gets_the_violence_lines_first() -> None:
    # BørneTelefonen is for children; the violence lines have no age limit.
    assert ids(helplines_for("violence", 30, NIGHT)) == ["levudenvold", "red"]
    assert ids(helplines_for("violence", 19, NIGHT))[:2] == ["levudenvold", "red"]


def test_forced_marriage_offers_red_first() -> None:
    lines = helplines_for("forced_marriage", 16, NIGHT)
    assert lines[0].id == "red"
    assert lines[0].contact == "70 27 76 66"
    # RED is first although it comes after the general lines in the file.
    assert ids(load_helplines()).index("red") > ids(load_helplines()).index("boernetelefonen")
    assert "levudenvold" not in ids(lines)  # Lev Uden Vold does not cover honour conflicts


def test_suicide_for_a_sixteen_year_old_offers_boernetelefonen_and_hoert() -> None:
    lines = helplines_for("suicide", 16, NIGHT)
    assert ids(lines)[:2] == ["boernetelefonen", "hoert"]
    assert [line.contact for line in lines[:2]] == ["116 111", "Hørt chat"]
    # The third is the suicide line, whose hours are unknown, before any general line.
    assert lines[2].id == "livslinien"


@pytest.mark.parametrize("topic", ["acute_danger", "homelessness", "general", "distress"])
def test_a_topic_without_its_own_lines_gets_general_lines_only(topic: str) -> None:
    lines = helplines_for(topic, 16, NIGHT)
    assert ids(lines) == ["boernetelefonen", "hoert", "headspace"]
    assert all("general" in line.topics for line in lines)


def test_lines_for_another_topic_only_are_never_offered() -> None:
    # Livslinien is for suicide only, Lev Uden Vold for violence, RED for honour and force.
    for topic in EVERY_TOPIC:
        for age in AGES:
            for line in helplines_for(topic, age, NIGHT, limit=99):
                assert topic in line.topics or "general" in line.topics, (topic, age, line.id)


@pytest.mark.parametrize("topic", EVERY_TOPIC)
def test_order_open_now_then_topic_first(topic: str) -> None:
    for age in AGES:
        for hour in range(24):
            now = NIGHT.replace(hour=hour)
            lines = helplines_for(topic, age, now, limit=99)
            ranks = [(line.is_open(now) is None, topic not in line.topics) for line in lines]
            # Open before unknown hours; within each, the topic's own lines before general.
            assert ranks == sorted(ranks), (age, hour, ids(lines))
            assert all(line.fits_age(age) for line in lines)
            assert len(set(ids(lines))) == len(lines)
            # The limit takes the best ones, in the same order.
            assert helplines_for(topic, age, now) == lines[:MAX_OPTIONS]
            assert helplines_for(topic, age, now, limit=2) == lines[:2]


# --- by age ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "expected"),
    [
        ({"birth_date": date(2010, 3, 3)}, (16, 16)),  # sixteen today
        ({"birth_date": date(2010, 3, 4)}, (15, 15)),  # sixteen tomorrow
        ({"birth_date": date(2007, 3, 4)}, (18, 18)),
        ({"birth_date": date(2007, 3, 3)}, (19, 19)),
        ({"birth_year": 2008}, (17, 18)),  # birthday not known: either age
        ({"birth_year": 2007}, (18, 19)),
        ({"birth_year": 2007, "birth_date": date(2007, 12, 24)}, (18, 18)),  # the date wins
        ({}, None),
    ],
)
def test_age_range_is_exact_from_a_birth_date_and_a_range_from_a_year(
    born: dict[str, Any], expected: tuple[int, int] | None
) -> None:
    assert age_range(person(**born), TODAY) == expected


def test_age_range_on_a_leap_day_birthday() -> None:
    leap = person(birth_date=date(2008, 2, 29))
    assert age_range(leap, date(2026, 2, 28)) == (17, 17)
    assert age_range(leap, date(2026, 3, 1)) == (18, 18)


def test_seventeen_by_birth_year_gets_boernetelefonen() -> None:
    # Born 2008: 17 or 18 on 3 March 2026; BørneTelefonen serves up to 18.
    age = age_range(person(birth_year=2008), TODAY)
    assert "boernetelefonen" in ids(helplines_for("suicide", age, NIGHT))


def test_the_eighteen_nineteen_boundary_errs_toward_including() -> None:
    by_year = age_range(person(birth_year=2007), TODAY)  # 18 or 19
    exactly_19 = age_range(person(birth_date=date(2007, 1, 15)), TODAY)
    exactly_18 = age_range(person(birth_date=date(2007, 12, 24)), TODAY)
    assert "boernetelefonen" in ids(helplines_for("suicide", by_year, NIGHT))
    assert "boernetelefonen" in ids(helplines_for("suicide", exactly_18, NIGHT))
    assert "boernetelefonen" not in ids(helplines_for("suicide", exactly_19, NIGHT, limit=99))


@pytest.mark.parametrize(
    ("line_id", "inside", "outside", "straddling"),
    [
        ("boernetelefonen", 18, 19, (18, 19)),
        ("hoert", 15, 14, (14, 15)),
        ("hoert", 24, 25, (24, 25)),
        ("headspace", 25, 26, (25, 26)),
        ("cyberhus", 9, 8, (8, 9)),
    ],
)
def test_age_limits_are_inclusive_and_a_range_across_one_includes(
    line_id: str, inside: int, outside: int, straddling: tuple[int, int]
) -> None:
    def offered(age: int | tuple[int, int]) -> bool:
        return line_id in ids(helplines_for("general", age, NIGHT, limit=99))

    assert offered(inside)
    assert not offered(outside)
    assert offered(straddling)


def test_unknown_age_fits_every_line() -> None:
    assert all(line.fits_age(None) for line in load_helplines())
    assert "boernetelefonen" in ids(helplines_for("general", None, NIGHT))


# --- by hour (own content: the shipped lines are open always or hours unknown) --------------


def _line(**overrides: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "id": "x",
        "name": "X",
        "contact": "12 34 56 78",
        "kind": "phone",
        "text": "Ring til X.",
        "categories": ["general"],
        "age_min": None,
        "age_max": None,
        "hours": "always",
        "last_verified": date(2026, 1, 1),
    }
    line.update(overrides)
    return line


def write_content(root: Path, lines: list[dict[str, Any]]) -> Path:
    (root / "safety").mkdir(parents=True, exist_ok=True)
    (root / "safety" / "helplines.yaml").write_text(
        yaml.safe_dump({"lines": lines}, allow_unicode=True), encoding="utf-8"
    )
    return root


@pytest.fixture
def timed(tmp_path: Path) -> Path:
    """Lines with every kind of hours, the general ones first in the file."""
    return write_content(
        tmp_path,
        [
            _line(id="unknown_general", hours="unknown"),
            _line(id="day_general", hours={"from": "09:00", "to": "17:00"}),
            _line(id="always_general"),
            _line(id="night_topic", categories=["suicide"], hours={"from": "22:00", "to": "06:00"}),
            _line(id="unknown_topic", categories=["suicide"], hours="unknown"),
            _line(
                id="day_topic",
                categories=["suicide", "general"],
                hours={"from": "09:00", "to": "17:00"},
            ),
        ],
    )


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (time(3, 0), ["night_topic", "always_general", "unknown_topic", "unknown_general"]),
        (time(5, 59), ["night_topic", "always_general", "unknown_topic", "unknown_general"]),
        (time(6, 0), ["always_general", "unknown_topic", "unknown_general"]),
        (time(8, 59), ["always_general", "unknown_topic", "unknown_general"]),
        (
            time(9, 0),
            ["day_topic", "day_general", "always_general", "unknown_topic", "unknown_general"],
        ),
        (
            time(16, 59),
            ["day_topic", "day_general", "always_general", "unknown_topic", "unknown_general"],
        ),
        (time(17, 0), ["always_general", "unknown_topic", "unknown_general"]),
        (time(22, 0), ["night_topic", "always_general", "unknown_topic", "unknown_general"]),
    ],
)
def test_by_hour_closed_never_unknown_last(timed: Path, at: time, expected: list[str]) -> None:
    now = datetime.combine(date(2026, 3, 4), at)
    assert ids(helplines_for("suicide", None, now, limit=99, content=timed)) == expected


def test_no_line_is_ever_offered_while_closed(timed: Path) -> None:
    for minute in range(0, 24 * 60, 5):
        now = datetime(2026, 3, 4) + timedelta(minutes=minute)
        for topic in ("suicide", "general"):
            lines = helplines_for(topic, None, now, limit=99, content=timed)
            assert all(line.is_open(now) is not False for line in lines), (now, ids(lines))
            open_ones = [line.is_open(now) for line in lines]
            assert open_ones == sorted(open_ones, key=lambda state: state is None)
            # Every line for the topic that is not closed is there: hours remove nothing else.
            assert set(ids(lines)) == {
                line.id
                for line in load_helplines(timed)
                if line.is_open(now) is not False
                and (topic in line.topics or "general" in line.topics)
            }


def test_an_open_general_line_comes_before_a_topic_line_with_unknown_hours(timed: Path) -> None:
    # Open-now is decided first: a line surely open at 03:00 beats one that may be closed.
    shown = ids(helplines_for("suicide", None, NIGHT, limit=99, content=timed))
    assert shown.index("always_general") < shown.index("unknown_topic")
    assert shown.index("night_topic") < shown.index("always_general")
    assert shown.index("unknown_topic") < shown.index("unknown_general")


def test_the_content_directory_comes_from_the_environment(
    timed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INDGANG_CONTENT_DIR", str(timed))
    assert ids(helplines_for("suicide", None, NIGHT, limit=2)) == ["night_topic", "always_general"]
    monkeypatch.delenv("INDGANG_CONTENT_DIR")
    assert ids(helplines_for("suicide", None, NIGHT, limit=2)) == ["boernetelefonen", "hoert"]


def test_the_limit_keeps_open_lines_over_unknown_ones(timed: Path) -> None:
    now = datetime(2026, 3, 4, 12, 0)
    assert ids(helplines_for("suicide", None, now, limit=2, content=timed)) == [
        "day_topic",
        "day_general",
    ]
    assert ids(helplines_for("general", None, now, limit=3, content=timed)) == [
        "day_general",
        "always_general",
        "day_topic",
    ]


@pytest.mark.parametrize(
    ("hours", "at", "expected"),
    [
        (Hours(always=True), time(3), True),
        (Hours(), time(3), None),
        (Hours(opens=time(22), closes=time(6)), time(3), True),
        (Hours(opens=time(22), closes=time(6)), time(6), False),
        (Hours(opens=time(22), closes=time(6)), time(21, 59), False),
        (Hours(opens=time(22), closes=time(6)), time(22), True),
        (Hours(opens=time(9), closes=time(17)), time(12), True),
        (Hours(opens=time(9), closes=time(17)), time(8, 59), False),
        (Hours(opens=time(9), closes=time(17)), time(17), False),
    ],
)
def test_hours(hours: Hours, at: time, expected: bool | None) -> None:
    assert hours.is_open(at) is expected


def test_shipped_lines_are_never_offered_closed_at_any_hour() -> None:
    for hour in range(24):
        now = NIGHT.replace(hour=hour, minute=30)
        for topic in EVERY_TOPIC:
            for age in AGES:
                lines = helplines_for(topic, age, now, limit=99)
                assert all(line.is_open(now) is not False for line in lines)
                states = [line.is_open(now) for line in lines]
                assert states == sorted(states, key=lambda state: state is None)


# --- verified within a year ------------------------------------------------------------------


def test_unverified_lines_are_dropped_on_request(tmp_path: Path) -> None:
    now = datetime(2027, 6, 1, 12, 0)
    content = write_content(
        tmp_path,
        [
            _line(id="never", last_verified=None),
            _line(id="year_ago", last_verified=date(2026, 6, 1)),  # 365 days
            _line(id="year_and_a_day", last_verified=date(2026, 5, 31)),  # 366 days
            _line(id="last_week", last_verified=date(2027, 5, 25)),
        ],
    )
    everything = helplines_for("general", None, now, limit=99, content=content)
    assert ids(everything) == ["never", "year_ago", "year_and_a_day", "last_week"]
    verified = helplines_for(
        "general", None, now, limit=99, include_unverified=False, content=content
    )
    assert ids(verified) == ["year_ago", "last_week"]
    # Dropping comes before the limit: the verified ones fill the places.
    assert ids(
        helplines_for("general", None, now, limit=2, include_unverified=False, content=content)
    ) == ["year_ago", "last_week"]


def test_shipped_lines_without_a_verified_date_are_dropped_on_request() -> None:
    unverified = {line.id for line in load_helplines() if line.last_verified is None}
    assert {"livslinien", "headspace", "cyberhus"} <= unverified
    now = datetime(2026, 12, 1, 3, 0)
    assert "livslinien" in ids(helplines_for("suicide", 20, now))
    for topic in EVERY_TOPIC:
        for age in AGES:
            shown = helplines_for(topic, age, now, limit=99, include_unverified=False)
            assert not {line.id for line in shown} & unverified, (topic, age)
            assert all(line.verified_since(now.date()) for line in shown)
    assert ids(helplines_for("suicide", 20, now, include_unverified=False)) == ["hoert"]


def test_a_line_verified_over_a_year_ago_counts_as_unverified() -> None:
    line = next(line for line in load_helplines() if line.last_verified is not None)
    assert line.last_verified is not None
    assert line.verified_since(line.last_verified + timedelta(days=365))
    assert not line.verified_since(line.last_verified + timedelta(days=366))
    later = datetime.combine(line.last_verified + timedelta(days=366), time(3))
    assert line.id not in ids(
        helplines_for("general", None, later, limit=99, include_unverified=False)
    )
    assert line.id in ids(helplines_for("general", None, later, limit=99))


# --- 112 ---------------------------------------------------------------------------------


def test_112_is_separate_and_never_among_the_lines() -> None:
    assert EMERGENCY.contact == "112"
    assert EMERGENCY.kind == "emergency"
    assert EMERGENCY.is_open(NIGHT) is True
    assert all(line.contact != "112" and "112" not in line.text for line in load_helplines())
    for topic in EVERY_TOPIC:
        for age in AGES:
            for hour in (0, 8, 16, 23):
                lines = helplines_for(topic, age, NIGHT.replace(hour=hour), limit=99)
                assert EMERGENCY not in lines
                assert all(line.kind != "emergency" for line in lines)


def test_every_crisis_category_is_a_help_line_topic() -> None:
    assert set(CATEGORIES) - {"distress"} <= set(TOPICS)


# --- the shipped file ------------------------------------------------------------------------


def test_shipped_lines_fit_an_sms_and_have_english_texts() -> None:
    lines = load_helplines()
    assert len(lines) >= 2
    for line in lines:
        assert "http" not in line.contact and "www." not in line.contact
        assert "http" not in line.text and "www." not in line.text and ".dk" not in line.text
        assert len(line.text) <= 60, line.id
        assert is_gsm7(line.text), line.id
        assert set(line.topics) <= set(TOPICS)
        assert line.last_verified is None or line.last_verified.year >= 2025
        english = tr("en", line.text)
        assert english != line.text and is_gsm7(english), line.id
        assert line.contact.split()[0] in english or line.contact.endswith("chat"), line.id


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "fax"},
        {"kind": "emergency"},
        {"contact": "https://example.org"},
        {"contact": "www.example.dk"},
        {"hours": {"from": 660, "to": "05:00"}},  # unquoted 11:00 is a number in YAML
        {"hours": {"from": "25:00", "to": "05:00"}},
        {"hours": "sometimes"},
        {"age_min": 20, "age_max": 10},
        {"age_min": "ten"},
        {"age_max": -1},
        {"last_verified": "last week"},
        {"text": ""},
        {"categories": ["weather"]},
        {"sources": [{"fact": "no url"}]},
    ],
)
def test_bad_helpline_files_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(HelplineFileError):
        parse_helplines({"lines": [_line(**bad), _line(id="y")]})


def test_a_good_file_parses_with_general_as_the_default_topic() -> None:
    raw = _line(hours={"from": "22:00", "to": "06:00"})
    del raw["categories"]
    first, second = parse_helplines({"lines": [raw, _line(id="y", categories=["violence"])]})
    assert first.topics == ("general",)
    assert first.hours == Hours(opens=time(22), closes=time(6))
    assert second.topics == ("violence",)
    with pytest.raises(HelplineFileError):
        parse_helplines({"lines": [_line()]})  # fewer than two lines
