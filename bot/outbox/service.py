"""Writing outgoing messages as rows, and claiming and settling them for sending."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.models import OUTBOUND, Message
from bot.database import Database, insert_many, insert_many_ids
from bot.municipalities.models import Municipality
from bot.outbox.models import (
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    OutboxItem,
    priority_of,
)
from bot.people.models import ChannelIdentity
from channels.base import Choice

if TYPE_CHECKING:
    from bot.conversation.turn import Reply


async def enqueue(
    session: AsyncSession,
    *,
    identity: ChannelIdentity,
    text: str,
    now: datetime,
    choices: Sequence[Choice] = (),
    author: str = "bot",
    staff_id: int | None = None,
    due_at: datetime | None = None,
    urgent: bool = False,
    bypass_opt_out: bool = False,
    nudge: bool = False,
) -> Message:
    """Store an outgoing message and its outbox row in the caller's transaction."""
    message = Message(
        young_person_id=identity.young_person_id,
        identity_id=identity.id,
        channel=identity.channel,
        direction=OUTBOUND,
        author=author,
        staff_id=staff_id,
        body=text,
        choices=[{"key": c.key, "label": c.label} for c in choices],
        status="queued",
        created_at=now,
    )
    session.add(message)
    await session.flush()
    assert message.id is not None
    session.add(
        OutboxItem(
            message_id=message.id,
            due_at=due_at or now,
            urgent=urgent,
            bypass_opt_out=bypass_opt_out,
            nudge=nudge,
            priority=priority_of(urgent=urgent, nudge=nudge),
        )
    )
    return message


async def enqueue_answer(
    session: AsyncSession, *, identity: ChannelIdentity, replies: Sequence[Reply], now: datetime
) -> None:
    """A turn's replies as an answer: sent at once, never held for quiet hours."""
    for reply in replies:
        await enqueue(
            session,
            identity=identity,
            text=reply.text,
            now=now,
            choices=reply.choices,
            urgent=True,
            bypass_opt_out=reply.bypass_opt_out,
        )


class Recipient(Protocol):
    """Where a message goes: a `ChannelIdentity`, or a plain row with its columns."""

    @property
    def id(self) -> int | None: ...

    @property
    def young_person_id(self) -> int: ...

    @property
    def channel(self) -> str: ...


@dataclass(frozen=True)
class Outgoing:
    """One message for `enqueue_many`: what `enqueue` takes, for rows written in bulk."""

    identity: Recipient
    text: str
    due_at: datetime
    choices: Sequence[Choice] = ()
    nudge: bool = True
    delivery_id: int | None = None
    pace_key: str | None = None
    pace_rate: float | None = None


async def enqueue_many(
    session: AsyncSession, outgoing: Sequence[Outgoing], *, now: datetime
) -> list[int]:
    """Store many bot messages and their outbox rows in two statements; their message ids.

    The same rows `enqueue` writes, inserted with Core rather than ORM objects (on
    PostgreSQL as one array per column): a reminder sweep or a campaign may carry 100,000.
    """
    if not outgoing:
        return []
    rows = [
        {
            "young_person_id": out.identity.young_person_id,
            "identity_id": out.identity.id,
            "channel": out.identity.channel,
            "direction": OUTBOUND,
            "author": "bot",
            "body": out.text,
            "choices": [{"key": c.key, "label": c.label} for c in out.choices],
            "internal": False,
            "status": "queued",
            "created_at": now,
        }
        for out in outgoing
    ]
    message_ids = await insert_many_ids(session, Message, rows)
    await insert_many(
        session,
        OutboxItem,
        [
            {
                "message_id": message_id,
                "status": PENDING,
                "urgent": False,
                "bypass_opt_out": False,
                "nudge": out.nudge,
                "priority": priority_of(urgent=False, nudge=out.nudge),
                "delivery_id": out.delivery_id,
                "pace_key": out.pace_key,
                "pace_rate": out.pace_rate,
                "due_at": out.due_at,
                "attempts": 0,
                "created_at": now,
            }
            for out, message_id in zip(outgoing, message_ids, strict=True)
        ],
    )
    return message_ids


def after_quiet_hours(moment: datetime, municipality: Municipality) -> datetime:
    """`moment`, or the end of the municipality's quiet hours if it falls inside them."""
    zone = ZoneInfo(municipality.timezone)
    local = moment.astimezone(zone)
    start, end = municipality.quiet_start, municipality.quiet_end
    if not _in_quiet(local.time(), start, end):
        return moment
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(moment.tzinfo)


def _in_quiet(now: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= now < end
    return now >= start or now < end


async def cancel_pending(session: AsyncSession, *, message_id: int, now: datetime) -> bool:
    """Cancel a message that has not been handed to its channel yet (for 'send later').

    Conditional on the row still being 'pending', so a cancel racing a dispatcher's
    `start_sending` either stops the send or does nothing: never both.
    """
    result = await session.exec(
        update(OutboxItem)
        .where(col(OutboxItem.message_id) == message_id, col(OutboxItem.status) == PENDING)
        .values(status=CANCELLED, done_at=now)
        .returning(col(OutboxItem.id))
    )
    if result.first() is None:
        return False
    await session.exec(
        update(Message).where(col(Message.id) == message_id).values(status="cancelled")
    )
    return True


async def record_status(
    db: Database,
    *,
    channel: str,
    provider_id: str,
    status: str,
    error_code: str | None,
    now: datetime,
) -> bool:
    """Apply a provider's delivery report; False when the message is unknown."""
    async with db.session() as session:
        result = await session.exec(
            select(Message).where(
                Message.channel == channel,
                Message.direction == OUTBOUND,
                Message.provider_id == provider_id,
            )
        )
        message = result.first()
        if message is None:
            return False
        message.status = status
        message.status_at = now
        if error_code:
            message.error_code = error_code[:16]
        session.add(message)
        return True


__all__ = [
    "CANCELLED",
    "FAILED",
    "PENDING",
    "SENDING",
    "SENT",
    "Outgoing",
    "after_quiet_hours",
    "cancel_pending",
    "enqueue",
    "enqueue_many",
    "record_status",
]
