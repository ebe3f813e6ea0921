"""Municipalities (tenants) and their staff."""

from __future__ import annotations

from datetime import datetime, time

from sqlmodel import Field, SQLModel

from bot.columns import created_at_field, utc_field

ROLES = ("contact_person", "team_lead", "admin", "content_editor")
DEPARTMENTS = ("education", "employment", "social")


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
    # Help lines not verified within a year are shown by default (better than none).
    hide_unverified_helplines: bool = Field(default=False)
    sms_number: str | None = Field(default=None, max_length=20, unique=True)
    telegram_bot: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = created_at_field()


class StaffMember(SQLModel, table=True):
    """A contact person, team lead, admin or content editor."""

    __tablename__ = "staff_member"

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    name: str = Field(max_length=100)
    email: str = Field(max_length=254, unique=True)
    role: str = Field(default="contact_person", max_length=20)
    department: str = Field(default="education", max_length=20)
    team: str = Field(default="", max_length=60)
    password_hash: str | None = Field(default=None, max_length=200)
    oidc_subject: str | None = Field(default=None, max_length=200, unique=True)
    capacity: int = Field(default=40)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = utc_field()
    absent_from: datetime | None = utc_field()
    absent_until: datetime | None = utc_field()
    stand_in_id: int | None = Field(default=None, foreign_key="staff_member.id")
    active: bool = Field(default=True)
    created_at: datetime = created_at_field()
