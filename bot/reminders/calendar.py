"""The national calendar of deadlines (content/calendar.yaml), for campaigns and reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.content.flows import CONTENT_DIR
from bot.content.yaml_files import load_yaml

ZONE = ZoneInfo("Europe/Copenhagen")


class Deadline(BaseModel):
    """A yearly deadline: a local date and time, whom it concerns, when a person checked it."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str = Field(min_length=1, max_length=200)
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    at: time
    audience: list[str] = Field(min_length=1)
    source: str
    last_verified: date

    @field_validator("day")
    @classmethod
    def _real_day(cls, value: int, info: object) -> int:
        month = getattr(info, "data", {}).get("month", 1)
        date(2024, month, value)  # a leap year, so 29 February is allowed
        return value

    def moment(self, year: int) -> datetime:
        """This deadline in `year`, as UTC (computed from local wall-clock time)."""
        return datetime.combine(date(year, self.month, self.day), self.at, tzinfo=ZONE).astimezone(
            UTC
        )

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence after `moment`."""
        local_year = moment.astimezone(ZONE).year
        this_year = self.moment(local_year)
        return this_year if this_year > moment else self.moment(local_year + 1)


class Calendar(BaseModel):
    """Every deadline."""

    model_config = ConfigDict(extra="forbid")

    deadlines: list[Deadline]

    def by_key(self, key: str) -> Deadline:
        """One deadline by its key."""
        return next(d for d in self.deadlines if d.key == key)

    def for_audience(self, audience: str) -> list[Deadline]:
        """The deadlines that concern an audience."""
        return [d for d in self.deadlines if audience in d.audience]


def load_calendar(path: Path | None = None) -> Calendar:
    """Read and check content/calendar.yaml; keys must be unique."""
    path = path or CONTENT_DIR / "calendar.yaml"
    calendar = Calendar.model_validate(load_yaml(path.read_text(encoding="utf-8")))
    keys = [d.key for d in calendar.deadlines]
    if len(keys) != len(set(keys)):
        raise ValueError(f"{path.name}: duplicate deadline keys")
    return calendar


@lru_cache
def calendar() -> Calendar:
    """The shipped calendar (loaded once)."""
    return load_calendar()
