"""The education plan: a goal, milestones and appointments, with a history of changes."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from bot.columns import created_at_field, utc_field


class Plan(SQLModel, table=True):
    """One continuous plan per young person."""

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", unique=True)
    goal: str = Field(default="", max_length=300)
    updated_at: datetime = created_at_field()


class Milestone(SQLModel, table=True):
    """A step towards the goal with a due date."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    title: str = Field(max_length=200)
    # A short word staff and campaigns find it by ('ansogning', 'cv'), not shown to the young.
    tag: str | None = Field(default=None, max_length=40, index=True)
    due_date: date | None = None
    status: str = Field(default="open", max_length=12)
    done_at: datetime | None = utc_field()
    # Set when the overdue follow-up went out: the contact person sees the flag.
    overdue_flagged_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()


class Appointment(SQLModel, table=True):
    """A meeting: when, where and with whom."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    starts_at: datetime = utc_field(nullable=False, index=True)
    place: str = Field(max_length=200)
    with_whom: str = Field(default="", max_length=100)
    # What the young person should bring ("dit sundhedskort"); said in every reminder.
    bring: str = Field(default="", max_length=200)
    status: str = Field(default="planned", max_length=24)
    # When "Vi savnede dig" went out the day after (bot/reminders/missed.py): never twice,
    # and the contact person's meeting list shows it.
    missed_notice_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()


class FreeSlot(SQLModel, table=True):
    """A time a staff member has published as free for meetings; a young person may take it."""

    __tablename__ = "free_slot"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff_member.id", index=True)
    starts_at: datetime = utc_field(nullable=False, index=True)
    place: str = Field(default="", max_length=200)
    # The meeting moved into it; None while it is free.
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id", index=True)
    taken_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()


class PlanEvent(SQLModel, table=True):
    """One change to a plan: who did what, when."""

    __tablename__ = "plan_event"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    actor: str = Field(max_length=16)
    staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    action: str = Field(max_length=40)
    detail: str = Field(default="", max_length=300)
    at: datetime = created_at_field()
