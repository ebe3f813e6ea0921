"""Finding and creating young people, their channel identities and invites."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.database import among
from bot.municipalities.models import Municipality
from bot.people.models import ChannelIdentity, Invite, YoungPerson
from channels.base import Inbound

# No 0/O, 1/I/L: a code is read aloud and typed on a phone.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 8
INVITE_LIFETIME = timedelta(days=14)
_CODE_SHAPE = re.compile(rf"^[{INVITE_ALPHABET}]{{{INVITE_LENGTH}}}$")


class UnknownMunicipality(LookupError):
    """No municipality is set up to receive messages."""


@dataclass(frozen=True)
class Sender:
    """Whom a message came to and from: the municipality that owns the endpoint, and the
    channel identity and young person of the address, if the bot knows them."""

    municipality: Municipality
    identity: ChannelIdentity | None
    person: YoungPerson | None


async def find_sender(session: AsyncSession, inbound: Inbound) -> Sender:
    """The municipality owning the number, bot or web page the message came to (the first
    one when none names it: one municipality per installation is the common case), with
    the sender's identity and young person: one statement."""
    row = (
        await session.exec(
            select(Municipality, ChannelIdentity, YoungPerson)
            .select_from(Municipality)
            .outerjoin(
                ChannelIdentity,
                and_(
                    col(ChannelIdentity.channel) == inbound.channel,
                    col(ChannelIdentity.address) == inbound.address,
                ),
            )
            .outerjoin(YoungPerson, col(YoungPerson.id) == ChannelIdentity.young_person_id)
            .where(col(Municipality.id) == _owner_id(inbound.endpoint))
        )
    ).first()
    if row is None:
        raise UnknownMunicipality("no municipality is configured")
    municipality, identity, person = row
    return Sender(municipality, identity, person)


def _owner_id(endpoint: str | None) -> Any:
    """The id of the municipality owning `endpoint`, else of the first one, as SQL."""
    other = aliased(Municipality)
    first = select(func.min(col(other.id))).scalar_subquery()
    if not endpoint:
        return first
    named = (
        select(col(other.id))
        .where(
            (other.sms_number == endpoint)
            | (other.telegram_bot == endpoint)
            | (other.code == endpoint)
        )
        .order_by(col(other.id))
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(named, first)


async def find_identity(
    session: AsyncSession, *, channel: str, address: str
) -> ChannelIdentity | None:
    """The identity for a channel address."""
    result = await session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.address == address
        )
    )
    return result.first()


async def resolve(
    session: AsyncSession, *, inbound: Inbound, sender: Sender, now: datetime
) -> tuple[ChannelIdentity, YoungPerson, bool]:
    """Identity and young person for a sender; links invites, creates unknown senders.

    Returns (identity, person, is_new) where is_new means the conversation starts now.
    """
    identity = sender.identity
    code = inbound.start_payload or (inbound.text if identity is None else None)
    invite = await redeem_invite(session, code=code, now=now) if code else None
    if invite is not None:
        person = await session.get(YoungPerson, invite.young_person_id)
        assert person is not None
        if identity is None:
            identity = ChannelIdentity(
                channel=inbound.channel,
                address=inbound.address,
                young_person_id=invite.young_person_id,
            )
        identity.young_person_id = invite.young_person_id
        identity.verified = True
        session.add(identity)
        await session.flush()
        return identity, person, True
    if identity is not None:
        assert sender.person is not None
        return identity, sender.person, False
    return await _first_contact(session, inbound=inbound, municipality=sender.municipality)


async def _first_contact(
    session: AsyncSession, *, inbound: Inbound, municipality: Municipality
) -> tuple[ChannelIdentity, YoungPerson, bool]:
    """A new young person for an unknown sender, or the one a racing first message made.

    Two first messages from one new number at once both find no identity. The identity's
    unique key (channel, address) lets one insert win; on PostgreSQL the other waits for its
    commit, is refused, and then reads and carries on with the winner's young person (the
    conversation has started by then, so its message is not a new start).
    """
    await session.flush()  # the caller's own changes, outside the savepoint
    try:
        async with session.begin_nested():
            person = YoungPerson(
                municipality_id=_id(municipality), language=municipality.default_language
            )
            session.add(person)
            await session.flush()
            identity = ChannelIdentity(
                channel=inbound.channel, address=inbound.address, young_person_id=_id(person)
            )
            session.add(identity)
    except IntegrityError:
        found = await find_identity(session, channel=inbound.channel, address=inbound.address)
        if found is None:
            raise
        winner = await session.get(YoungPerson, found.young_person_id)
        assert winner is not None
        return found, winner, False
    return identity, person, True


async def preferred_identity(session: AsyncSession, *, person_id: int) -> ChannelIdentity | None:
    """The reachable identity the young person used last: reminders go there."""
    result = await session.exec(
        select(ChannelIdentity)
        .where(
            ChannelIdentity.young_person_id == person_id,
            col(ChannelIdentity.unreachable_at).is_(None),
            col(ChannelIdentity.opted_out_at).is_(None),
        )
        .order_by(
            col(ChannelIdentity.last_inbound_at).desc().nulls_last(), col(ChannelIdentity.id).desc()
        )
    )
    return result.first()


async def preferred_identities(
    session: AsyncSession, person_ids: Iterable[int]
) -> dict[int, ChannelIdentity]:
    """For many people at once, what `preferred_identity` picks for each."""
    wanted = list(person_ids)
    if not wanted:
        return {}
    rows = (await session.exec(select(ChannelIdentity).where(_reachable_of(session, wanted)))).all()
    return _best_of(rows)


async def preferred_identity_rows(
    session: AsyncSession, person_ids: Iterable[int]
) -> dict[int, Any]:
    """`preferred_identities` as plain rows (id, young_person_id, channel, last_inbound_at):
    for sweeps that address thousands of young people at once."""
    wanted = list(person_ids)
    if not wanted:
        return {}
    connection = await session.connection()
    rows = await connection.execute(
        select(
            ChannelIdentity.id,
            ChannelIdentity.young_person_id,
            ChannelIdentity.channel,
            ChannelIdentity.last_inbound_at,
        ).where(_reachable_of(session, wanted))
    )
    return _best_of(rows.all())


def _reachable_of(session: AsyncSession, wanted: list[int]) -> Any:
    """These young people's identities that are neither opted out nor unreachable."""
    return and_(
        among(session, col(ChannelIdentity.young_person_id), wanted),
        col(ChannelIdentity.unreachable_at).is_(None),
        col(ChannelIdentity.opted_out_at).is_(None),
    )


def _best_of(rows: Iterable[Any]) -> dict[int, Any]:
    """For each young person, the identity `identity_rank` ranks highest."""
    best: dict[int, Any] = {}
    for row in rows:
        current = best.get(row.young_person_id)
        if current is None or identity_rank(row) > identity_rank(current):
            best[row.young_person_id] = row
    return best


def identity_rank(identity: ChannelIdentity) -> tuple[bool, datetime | None, int]:
    """Higher for the identity a young person used last: where bot-started messages go."""
    used = identity.last_inbound_at
    return (used is not None, used, identity.id or 0)


def new_invite_code() -> str:
    """A random, unambiguous 8-character code (about 40 bits)."""
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def clean_code(text: str) -> str | None:
    """The invite code in a message ('k7m4 q2xp' -> 'K7M4Q2XP'), if it looks like one."""
    candidate = re.sub(r"[\s-]", "", text).upper()
    return candidate if _CODE_SHAPE.match(candidate) else None


async def create_invite(
    session: AsyncSession, *, person_id: int, now: datetime, staff_id: int | None = None
) -> str:
    """Create an invite and return its code; only the hash is stored."""
    code = new_invite_code()
    session.add(
        Invite(
            young_person_id=person_id,
            code_hash=_hash(code),
            expires_at=now + INVITE_LIFETIME,
            created_by_id=staff_id,
        )
    )
    await session.flush()
    return code


async def redeem_invite(session: AsyncSession, *, code: str, now: datetime) -> Invite | None:
    """Use an invite once; expired, used or unknown codes give None."""
    cleaned = clean_code(code)
    if cleaned is None:
        return None
    result = await session.exec(select(Invite).where(Invite.code_hash == _hash(cleaned)))
    invite = result.first()
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        return None
    invite.used_at = now
    session.add(invite)
    return invite


def _id(row: YoungPerson | Municipality) -> int:
    assert row.id is not None
    return row.id
