"""Writing outgoing messages as rows, and claiming and settling them for sending."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.models import OUTBOUND, Message
from bot.database import Database, claim_ids
from bot.municipalities.models import Municipality
from bot.outbox.models import CANCELLED, FAILED, PENDING, SENT, OutboxItem
from bot.people.models import ChannelIdentity
from channels.base import Choice


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
        )
    )
    return message


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
    db: Database, *, owner: str, now: datetime, limit: int, lease_seconds: int
) -> list[int]:
    """Lease up to `limit` due rows for `owner`; no two workers get the same row."""
    due = (
        select(OutboxItem.id)
        .where(
            OutboxItem.status == PENDING,
            OutboxItem.due_at <= now,
            or_(col(OutboxItem.lease_until).is_(None), col(OutboxItem.lease_until) < now),
        )
        .order_by(col(OutboxItem.due_at), col(OutboxItem.id))
        .limit(limit)
    )
    lease = {"lease_owner": owner, "lease_until": now + timedelta(seconds=lease_seconds)}
    async with db.session() as session:
        return await claim_ids(session, OutboxItem, due=due, values=lease)


@dataclass
class Claimed:
    """A leased outbox row with what is needed to send it."""

    item: OutboxItem
    message: Message
    identity: ChannelIdentity | None


async def load(db: Database, item_ids: Sequence[int]) -> list[Claimed]:
    """The outbox rows, their messages and the identities they go to, in one read."""
    async with db.session() as session:
        result = await session.exec(
            select(OutboxItem, Message, ChannelIdentity)
            .join(Message, col(Message.id) == OutboxItem.message_id)
            .outerjoin(ChannelIdentity, col(ChannelIdentity.id) == Message.identity_id)
            .where(col(OutboxItem.id).in_(item_ids))
            .order_by(col(OutboxItem.id))
        )
        return [Claimed(item, message, identity) for item, message, identity in result.all()]


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
    """Record a send's outcome, if our lease still holds. Returns False if it was lost."""
    async with db.session() as session:
        item = await session.get(OutboxItem, item_id)
        if item is None or item.lease_owner != owner or item.status != PENDING:
            return False
        item.attempts += 1
        item.last_error = error[:200] if error else None
        item.lease_owner = None
        item.lease_until = None
        if status == PENDING:
            assert retry_at is not None
            item.due_at = retry_at
        else:
            item.status = status
            item.done_at = now
        session.add(item)
        message = await session.get(Message, item.message_id)
        assert message is not None
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
    """Cancel a message that has not gone out yet (for 'send later')."""
    result = await session.exec(select(OutboxItem).where(OutboxItem.message_id == message_id))
    item = result.first()
    if item is None or item.status != PENDING or item.lease_owner is not None:
        return False
    item.status = CANCELLED
    item.done_at = now
    session.add(item)
    message = await session.get(Message, message_id)
    if message is not None:
        message.status = "cancelled"
        session.add(message)
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


__all__ = ["CANCELLED", "FAILED", "PENDING", "SENT", "after_quiet_hours", "claim", "enqueue"]
