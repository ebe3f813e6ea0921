"""Where an open handoff stands in the conversation, and when the next staff reply is due.

One derivation for the queue, its waiting count and the conversation page: the young person
wrote last (or nobody has answered yet) — waiting on us, due the team's reply target after
the first message not answered (an urgent handoff: the urgent target after staff are next at
work, so a crisis at night is due in the morning, not a day later); staff answered last —
waiting on the young person; a staff reply is set to go later — scheduled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import col, select

from bot.conversation.models import INBOUND, OUTBOUND, Message
from bot.handoff.models import Handoff
from bot.outbox.models import CANCELLED, PENDING, OutboxItem

WAITING_ON_US = "waiting_on_us"
WAITING_ON_YOUNG = "waiting_on_young"
SCHEDULED = "scheduled"


@dataclass(frozen=True)
class HandoffStatus:
    """`status` one of the three above; `due` when a staff reply is due (waiting on us)."""

    status: str
    since: datetime | None = None
    due: datetime | None = None
    first_reply: bool = False
    scheduled_at: datetime | None = None

    @property
    def waiting(self) -> bool:
        """True while the young person waits for staff."""
        return self.status == WAITING_ON_US

    def overdue(self, now: datetime) -> bool:
        """True when a reply is due and its time has passed."""
        return self.due is not None and now > self.due


def derive(
    handoff: Handoff,
    *,
    replied: datetime | None,
    unanswered: datetime | None,
    scheduled: datetime | None,
    target: timedelta,
    urgent_due: Callable[[datetime], datetime] | None = None,
) -> HandoffStatus:
    """The status from the handoff and three times since it opened.

    `replied`: the last staff reply that went (or is going) out; `unanswered`: the young
    person's first message after it; `scheduled`: the first staff reply still set to go later.
    `urgent_due` gives an urgent handoff's due time from when it started waiting.
    """
    if replied is None:
        since: datetime | None = _utc(handoff.opened_at)
    elif unanswered is not None:
        since = _utc(unanswered)
    else:
        since = None
    if since is None:
        return HandoffStatus(WAITING_ON_YOUNG)
    if scheduled is not None:
        # An answer is planned: it is not waiting on anyone in the team.
        return HandoffStatus(SCHEDULED, since=since, scheduled_at=_utc(scheduled))
    due = urgent_due(since) if handoff.urgent and urgent_due is not None else since + target
    return HandoffStatus(WAITING_ON_US, since=since, due=due, first_reply=replied is None)


def status_columns(now: datetime) -> tuple[Any, Any, Any]:
    """Three correlated columns beside a `Handoff` row: what `derive` takes, in one query."""
    staff_reply = and_(
        col(Message.young_person_id) == Handoff.young_person_id,
        col(Message.direction) == OUTBOUND,
        col(Message.author) == "staff",
        col(Message.internal).is_(False),
        col(Message.created_at) >= Handoff.opened_at,
    )
    replied = (
        select(func.max(OutboxItem.due_at))
        .join(Message, col(Message.id) == OutboxItem.message_id)
        .where(staff_reply, OutboxItem.status != CANCELLED, OutboxItem.due_at <= now)
        .correlate(Handoff)
        .scalar_subquery()
    )
    scheduled = (
        select(func.min(OutboxItem.due_at))
        .join(Message, col(Message.id) == OutboxItem.message_id)
        .where(staff_reply, OutboxItem.status == PENDING, OutboxItem.due_at > now)
        .correlate(Handoff)
        .scalar_subquery()
    )
    unanswered = (
        select(func.min(Message.created_at))
        .where(
            Message.young_person_id == Handoff.young_person_id,
            Message.direction == INBOUND,
            Message.created_at > replied,
        )
        .correlate(Handoff)
        .scalar_subquery()
    )
    return replied, unanswered, scheduled


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes from subqueries; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
