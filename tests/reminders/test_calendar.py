"""The national calendar in content/: valid, local times right, audiences usable."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.reminders.calendar import load_calendar


def test_shipped_calendar_loads_and_is_verified() -> None:
    calendar = load_calendar()
    assert {
        "ungdomsuddannelse_ansoegning",
        "kvote2",
        "kvote1",
        "fgu_start_august",
        "fgu_start_januar",
    } <= {d.key for d in calendar.deadlines}
    assert all(d.last_verified >= date(2025, 1, 1) for d in calendar.deadlines)


def test_application_deadline_is_1_march_2359_local() -> None:
    deadline = load_calendar().by_key("ungdomsuddannelse_ansoegning")
    # Winter time: 23:59 in Copenhagen is 22:59 UTC.
    assert deadline.moment(2027) == datetime(2027, 3, 1, 22, 59, tzinfo=UTC)
    assert deadline.next_after(datetime(2027, 3, 2, tzinfo=UTC)).year == 2028
    assert load_calendar().by_key("kvote1").moment(2026) == datetime(2026, 7, 5, 10, 0, tzinfo=UTC)


def test_audience_filter() -> None:
    keys = {d.key for d in load_calendar().for_audience("videregaaende_soegende")}
    assert keys == {"kvote1", "kvote2"}


@pytest.mark.parametrize(
    "bad",
    [
        "deadlines: [{key: x, title: t, month: 2, day: 30, at: '12:00', audience: [a], "
        "source: s, last_verified: 2026-01-01}]",
        "deadlines: [{key: x, title: t, month: 2, day: 1, at: '12:00', audience: [a], source: s}]",
    ],
)
def test_bad_calendar_is_refused(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ValueError):
        load_calendar(path)
