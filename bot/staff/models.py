"""Staff sessions: server-side, so logout and lockout take effect at once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.columns import created_at_field, utc_field

ROLES = ("contact_person", "team_lead", "admin", "content_editor")
DEPARTMENTS = ("education", "employment", "social")


class StaffMember(SQLModel, table=True):
    """A contact person, team lead, admin or content editor."""

    __tablename__ = "staff_member"

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    name: str = Field(max_length=100)
    email: str = Field(max_length=254, unique=True)
    role: str = Field(default="contact_person", max_length=20)
    department: str = Field(default="education", max_length=20)
    team: str = Field(default="", max_length=60)
    password_hash: str | None = Field(default=None, max_length=200)
    oidc_subject: str | None = Field(default=None, max_length=200, unique=True)
    capacity: int = Field(default=40)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = utc_field()
    absent_from: datetime | None = utc_field()
    absent_until: datetime | None = utc_field()
    stand_in_id: int | None = Field(default=None, foreign_key="staff_member.id")
    active: bool = Field(default=True)
    created_at: datetime = created_at_field()


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
