"""Reminders are rows with a due time; a sweep turns due ones into outbox rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.columns import created_at_field, utc_field


class Reminder(SQLModel, table=True):
    """One reminder about an appointment or a milestone."""

    __table_args__ = (
        # The same reminder is never planned twice, whoever plans it.
        UniqueConstraint("kind", "target_id", "offset_key"),
        # Due reminders are claimed in (due_at, id) order: the index gives it, a batch at a
        # time, rather than sorting every pending reminder for every batch.
        Index("ix_reminder_status_due", "status", "due_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    kind: str = Field(max_length=24)
    target_id: int
    offset_key: str = Field(max_length=24)
    due_at: datetime = utc_field(nullable=False)
    status: str = Field(default="pending", max_length=12)
    message_id: int | None = Field(default=None, foreign_key="message.id")
    created_at: datetime = created_at_field()
