"""Staff sessions: server-side, so logout and lockout take effect at once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.columns import created_at_field, utc_field


class StaffSession(SQLModel, table=True):
    """A signed-in staff member's session; only a hash of the token is stored."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff_member.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    expires_at: datetime = utc_field(nullable=False)
    last_seen_at: datetime | None = utc_field()
