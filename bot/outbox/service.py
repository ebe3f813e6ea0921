"""Writing outgoing messages as rows, and claiming and settling them for sending."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.models import OUTBOUND, Message
from bot.database import Database, claim_ids
from bot.municipalities.models import Municipality
from bot.outbox.models import (
    BULK,
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    OutboxItem,
    priority_of,
)
from bot.people.models import ChannelIdentity, YoungPerson
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


@dataclass(frozen=True)
class Outgoing:
    """One message for `enqueue_many`: what `enqueue` takes, for rows written in bulk."""

    identity: ChannelIdentity
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

    The same rows `enqueue` writes, inserted with Core rather than ORM objects: a reminder
    sweep or a campaign may carry 100,000 messages.
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
    message_ids = await _insert_messages(session, rows)
    await session.exec(
        insert(OutboxItem),
        params=[
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


async def _insert_messages(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    """Insert message rows in one statement; their ids in the rows' order."""
    if (await session.connection()).dialect.name == "sqlite":
        # SQLite cannot promise RETURNING order for a multi-row insert, so SQLAlchemy would
        # insert row by row. We hold the write lock (BEGIN IMMEDIATE), so the new rowids are
        # the next ones after the current maximum, in order.
        before = (await session.exec(select(func.max(Message.id)))).one() or 0
        await session.exec(insert(Message), params=rows)
        return list(range(before + 1, before + 1 + len(rows)))
    statement = insert(Message).returning(col(Message.id), sort_by_parameter_order=True)
    return list((await session.exec(statement, params=rows)).scalars().all())


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


async def claim(
    db: Database,
    *,
    owner: str,
    now: datetime,
    limit: int,
    lease_seconds: int,
    lowest: int = BULK,
) -> list[int]:
    """Lease up to `limit` due rows for `owner`, urgent first; no two workers get the same row.

    Only rows of priority `lowest` or more urgent are taken (a dispatcher keeps room for
    urgent rows). Rows a crashed dispatcher left in 'sending' come back once their lease has
    run out, before any other: the provider may or may not have taken them.
    """
    expired = or_(col(OutboxItem.lease_until).is_(None), col(OutboxItem.lease_until) < now)
    lease = {"lease_owner": owner, "lease_until": now + timedelta(seconds=lease_seconds)}
    stranded = (
        select(OutboxItem.id)
        .where(OutboxItem.status == SENDING, col(OutboxItem.lease_until) < now)
        .order_by(col(OutboxItem.id))
        .limit(limit)
    )
    due = (
        select(OutboxItem.id)
        .where(
            OutboxItem.status == PENDING,
            col(OutboxItem.priority) <= lowest,
            OutboxItem.due_at <= now,
            expired,
        )
        .order_by(col(OutboxItem.priority), col(OutboxItem.due_at), col(OutboxItem.id))
        .limit(limit)
    )
    async with db.session() as session:
        ids = await claim_ids(session, OutboxItem, due=stranded, values=lease, still=expired)
        if len(ids) < limit:
            due = due.limit(limit - len(ids))
            ids += await claim_ids(session, OutboxItem, due=due, values=lease, still=expired)
        return ids


async def renew(
    db: Database, item_ids: Sequence[int], *, owner: str, now: datetime, lease_seconds: int
) -> set[int]:
    """Extend `owner`'s leases on rows it still holds; returns the ids it still holds."""
    if not item_ids:
        return set()
    async with db.session() as session:
        result = await session.exec(
            _held(item_ids, owner)
            .values(lease_until=now + timedelta(seconds=lease_seconds))
            .returning(col(OutboxItem.id))
        )
        return set(result.scalars().all())


async def release(db: Database, item_ids: Sequence[int], *, owner: str) -> None:
    """Give back leased rows that were not sent (a dispatcher stopping), for anyone to claim."""
    if not item_ids:
        return
    async with db.session() as session:
        await session.exec(
            _held(item_ids, owner)
            .where(OutboxItem.status == PENDING)
            .values(lease_owner=None, lease_until=None)
        )


def _held(item_ids: Sequence[int], owner: str) -> Any:
    """An UPDATE of the rows among `item_ids` that `owner` leases and has not settled."""
    return update(OutboxItem).where(
        col(OutboxItem.id).in_(item_ids),
        col(OutboxItem.lease_owner) == owner,
        col(OutboxItem.status).in_((PENDING, SENDING)),
    )


async def start_sending(
    db: Database, item_id: int, *, owner: str, now: datetime, lease_seconds: int, spare: float
) -> bool:
    """Mark a leased row as handed to its channel; False if it may not go now.

    It may go only while `owner` still holds it with at least `spare` seconds of lease left
    (another worker takes it once the lease runs out) and nobody has cancelled it: a cancel
    and a send each change 'pending' in one conditional statement, so only one of them wins.
    The lease is renewed in the same statement, for the call that follows.
    """
    async with db.session() as session:
        result = await session.exec(
            _held([item_id], owner)
            .where(col(OutboxItem.lease_until) >= now + timedelta(seconds=spare))
            .values(status=SENDING, lease_until=now + timedelta(seconds=lease_seconds))
            .returning(col(OutboxItem.id))
        )
        return result.first() is not None


@dataclass
class Claimed:
    """A leased outbox row with what is needed to send it."""

    item: OutboxItem
    message: Message
    identity: ChannelIdentity | None
    municipality: Municipality | None = None

    def quiet_until(self, now: datetime) -> datetime | None:
        """For a nudge falling due in its municipality's quiet hours: when they end."""
        if not self.item.nudge or self.municipality is None:
            return None
        later = after_quiet_hours(now, self.municipality)
        return later if later > now else None


async def load(db: Database, item_ids: Sequence[int]) -> list[Claimed]:
    """The outbox rows, their messages and the identities they go to, in one read."""
    async with db.session() as session:
        result = await session.exec(
            select(OutboxItem, Message, ChannelIdentity, Municipality)
            .join(Message, col(Message.id) == OutboxItem.message_id)
            .outerjoin(ChannelIdentity, col(ChannelIdentity.id) == Message.identity_id)
            .outerjoin(YoungPerson, col(YoungPerson.id) == Message.young_person_id)
            .outerjoin(Municipality, col(Municipality.id) == YoungPerson.municipality_id)
            .where(col(OutboxItem.id).in_(item_ids))
            .order_by(col(OutboxItem.id))
        )
        return [Claimed(*row) for row in result.all()]


async def defer(db: Database, item_id: int, *, owner: str, until: datetime) -> bool:
    """Put a leased row back until `until` (quiet hours), not counting it as an attempt."""
    async with db.session() as session:
        result = await session.exec(
            _held([item_id], owner)
            .where(OutboxItem.status == PENDING)
            .values(due_at=until, lease_owner=None, lease_until=None)
            .returning(col(OutboxItem.id))
        )
        return result.first() is not None


async def settle(
    db: Database,
    item_id: int,
    *,
    owner: str,
    now: datetime,
    status: str,
    message_status: str,
    provider_id: str | None = None,
    error: str | None = None,
    error_code: str | None = None,
    retry_at: datetime | None = None,
    encoding: str | None = None,
    segments: int | None = None,
    unreachable: bool = False,
) -> bool:
    """Record a send's outcome, if our lease still holds. Returns False if it was lost.

    One conditional UPDATE on the row (`owner` holds it, not settled or cancelled), so two
    workers, or a worker and a cancel, never both record an outcome.
    """
    done: dict[str, Any] = (
        {"status": PENDING, "due_at": retry_at} if status == PENDING else {"status": status}
    )
    if status == PENDING:
        assert retry_at is not None
    else:
        done["done_at"] = now
    async with db.session() as session:
        result = await session.exec(
            _held([item_id], owner)
            .values(
                attempts=OutboxItem.attempts + 1,
                last_error=error[:200] if error else None,
                lease_owner=None,
                lease_until=None,
                **done,
            )
            .returning(col(OutboxItem.message_id))
        )
        message_id = result.scalars().first()
        if message_id is None:
            return False
        message = await session.get_one(Message, message_id)
        message.status = message_status
        message.status_at = now
        message.provider_id = provider_id or message.provider_id
        message.error_code = error_code
        message.encoding = encoding or message.encoding
        message.segments = segments or message.segments
        session.add(message)
        if unreachable and message.identity_id is not None:
            identity = await session.get(ChannelIdentity, message.identity_id)
            if identity is not None and identity.unreachable_at is None:
                identity.unreachable_at = now
                identity.unreachable_reason = (error_code or "unreachable")[:100]
                session.add(identity)
        return True


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
    "claim",
    "enqueue",
    "enqueue_many",
    "release",
    "renew",
    "settle",
    "start_sending",
]
