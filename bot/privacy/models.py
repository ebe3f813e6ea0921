"""What retention leaves behind: anonymous counts per municipality and day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class RetentionCount(SQLModel, table=True):
    """How much the retention sweep deleted on one day: numbers only, nobody's data."""

    __tablename__ = "retention_count"
    __table_args__ = (UniqueConstraint("municipality_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    day: date
    messages_deleted: int = Field(default=0)
    people_deleted: int = Field(default=0)
