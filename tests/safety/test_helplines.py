"""Help lines: 112 separate, at least two options for the age, open-now first."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest

from bot.safety.helplines import (
    EMERGENCY,
    Helpline,
    HelplineFileError,
    Hours,
    clear_cache,
    helplines_for,
    load_helplines,
    parse_helplines,
)

NIGHT = datetime(2026, 3, 4, 3, 0)


def test_sixteen_year_old_at_three_in_the_morning() -> None:
    options = helplines_for(16, NIGHT)
    assert 2 <= len(options) <= 3
    assert options[0].is_open(NIGHT) is True
    states = [o.is_open(NIGHT) for o in options]
    # Open ones first, then unknown hours, then closed.
    rank = {True: 0, None: 1, False: 2}
    assert [rank[s] for s in states] == sorted(rank[s] for s in states)
    assert all(o.fits_age(16) for o in options)
    assert "116 111" in [o.contact for o in options]


def test_emergency_is_separate() -> None:
    assert EMERGENCY.contact == "112"
    assert EMERGENCY.kind == "emergency"
    assert EMERGENCY.is_open(NIGHT)
    for age in (None, 12, 16, 20, 24, 30):
        for hour in range(24):
            options = helplines_for(age, NIGHT.replace(hour=hour))
            assert EMERGENCY not in options
            assert all(o.contact != "112" for o in options)


@pytest.mark.parametrize("age", [None, 8, 12, 15, 17, 18, 19, 24, 25, 26, 40])
@pytest.mark.parametrize("hour", [0, 3, 6, 9, 12, 18, 21, 23])
def test_never_fewer_than_two(age: int | None, hour: int) -> None:
    options = helplines_for(age, NIGHT.replace(hour=hour))
    assert 2 <= len(options) <= 3
    assert len({o.id for o in options}) == len(options)


def test_age_band_is_respected_when_enough_lines_fit() -> None:
    options = helplines_for(20, NIGHT)
    assert all(o.fits_age(20) for o in options)
    assert "boernetelefonen" not in [o.id for o in options]


def test_no_links_and_data_fields() -> None:
    for line in load_helplines():
        assert "http" not in line.contact and "www" not in line.contact
        assert "http" not in line.text and ".dk" not in line.text
        assert line.name and line.text
        # Not yet verified against the lines' own pages: the date must be filled in before launch.
        assert line.last_verified is None or line.last_verified.year >= 2025


@pytest.mark.parametrize(
    ("hours", "at", "expected"),
    [
        (Hours(always=True), time(3), True),
        (Hours(), time(3), None),
        (Hours(opens=time(11), closes=time(5)), time(3), True),
        (Hours(opens=time(11), closes=time(5)), time(5), False),
        (Hours(opens=time(11), closes=time(5)), time(10, 59), False),
        (Hours(opens=time(11), closes=time(5)), time(11), True),
        (Hours(opens=time(9), closes=time(17)), time(12), True),
        (Hours(opens=time(9), closes=time(17)), time(17), False),
    ],
)
def test_hours(hours: Hours, at: time, expected: bool | None) -> None:
    assert hours.is_open(at) is expected


def _line(**overrides: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "id": "x",
        "name": "X",
        "contact": "12 34 56 78",
        "kind": "phone",
        "text": "Ring til X.",
        "age_min": None,
        "age_max": None,
        "hours": "always",
        "last_verified": None,
    }
    line.update(overrides)
    return line


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "fax"},
        {"kind": "emergency"},
        {"contact": "https://example.org"},
        {"hours": {"from": 660, "to": "05:00"}},  # unquoted 11:00 is a number in YAML
        {"hours": "sometimes"},
        {"age_min": 20, "age_max": 10},
        {"age_min": "ten"},
        {"last_verified": "last week"},
        {"text": ""},
    ],
)
def test_bad_helpline_files_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(HelplineFileError):
        parse_helplines({"lines": [_line(**bad), _line(id="y")]})


def test_content_override(tmp_path: Path) -> None:
    (tmp_path / "safety").mkdir()
    (tmp_path / "safety" / "helplines.yaml").write_text(
        "lines:\n"
        "  - {id: a, name: A, contact: '11 11 11 11', kind: phone, text: A, age_min: null,\n"
        "     age_max: 10, hours: {from: '09:00', to: '10:00'}, last_verified: 2026-01-01}\n"
        "  - {id: b, name: B, contact: B chat, kind: chat, text: B, age_min: 30,\n"
        "     age_max: null, hours: always, last_verified: null}\n",
        encoding="utf-8",
    )
    clear_cache()
    try:
        options = helplines_for(20, NIGHT, tmp_path)
        # Neither fits a 20-year-old, yet two options come back, open one first.
        assert [o.id for o in options] == ["b", "a"]
        assert all(isinstance(o, Helpline) for o in options)
    finally:
        clear_cache()
