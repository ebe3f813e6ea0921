"""Receiving a message: one transaction for the inbound row, state changes and replies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import utcnow
from bot.conversation.engine import Engine
from bot.conversation.models import INBOUND, ConversationState, Message
from bot.conversation.state import locked_state
from bot.conversation.turn import Turn
from bot.database import Database
from bot.outbox import service as outbox
from bot.people import service as people
from bot.people.models import ChannelIdentity
from bot.safety.cpr import redact_cpr
from channels.base import Inbound

log = structlog.get_logger(__name__)
MAX_TEXT = 4000
# How long an answer may wait in the outbox before the simulator's feed stops waiting for it.
ON_ITS_WAY = timedelta(seconds=30)


@dataclass(frozen=True)
class Receipt:
    """What became of an inbound message."""

    duplicate: bool
    message_id: int | None = None
    replies: int = 0
    person_id: int | None = None


class Receiver:
    """Turns inbound messages into stored rows and replies; used by every channel."""

    def __init__(
        self, db: Database, engine: Engine, on_commit: Callable[[Receipt], None] | None = None
    ) -> None:
        self.db = db
        self.engine = engine
        self.on_commit = on_commit

    async def __call__(self, inbound: Inbound) -> Receipt:
        """Store and handle one inbound; a provider's retry is recognised and skipped."""
        try:
            receipt = await self._receive(inbound)
        except _Duplicate:
            log.info("inbound.duplicate", channel=inbound.channel)
            return Receipt(duplicate=True)
        log.info(
            "inbound.handled",
            channel=inbound.channel,
            message_id=receipt.message_id,
            replies=receipt.replies,
        )
        if self.on_commit is not None:
            self.on_commit(receipt)
        return receipt

    async def _receive(self, inbound: Inbound) -> Receipt:
        now = utcnow()
        text, cpr_found = redact_cpr(inbound.text[:MAX_TEXT])
        async with self.db.session() as session:
            sender = await people.find_sender(session, inbound)
            identity, person, is_new = await people.resolve(
                session, inbound=inbound, sender=sender, now=now
            )
            message_id = await _store_inbound(
                session, inbound=inbound, text=text, identity=identity, now=now
            )
            if message_id is None:
                # Stored before: leave, undoing what finding the sender did.
                raise _Duplicate
            state = await _state(
                session, person_id=identity.young_person_id, is_new=is_new, now=now
            )
            turn = Turn(
                session=session,
                inbound=inbound,
                text=text,
                person=person,
                identity=identity,
                municipality=sender.municipality,
                state=state,
                now=now,
                cpr_removed=cpr_found > 0,
                message_id=message_id,
            )
            before = _position(state)
            replies = await self.engine.handle(turn)
            await outbox.enqueue_answer(session, identity=identity, replies=replies, now=now)
            identity.last_inbound_at = now
            if identity.unreachable_at is not None:
                # They wrote to us, so the chat works again (bot unblocked, number re-subscribed).
                identity.unreachable_at = None
                identity.unreachable_reason = None
            if _position(state) != before:
                # Written when the conversation moved, not for every message.
                state.updated_at = now
            return Receipt(
                duplicate=False, message_id=message_id, replies=len(replies), person_id=person.id
            )


def _position(state: ConversationState) -> tuple[object, ...]:
    """Where the conversation is and what it holds (a copy, to compare after the turn)."""
    return (state.flow, state.step, dict(state.data), state.misses)


class _Duplicate(Exception):
    """The provider sent this message before (its retry, or two deliveries racing)."""


async def _store_inbound(
    session: AsyncSession, *, inbound: Inbound, text: str, identity: ChannelIdentity, now: datetime
) -> int | None:
    """Store the message; its id, or None when this provider message id is stored already.

    The unique key (channel, direction, provider id) decides, in the insert itself: on
    PostgreSQL a racing delivery of the same message waits for the first one's commit and
    then inserts nothing.
    """
    dialect = (await session.connection()).dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Message)
        .values(
            young_person_id=identity.young_person_id,
            identity_id=identity.id,
            channel=inbound.channel,
            direction=INBOUND,
            author="young_person",
            body=text,
            choices=[],
            internal=False,
            provider_id=inbound.provider_id,
            status="received",
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["channel", "direction", "provider_id"])
        .returning(col(Message.id))
    )
    return (await session.exec(statement)).scalar_one_or_none()


async def _state(
    session: AsyncSession, *, person_id: int, is_new: bool, now: datetime
) -> ConversationState:
    # Locked: another message, a sweep or a contact person changing this conversation waits.
    state = await locked_state(session, person_id)
    if state is None:
        state = ConversationState(
            young_person_id=person_id, flow="onboarding", step="", updated_at=now
        )
    elif is_new:
        # A second channel linked: skip the introduction, start at the menu.
        state.flow, state.step, state.misses, state.updated_at = "menu", "", 0, now
    session.add(state)
    return state


async def history(session: AsyncSession, *, person_id: int, limit: int = 200) -> list[Message]:
    """A young person's messages, oldest first."""
    result = await session.exec(
        select(Message)
        .where(Message.young_person_id == person_id)
        .order_by(col(Message.id).desc())
        .limit(limit)
    )
    return list(reversed(result.all()))


async def messages_for_address(
    db: Database, *, channel: str, address: str, after: int
) -> list[dict[str, object]]:
    """Messages to and from one channel address after id `after` (the web simulator's feed)."""
    async with db.session() as session:
        identity = await people.find_identity(session, channel=channel, address=address)
        if identity is None:
            return []
        result = await session.exec(
            select(Message)
            .where(
                Message.young_person_id == identity.young_person_id,
                Message.channel == channel,
                col(Message.id) > after,
                col(Message.internal).is_(False),
            )
            .order_by(col(Message.id))
            .limit(200)
        )
        shown: list[dict[str, object]] = []
        recent = utcnow() - ON_ITS_WAY
        for m in result.all():
            if m.direction != INBOUND and m.status == "queued" and m.created_at >= recent:
                # An answer still on its way: stop before it, so the page's cursor (the last
                # id it got) cannot pass it and the answer is not lost once it is sent.
                break
            # Outgoing messages appear once the dispatcher has 'sent' them.
            if m.direction == INBOUND or m.status in ("delivered", "sent"):
                shown.append(
                    {
                        "id": m.id,
                        "direction": m.direction,
                        "author": m.author,
                        "body": m.body,
                        "choices": m.choices,
                        "status": m.status,
                    }
                )
        return shown
