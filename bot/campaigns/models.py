"""Scheduled campaigns to groups of young people, and one delivery row per recipient."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.columns import created_at_field, json_field, utc_field

# A campaign's life: drafted, started (running), paused and resumed, cancelled or done.
DRAFT, RUNNING, PAUSED, CANCELLED, DONE = "draft", "running", "paused", "cancelled", "done"
STATUSES = (DRAFT, RUNNING, PAUSED, CANCELLED, DONE)


class Campaign(SQLModel, table=True):
    """A message to an audience on a schedule; `spec` is the validated CampaignSpec."""

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    name: str = Field(max_length=100)
    spec: dict[str, Any] = json_field()
    status: str = Field(default=DRAFT, max_length=12)
    created_by_id: int | None = Field(default=None, foreign_key="staff_member.id")
    created_at: datetime = created_at_field()
    started_at: datetime | None = utc_field()
    # Until when date-relative and recurring occurrences have been planned.
    planned_until: datetime | None = utc_field()


# A delivery's life: planned, claimed by a sweep, queued in the outbox; or never sent.
PLANNED, CLAIMED, QUEUED = "planned", "claimed", "queued"
SKIPPED, HOLDOUT, WITHDRAWN = "skipped", "holdout", "withdrawn"
DELIVERY_STATUSES = (PLANNED, CLAIMED, QUEUED, SKIPPED, HOLDOUT, WITHDRAWN)


class CampaignDelivery(SQLModel, table=True):
    """One recipient of one occurrence, written before anything is sent: nobody gets it twice."""

    __tablename__ = "campaign_delivery"
    __table_args__ = (
        UniqueConstraint("campaign_id", "young_person_id", "occurrence"),
        Index("ix_campaign_delivery_status_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    # 'once', a recurrence's fire time, or 'appointment:17:1d@16:00' for date-relative ones.
    occurrence: str = Field(max_length=64)
    arm: str | None = Field(default=None, max_length=16)
    status: str = Field(default=PLANNED, max_length=12)
    # Why it was not sent: opted_out, unreachable, no_channel, paused, in_handoff, frequency_cap…
    skip_reason: str | None = Field(default=None, max_length=24)
    due_at: datetime = utc_field(nullable=False)
    message_id: int | None = Field(default=None, foreign_key="message.id")
    created_at: datetime = created_at_field()
    sent_at: datetime | None = utc_field()
