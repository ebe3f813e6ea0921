"""Field helpers shared by the models, so every table stores time the same way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from bot.clock import utcnow
from bot.database import UTCDateTime


def created_at_field() -> Any:
    """A non-null UTC timestamp defaulting to now."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def utc_field(*, index: bool = False, nullable: bool = True) -> Any:
    """An optional UTC timestamp."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def json_field(default_factory: Any = dict) -> Any:
    """A JSON column (plain JSON, portable between SQLite and PostgreSQL)."""
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


__all__ = ["created_at_field", "datetime", "json_field", "utc_field"]
