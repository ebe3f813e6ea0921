"""Messages in both directions, and where each young person is in a flow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.columns import created_at_field, json_field, utc_field

INBOUND = "in"
OUTBOUND = "out"
AUTHORS = ("young_person", "bot", "staff")
# Internal notes are stored with the conversation on this channel (never sent).
NOTE_CHANNEL = "inbox"
# The statuses we set; channels report their own on top (sent, delivered, read, …).
STATUSES = ("received", "queued", "note", "cancelled", "failed")


class ConversationState(SQLModel, table=True):
    """Current flow and step, and answers collected on the way."""

    __tablename__ = "conversation_state"

    young_person_id: int = Field(foreign_key="young_person.id", primary_key=True)
    flow: str = Field(default="onboarding", max_length=40)
    step: str = Field(default="start", max_length=40)
    data: dict[str, Any] = json_field()
    misses: int = Field(default=0)
    updated_at: datetime = created_at_field()


class Message(SQLModel, table=True):
    """A message as stored: CPR-redacted body, author, delivery status."""

    __table_args__ = (
        # A provider's retry of the same inbound is recognised by this key.
        UniqueConstraint("channel", "direction", "provider_id"),
        Index("ix_message_young_person_created", "young_person_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int | None = Field(default=None, foreign_key="young_person.id")
    identity_id: int | None = Field(default=None, foreign_key="channel_identity.id")
    channel: str = Field(max_length=16)
    direction: str = Field(max_length=3)
    author: str = Field(max_length=16)
    staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    body: str = Field(default="")
    choices: list[dict[str, str]] = json_field(list)
    internal: bool = Field(default=False)
    provider_id: str | None = Field(default=None, max_length=80)
    status: str = Field(default="received", max_length=24)  # Twilio: "partially_delivered"
    error_code: str | None = Field(default=None, max_length=16)
    encoding: str | None = Field(default=None, max_length=8)
    segments: int | None = None
    created_at: datetime = created_at_field()
    status_at: datetime | None = utc_field()
