"""Leasing outbox rows for sending: claim, renew, start, settle (see bot/outbox/dispatcher.py).

Every change of a leased row is one conditional UPDATE on it (`owner` holds it, and it is
still 'pending' or 'sending'), so two workers, or a worker and a cancel
(`service.cancel_pending`), never both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select

from bot.conversation.models import Message
from bot.database import Database, claim_ids
from bot.municipalities.models import Municipality
from bot.outbox.models import BULK, PENDING, SENDING, OutboxItem
from bot.outbox.service import after_quiet_hours
from bot.people.models import ChannelIdentity, YoungPerson


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
            .values(
                status=SENDING, sending_at=now, lease_until=now + timedelta(seconds=lease_seconds)
            )
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
    """Put a leased row back until `until` (quiet hours), not counting it as an attempt; also
    a row marked 'sending' whose call was not made."""
    async with db.session() as session:
        result = await session.exec(
            _held([item_id], owner)
            .values(status=PENDING, due_at=until, lease_owner=None, lease_until=None)
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
    in_doubt: bool = False,
) -> bool:
    """Record a send's outcome, if our lease still holds. Returns False if it was lost.

    One conditional UPDATE on the row (`owner` holds it, not settled or cancelled), so two
    workers, or a worker and a cancel, never both record an outcome. A retry `in_doubt` (the
    provider may have the message) stays 'sending', unleased until `retry_at`, with its
    attempt's start kept: it is claimed again then, and reconciled before it is sent.
    """
    done: dict[str, Any]
    if status == PENDING:
        assert retry_at is not None
        done = {"status": PENDING, "due_at": retry_at, "sending_at": None}
        if in_doubt:
            done = {"status": SENDING, "due_at": retry_at, "lease_until": retry_at}
    else:
        done = {"status": status, "done_at": now, "sending_at": None}
    async with db.session() as session:
        result = await session.exec(
            _held([item_id], owner)
            .values(
                attempts=OutboxItem.attempts + 1,
                last_error=error[:200] if error else None,
                lease_owner=None,
                **{"lease_until": None, **done},
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


__all__ = [
    "Claimed",
    "claim",
    "defer",
    "load",
    "release",
    "renew",
    "settle",
    "start_sending",
]
