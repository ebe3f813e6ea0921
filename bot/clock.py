"""The one source of 'now', which tests can stop and move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC, or a fixed time set by a test."""

    def __init__(self) -> None:
        self._fixed: datetime | None = None

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return self._fixed if self._fixed is not None else datetime.now(UTC)

    def set(self, moment: datetime) -> None:
        """Stop time at `moment`."""
        if moment.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware time")
        self._fixed = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move a stopped clock forward."""
        self.set(self.now() + delta)

    def reset(self) -> None:
        """Let time run again."""
        self._fixed = None


clock = Clock()


def utcnow() -> datetime:
    """The current time in UTC."""
    return clock.now()
