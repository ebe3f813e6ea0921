"""Handoffs: a human holds the conversation until they hand it back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from bot.columns import created_at_field, utc_field

# A handoff a human holds or is about to hold; a young person has at most one.
OPEN_STATUSES = ("open", "held")
_IS_OPEN = text("status IN ('open', 'held')")  # OPEN_STATUSES, as SQL
STATUSES = (*OPEN_STATUSES, "closed")
# Why a conversation was handed over; flows name theirs in `do: handoff:<reason>`.
REASONS = (
    "asked",
    "crisis",
    "not_understood",
    "risk",
    "plan_change",
    "reschedule",
    "move_meeting",
    "staff",
    "data_request",
)


class Handoff(SQLModel, table=True):
    """Why the conversation was handed to a human, who holds it, and how fast they replied."""

    __table_args__ = (
        # One open handoff per young person, however many transactions open one at once.
        Index(
            "uq_handoff_one_open",
            "young_person_id",
            unique=True,
            sqlite_where=_IS_OPEN,
            postgresql_where=_IS_OPEN,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    reason: str = Field(max_length=20)
    detail: str = Field(default="", max_length=300)
    urgent: bool = Field(default=False)
    status: str = Field(default="open", max_length=12)
    assignee_id: int | None = Field(default=None, foreign_key="staff_member.id", index=True)
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id")
    # The young person's message that opened the handoff or made it urgent (the inbox scrolls
    # to it). No foreign key: retention and erasure delete messages, not handoffs.
    message_id: int | None = Field(default=None)
    opened_at: datetime = created_at_field()
    taken_at: datetime | None = utc_field()
    first_reply_at: datetime | None = utc_field()
    closed_at: datetime | None = utc_field()
