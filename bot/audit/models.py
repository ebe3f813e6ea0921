"""Audit events: who read or changed what about which young person."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.columns import created_at_field


class AuditEvent(SQLModel, table=True):
    """An append-only record of a staff read or change."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    young_person_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=40)
    detail: str = Field(default="", max_length=300)
    at: datetime = created_at_field()
