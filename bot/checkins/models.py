"""Check-ins: a cadence per young person and the answers they gave."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.columns import created_at_field, utc_field


class CheckinSchedule(SQLModel, table=True):
    """How often a young person is asked how it is going."""

    __tablename__ = "checkin_schedule"

    young_person_id: int = Field(foreign_key="young_person.id", primary_key=True)
    cadence_days: int = Field(default=7)
    weekday: int = Field(default=2)
    hour: int = Field(default=15)
    paused: bool = Field(default=False)
    next_at: datetime | None = utc_field(index=True)


class Checkin(SQLModel, table=True):
    """One check-in sent, and the answer if one came."""

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    sent_at: datetime = created_at_field()
    score: int | None = None
    text: str | None = None
    answered_at: datetime | None = utc_field()
