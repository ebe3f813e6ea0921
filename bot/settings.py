"""All configuration, read once from INDGANG_* environment variables.

One `Settings` class; related fields sit in nested groups (`settings.reminder`,
`settings.campaign`, `settings.outbox`) whose variables keep their flat names
(INDGANG_REMINDER_BATCH, INDGANG_DISPATCHER_INTERVAL, INDGANG_SEND_MAX_ATTEMPTS, …).

Each channel reads its own (channels/<name>/settings.py, listed through bot/wiring.py).
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.reminders.offsets import parse_offset

ENV_PREFIX = "INDGANG_"


class ReminderSettings(BaseModel):
    """When reminders go, and how often the reminder and check-in sweeps run: INDGANG_REMINDER_*."""

    appointment_offsets: list[str] = ["3d@16:00", "1d@16:00"]
    milestone_before: list[str] = ["2d@16:00"]
    milestone_overdue: list[str] = ["+1d@10:00"]
    # "Vi savnede dig" after a meeting nobody marked held: the next day at 10:00 local.
    appointment_missed: str = "+1d@10:00"
    sweep_seconds: float = Field(default=60, gt=0)
    checkin_sweep_seconds: float = Field(default=300, gt=0)
    batch: int = Field(default=500, gt=0)

    @field_validator("appointment_offsets", "milestone_before", "milestone_overdue")
    @classmethod
    def _valid(cls, value: list[str]) -> list[str]:
        for key in value:
            parse_offset(key)
        return value

    @field_validator("appointment_missed")
    @classmethod
    def _valid_missed(cls, value: str) -> str:
        if parse_offset(value).at is None:
            raise ValueError("give a day and a local time, e.g. '+1d@10:00'")
        return value


class OutboxSettings(BaseModel):
    """How the dispatcher sends from the outbox; each field is named as its variable is."""

    dispatcher_interval: float = Field(default=1.0, gt=0)
    dispatcher_batch: int = Field(default=50, gt=0)
    send_max_attempts: int = Field(default=8, gt=0)
    send_backoff_base: float = Field(default=2.0, gt=0)
    send_backoff_cap: float = Field(default=900.0, gt=0)
    lease_seconds: int = Field(default=120, gt=0)
    # Provider calls in flight at once per channel, and the longest one may take (at most
    # half of lease_seconds): a slow or hanging call holds one of them, never the others.
    send_concurrency: int = Field(default=8, gt=0)
    send_timeout: float = Field(default=20.0, gt=0)
    # Share of a back-off drawn at random ("equal jitter": between (1 - j) and 1 times the
    # delay), so rows that failed together do not all come back together.
    send_backoff_jitter: float = Field(default=0.5, ge=0, le=1)
    # Sends per second, overriding a channel's own: by pacing key (`sms:MG…` for one
    # Messaging Service, `telegram:<bot id>`) or by channel name (`sms`), e.g.
    # INDGANG_SEND_RATES='{"sms:MG0123": 50, "sms": 1}'. Shared by every dispatcher process.
    send_rates: dict[str, float] = Field(default_factory=dict)
    # Rate given up so that no second ever holds more than the limit (bot/outbox/limits.py).
    send_pace_margin: float = Field(default=0.05, gt=0, le=1)

    @property
    def call_timeout(self) -> float:
        """The longest a provider call may take: `send_timeout`, and at most half the lease,
        so a call ends while its row is still leased (no other worker can send it again)."""
        return min(self.send_timeout, self.lease_seconds / 2)

    @field_validator("send_rates")
    @classmethod
    def _positive_rates(cls, value: dict[str, float]) -> dict[str, float]:
        for key, rate in value.items():
            if not rate > 0:
                raise ValueError(f"the rate of {key!r} must be above zero")
        return value


class CampaignSettings(BaseModel):
    """How campaigns are sent: INDGANG_CAMPAIGN_*."""

    # The frequency cap: messages the bot starts unasked (campaigns, reminders, check-ins) to
    # one young person, per rolling day and week. Urgent and conversational replies are exempt.
    cap_per_day: int = Field(default=2, ge=1)
    cap_per_week: int = Field(default=5, ge=1)
    sweep_seconds: int = Field(default=20, gt=0)
    batch: int = Field(default=500, gt=0)
    # For the preview's cost estimate: the price of one SMS segment, in DKK.
    sms_segment_price: float = Field(default=0.25, ge=0)


class Settings(BaseSettings):
    """Indgang's settings; every field is INDGANG_<NAME> in the environment (or `.env`)."""

    # A group's variables are INDGANG_<GROUP>_<FIELD>: split once after the group's name, so
    # INDGANG_REMINDER_APPOINTMENT_OFFSETS is reminder.appointment_offsets.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        extra="ignore",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        validate_by_name=True,
    )

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./indgang.db"
    public_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000")
    timezone: str = "Europe/Copenhagen"
    secret_key: str = Field(default="", repr=False)
    demo_data: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False

    reminder: ReminderSettings = Field(default_factory=ReminderSettings)
    campaign: CampaignSettings = Field(default_factory=CampaignSettings)
    # Named by the bare prefix, this group is offered every INDGANG_<NAME> and keeps those that
    # are its fields' names (INDGANG_DISPATCHER_INTERVAL, INDGANG_SEND_…, INDGANG_LEASE_SECONDS).
    outbox: OutboxSettings = Field(default_factory=OutboxSettings, validation_alias="indgang")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return async_database_url(value)

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        if self.env == "production" and len(self.secret_key) < 32:
            raise ValueError("INDGANG_SECRET_KEY needs at least 32 characters in production")
        if not self.secret_key:
            # Development only: sessions do not survive a restart, which is fine there.
            self.secret_key = secrets.token_urlsafe(32)
        return self

    @property
    def public_base(self) -> str:
        """The public address without a trailing slash."""
        return str(self.public_url).rstrip("/")


def async_database_url(url: str) -> str:
    """Pick the async driver for a plain database URL."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    if not url.startswith(
        ("sqlite+aiosqlite://", "postgresql+psycopg://", "postgresql+asyncpg://")
    ):
        raise ValueError("must be a sqlite:// or postgresql:// URL")
    return url


def describe_error(exc: ValidationError, prefix: str = ENV_PREFIX) -> str:
    """One line per bad setting, naming the environment variable (a channel's own prefix for
    a channel's settings)."""
    return "; ".join(
        f"{env_variable(error['loc'], prefix)}: {error['msg']}" for error in exc.errors()
    )


def env_variable(loc: tuple[int | str, ...], prefix: str = ENV_PREFIX) -> str:
    """The variable behind an error's location: ('reminder', 'batch') is INDGANG_REMINDER_BATCH."""
    names = [part for part in loc if isinstance(part, str)]  # list positions are not names
    if names[:1] == ["outbox"]:
        # Its fields carry their variables' whole names (send_max_attempts); what follows is
        # a key inside a value (INDGANG_SEND_RATES={"sms": …}).
        names = names[1:2]
    return prefix + "_".join(names).upper() if names else "settings"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
