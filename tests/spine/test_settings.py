"""One Settings class with nested groups, read from the same variable names as before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.settings import OutboxSettings, Settings, describe_error

# Every variable that moved into a group, a value that is not its default, and where it lands.
MOVED: list[tuple[str, str, Callable[[Settings], Any], Any]] = [
    (
        "INDGANG_REMINDER_APPOINTMENT_OFFSETS",
        '["3h"]',
        lambda s: s.reminder.appointment_offsets,
        ["3h"],
    ),
    (
        "INDGANG_REMINDER_MILESTONE_BEFORE",
        '["1d@09:00"]',
        lambda s: s.reminder.milestone_before,
        ["1d@09:00"],
    ),
    (
        "INDGANG_REMINDER_MILESTONE_OVERDUE",
        '["+2d@10:00"]',
        lambda s: s.reminder.milestone_overdue,
        ["+2d@10:00"],
    ),
    ("INDGANG_REMINDER_SWEEP_SECONDS", "7", lambda s: s.reminder.sweep_seconds, 7.0),
    (
        "INDGANG_REMINDER_CHECKIN_SWEEP_SECONDS",
        "8",
        lambda s: s.reminder.checkin_sweep_seconds,
        8.0,
    ),
    ("INDGANG_REMINDER_BATCH", "9", lambda s: s.reminder.batch, 9),
    ("INDGANG_DISPATCHER_INTERVAL", "0.25", lambda s: s.outbox.dispatcher_interval, 0.25),
    ("INDGANG_DISPATCHER_BATCH", "11", lambda s: s.outbox.dispatcher_batch, 11),
    ("INDGANG_SEND_MAX_ATTEMPTS", "3", lambda s: s.outbox.send_max_attempts, 3),
    ("INDGANG_SEND_BACKOFF_BASE", "1.5", lambda s: s.outbox.send_backoff_base, 1.5),
    ("INDGANG_SEND_BACKOFF_CAP", "60", lambda s: s.outbox.send_backoff_cap, 60.0),
    ("INDGANG_LEASE_SECONDS", "30", lambda s: s.outbox.lease_seconds, 30),
    # New in the outbox group, named the same way.
    (
        "INDGANG_SEND_RATES",
        '{"sms:MG0123": 50}',
        lambda s: s.outbox.send_rates,
        {"sms:MG0123": 50.0},
    ),
    ("INDGANG_SEND_PACE_MARGIN", "0.1", lambda s: s.outbox.send_pace_margin, 0.1),
]


@pytest.mark.parametrize(
    ("name", "value", "read", "expected"), MOVED, ids=[row[0] for row in MOVED]
)
def test_each_old_variable_still_sets_its_value(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
    read: Callable[[Settings], Any],
    expected: Any,
) -> None:
    before = Settings(_env_file=None)  # type: ignore[call-arg]
    assert read(before) != expected
    monkeypatch.setenv(name, value)
    after = Settings(_env_file=None)  # type: ignore[call-arg]
    assert read(after) == expected
    changed = {path for path, _ in _leaves(after.model_dump()) ^ _leaves(before.model_dump())}
    assert changed - {"secret_key"} and len(changed - {"secret_key"}) == 1  # nothing else moved


def _leaves(values: dict[str, Any], path: str = "") -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for key, value in values.items():
        where = f"{path}.{key}" if path else key
        found |= _leaves(value, where) if isinstance(value, dict) else {(where, repr(value))}
    return found


def test_a_dotenv_file_sets_grouped_values(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "INDGANG_REMINDER_BATCH=12\nINDGANG_SEND_MAX_ATTEMPTS=4\n", encoding="utf-8"
    )
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert (settings.reminder.batch, settings.outbox.send_max_attempts) == (12, 4)


@pytest.mark.parametrize(
    "name",
    [
        "INDGANG_BATCH",
        "INDGANG_INTERVAL",
        "INDGANG_MAX_ATTEMPTS",
        "INDGANG_DISPATCHER_MAX_ATTEMPTS",
        "INDGANG_OUTBOX_BATCH",
    ],
)
def test_a_field_name_alone_is_not_a_variable(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    before = Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv(name, "3")
    after = Settings(_env_file=None)  # type: ignore[call-arg]
    assert {p for p, _ in _leaves(after.model_dump()) ^ _leaves(before.model_dump())} <= {
        "secret_key"
    }


def test_groups_can_be_given_in_code() -> None:
    settings = Settings(outbox=OutboxSettings(dispatcher_interval=0.2, send_backoff_cap=60))
    assert (settings.outbox.dispatcher_interval, settings.outbox.send_backoff_cap) == (0.2, 60)
    assert settings.outbox.send_max_attempts == 8


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INDGANG_REMINDER_APPOINTMENT_OFFSETS", '["soon"]'),
        ("INDGANG_REMINDER_MILESTONE_OVERDUE", '["1d@10:00", 5]'),
        ("INDGANG_REMINDER_BATCH", "0"),
        ("INDGANG_DISPATCHER_INTERVAL", "-1"),
        ("INDGANG_DISPATCHER_BATCH", "many"),
        ("INDGANG_SEND_MAX_ATTEMPTS", "0"),
        ("INDGANG_SEND_BACKOFF_BASE", "fast"),
        ("INDGANG_SEND_BACKOFF_CAP", "0"),
        ("INDGANG_LEASE_SECONDS", "-5"),
        ("INDGANG_SEND_RATES", '{"sms": 0}'),
        ("INDGANG_SEND_RATES", '{"sms": "fast"}'),
        ("INDGANG_SEND_PACE_MARGIN", "0"),
        ("INDGANG_TIMEZONE", "Mars/Olympus"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)  # type: ignore[call-arg]
    line = describe_error(caught.value)
    assert "\n" not in line
    assert line.startswith(f"{name}: "), line
