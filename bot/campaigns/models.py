"""Scheduled reminder campaigns to groups of young people."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.columns import created_at_field, json_field, utc_field


class Campaign(SQLModel, table=True):
    """A message to an audience within a send window, throttled."""

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    name: str = Field(max_length=100)
    audience: dict[str, Any] = json_field()
    body: str
    send_from: datetime = utc_field(nullable=False)
    send_until: datetime | None = utc_field()
    per_minute: int = Field(default=60)
    status: str = Field(default="draft", max_length=12)
    created_by_id: int | None = Field(default=None, foreign_key="staff_member.id")
    created_at: datetime = created_at_field()


class CampaignDelivery(SQLModel, table=True):
    """One recipient of a campaign; unique so nobody gets it twice."""

    __tablename__ = "campaign_delivery"
    __table_args__ = (UniqueConstraint("campaign_id", "young_person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    young_person_id: int = Field(foreign_key="young_person.id")
    message_id: int | None = Field(default=None, foreign_key="message.id")
    status: str = Field(default="pending", max_length=12)
    created_at: datetime = created_at_field()
