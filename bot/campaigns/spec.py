"""What a campaign is, as staff write it: audience, message, choices, schedule, experiment.

One shape for every way a campaign is made (a YAML file in content/campaigns/, the CLI, the
inbox form), validated here with clear errors. The validated spec is stored on the campaign
row as JSON, so what was previewed is what is sent.
"""

from __future__ import annotations

import re
import string
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.content.yaml_files import load_yaml
from bot.reminders.calendar import calendar
from bot.reminders.offsets import parse_offset

# What a campaign text may name: {first_name}, {contact_name}, and {when} (the date a
# date-relative campaign is about).
PLACEHOLDERS = ("first_name", "contact_name", "when")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgeRange(_Strict):
    """Age now, inclusive; from the birth date when known, else the birth year (errs wide)."""

    min: int | None = Field(default=None, ge=0, le=40)
    max: int | None = Field(default=None, ge=0, le=40)


class MilestoneTag(_Strict):
    """A milestone of the plan with this tag is open, overdue (open past its date) or done."""

    tag: str = Field(min_length=1, max_length=40)
    state: Literal["open", "overdue", "done"] = "open"


class Condition(_Strict):
    """One test of a young person; exactly one field is set. `all`/`any`/`not` combine them."""

    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")
    age: AgeRange | None = None
    status: list[Literal["active", "paused"]] | None = None
    language: list[str] | None = None
    channel: list[Literal["sms", "telegram", "web"]] | None = None
    team: str | None = None
    contact_person: str | None = Field(default=None, description="a staff email")
    milestone: MilestoneTag | None = None
    appointment_within_days: int | None = Field(default=None, ge=0, le=365)
    risk_flag: bool | None = None
    no_contact_days: int | None = Field(default=None, ge=1, le=3650)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        set_fields = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(set_fields) != 1:
            raise ValueError(
                "each audience condition has exactly one test "
                f"(got {', '.join(set_fields) or 'none'})"
            )
        return self


class Choice(_Strict):
    """An answer button. `goto` is a flow step; `do` an action (e.g. milestone_done_tag:cv)."""

    key: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    label: dict[str, str]
    goto: str = "menu.main"
    do: str | None = None

    @field_validator("label")
    @classmethod
    def _danish_first(cls, value: dict[str, str]) -> dict[str, str]:
        if not value.get("da", "").strip():
            raise ValueError("every label needs Danish text (da)")
        return value


class Arm(_Strict):
    """One wording of an experiment; `text` is Danish first, with optional translations."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")
    text: dict[str, str]

    @field_validator("text")
    @classmethod
    def _danish_first(cls, value: dict[str, str]) -> dict[str, str]:
        if not value.get("da", "").strip():
            raise ValueError("every message needs Danish text (da)")
        for text in value.values():
            if len(text) > 1000:
                raise ValueError("a campaign message is at most 1000 characters")
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
            unknown = names - set(PLACEHOLDERS)
            if unknown:
                raise ValueError(
                    f"unknown placeholder {{{sorted(unknown)[0]}}}: use "
                    + ", ".join(f"{{{n}}}" for n in PLACEHOLDERS)
                )
        return value


class Relative(_Strict):
    """Relative to a date on each young person, like '1d@16:00' before each appointment."""

    to: Literal["appointment", "milestone", "deadline"]
    offsets: list[str] = Field(min_length=1, max_length=6)
    # Only milestones with this tag (for `to: milestone`).
    tag: str | None = None
    # A national deadline's key in content/calendar.yaml (for `to: deadline`), every year.
    deadline: str | None = None

    @model_validator(mode="after")
    def _known_deadline(self) -> Relative:
        if self.to == "deadline":
            keys = [d.key for d in calendar().deadlines]
            if self.deadline not in keys:
                raise ValueError(f"deadline must be one of {', '.join(keys)}")
        return self

    @field_validator("offsets")
    @classmethod
    def _offsets(cls, value: list[str]) -> list[str]:
        for key in value:
            parse_offset(key)
        return value


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(expression: str, zone: ZoneInfo) -> CronTrigger:
    """A standard five-field crontab line as a trigger in `zone`.

    APScheduler 3 counts weekdays from Monday = 0, where crontab counts from Sunday = 0, so
    "0 16 * * 1" would fire on Tuesdays; weekday numbers are turned into names first.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError("a cron schedule has five fields: minute hour day month weekday")
    fields[4] = re.sub(r"\d+", lambda m: _weekday(m.group()), fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=zone)


def _weekday(number: str) -> str:
    if int(number) > 7:
        raise ValueError(f"no weekday {number} in a cron schedule (0-7, Sunday is 0 and 7)")
    return _WEEKDAYS[int(number)]


class Schedule(_Strict):
    """When: once `at` a local time, on a `cron` recurrence, or `relative` to each person's date."""

    at: datetime | None = None
    cron: str | None = None
    relative: Relative | None = None
    # Date-relative campaigns look this far ahead for dates to plan for.
    horizon_days: int = Field(default=30, ge=1, le=366)

    @model_validator(mode="after")
    def _one_kind(self) -> Schedule:
        kinds = [k for k in ("at", "cron", "relative") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a schedule has exactly one of at, cron, relative")
        if self.cron is not None:
            cron_trigger(self.cron, ZoneInfo("UTC"))
        return self

    @property
    def kind(self) -> str:
        """'at', 'cron' or 'relative'."""
        return "at" if self.at else "cron" if self.cron else "relative"


Outcome = Literal["replied", "milestone_done", "appointment_kept"]


class Experiment(_Strict):
    """What the results compare between arms."""

    outcome: Outcome = "replied"
    # For milestone_done: milestones with this tag done by `by`.
    tag: str | None = None
    by: datetime | None = None


class CampaignSpec(_Strict):
    """A whole campaign as written by staff (see content/campaigns/README.md)."""

    name: str = Field(min_length=1, max_length=100)
    # The municipality's code; left out in shared templates (content/campaigns/), where the
    # creating staff member's municipality is used.
    municipality: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,20}$")
    audience: Condition
    arms: list[Arm] = Field(min_length=1, max_length=3)
    holdout: float = Field(default=0.0, ge=0.0, lt=0.5)
    choices: list[Choice] = Field(default_factory=list, max_length=3)
    schedule: Schedule
    per_second: float = Field(default=1.0, gt=0, le=100)
    experiment: Experiment = Experiment()
    seed: int = 0

    @model_validator(mode="before")
    @classmethod
    def _one_text(cls, data: Any) -> Any:
        # A campaign without an experiment writes `text:` rather than a one-arm list.
        if isinstance(data, dict) and "text" in data:
            data = dict(data)
            text = data.pop("text")
            if "arms" in data:
                raise ValueError("write either text or arms, not both")
            data["arms"] = [{"name": "A", "text": text}]
        return data


def load_spec(path: Path) -> CampaignSpec:
    """A campaign from a YAML file; errors name the file and the field."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a campaign file is a mapping (name:, audience:, …)")
    return CampaignSpec.model_validate(raw)
