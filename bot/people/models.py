"""Young people, the channel addresses they write from, and invites that link them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.columns import created_at_field, utc_field

STATUSES = ("active", "paused", "opted_out", "closed")


class YoungPerson(SQLModel, table=True):
    """A young person followed by the youth service. First name or nickname only; no CPR."""

    __tablename__ = "young_person"

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    first_name: str | None = Field(default=None, max_length=60)
    birth_year: int | None = Field(default=None)
    # Only when staff know it: makes age bands of help lines exact (else birth year is used).
    birth_date: date | None = Field(default=None)
    language: str = Field(default="da", max_length=8)
    status: str = Field(default="active", max_length=12)
    contact_person_id: int | None = Field(default=None, foreign_key="staff_member.id", index=True)
    risk_flag_at: datetime | None = utc_field()
    risk_reason: str | None = Field(default=None, max_length=200)
    cpr_warned: bool = Field(default=False)
    created_at: datetime = created_at_field()
    closed_at: datetime | None = utc_field()


class ChannelIdentity(SQLModel, table=True):
    """A Telegram chat id, an E.164 number or a web visitor id, owned by one young person."""

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=64)
    verified: bool = Field(default=False)
    opted_out_at: datetime | None = utc_field()
    unreachable_at: datetime | None = utc_field()
    unreachable_reason: str | None = Field(default=None, max_length=100)
    last_inbound_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()


class Invite(SQLModel, table=True):
    """A single-use, expiring code that links a channel identity to a young person."""

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = utc_field(nullable=False)
    used_at: datetime | None = utc_field()
    created_by_id: int | None = Field(default=None, foreign_key="staff_member.id")
    created_at: datetime = created_at_field()
