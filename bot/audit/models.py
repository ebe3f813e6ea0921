"""Audit events: who read or changed what about which young person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlmodel import Field, SQLModel

from bot.columns import created_at_field

# Every action an event may record; `service.record` refuses others, so the inbox can name
# each one (bot/inbox/labels.py).
ACTIONS = frozenset(
    {
        # Reading a young person's data: inbox pages and the JSON API.
        "view_conversation",
        "view_messages",
        "view_plan",
        "read_plan",
        "read_checkins",
        "read_channels",
        # Staff work on a young person.
        "person_created",
        "invite_created",
        "take",
        "assign",
        "reply",
        "reply_scheduled",
        "reply_cancelled",
        "note",
        "hand_back",
        "close",
        "confidential_confirmed",
        "digital_post",
        "checkin_cadence",
        "checkins.schedule",
        "search_messages",
        "view_meetings",
        # Plan changes: "plan." and the plan event's action (bot/plans/changes.py).
        "plan.goal.set",
        "plan.milestone.add",
        "plan.milestone.change",
        "plan.milestone.done",
        "plan.appointment.add",
        "plan.appointment.change",
        # Data rights and retention.
        "export",
        "erased",
        "retention_deleted",
        # Campaigns (no young person).
        "campaign_created",
        "campaign_started",
        "campaign_paused",
        "campaign_resumed",
        "campaign_cancelled",
        "campaign_previewed",
        "campaign_results_viewed",
    }
)


class AuditEvent(SQLModel, table=True):
    """An append-only record of a staff read or change."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    # A bare number, no foreign key: the event outlives the young person's erased data.
    young_person_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=40)
    detail: str = Field(default="", max_length=300)
    at: datetime = created_at_field()


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or remove an audit event."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise AuditLogIsAppendOnly(f"audit event {target.id} cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise AuditLogIsAppendOnly(f"audit event {target.id} cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state: ORMExecuteState) -> None:
    # Bulk UPDATE/DELETE statements skip the mapper events above, so stop them here too.
    table = getattr(state.statement, "table", None)
    if (state.is_update or state.is_delete) and getattr(table, "name", None) == "audit_event":
        raise AuditLogIsAppendOnly("audit events cannot be changed or deleted")
