"""Municipalities: everything else belongs to exactly one."""

from __future__ import annotations

from datetime import datetime, time

from sqlmodel import Field, SQLModel

from bot.columns import created_at_field


class Municipality(SQLModel, table=True):
    """A municipality: everything else belongs to exactly one."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    code: str = Field(max_length=10, unique=True)
    timezone: str = Field(default="Europe/Copenhagen", max_length=64)
    quiet_start: time = Field(default=time(21, 0))
    quiet_end: time = Field(default=time(8, 0))
    work_start: time = Field(default=time(8, 0))
    work_end: time = Field(default=time(16, 0))
    default_language: str = Field(default="da", max_length=8)
    retention_days: int = Field(default=365)
    first_reply_target_hours: int = Field(default=24)
    # An urgent (crisis) handoff is due this long after staff are next at work.
    urgent_reply_target_minutes: int = Field(default=15)
    # Past this many messages a minute from one young person the bot answers once that it
    # waits (crises are always answered, every message is stored); 0 turns it off.
    inbound_per_minute: int = Field(default=20)
    # When meeting reminders go here ("3d@16:00,1d@16:00"); empty: the installation default
    # (INDGANG_REMINDER_APPOINTMENT_OFFSETS).
    appointment_reminders: str = Field(default="", max_length=100)
    # Help lines not verified within a year are shown by default (better than none).
    hide_unverified_helplines: bool = Field(default=False)
    sms_number: str | None = Field(default=None, max_length=20, unique=True)
    telegram_bot: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = created_at_field()
