"""Staff sign-in: argon2 passwords, lockout after repeated failures, server-side sessions."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, or_, update
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.staff.models import StaffMember, StaffSession

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=10)
# A session left alone this long ends, as on a shared office PC.
IDLE_TIMEOUT = timedelta(minutes=60)
# Write last_seen_at at most this often, so page views are not all writes.
SEEN_RESOLUTION = timedelta(minutes=1)
_hasher = PasswordHasher()
# Verifying against this keeps the timing the same whether or not the email exists. Written
# out, not hashed at import (argon2 takes 0.1-0.3 s of every start); made with the hasher's
# parameters, which a test keeps equal to `_hasher`'s.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$GZMehAbInE4GhKaYzejSDA"
    "$Se2xBfs8P41O1++xAY5NwnE1pLYODPeJEhg8lYJUBMc"
)


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt."""

    staff: StaffMember | None
    locked: bool = False


async def authenticate(
    session: AsyncSession, *, email: str, password: str, now: datetime
) -> SignIn:
    """Check a password; five failures in a row lock the account for a while.

    An attempt is counted before its password is checked, by one conditional UPDATE that
    only an unlocked account matches; it holds the row until the attempt's transaction ends
    (PostgreSQL; on SQLite the transaction is the lock), so the next attempt counts after
    it: however many wrong passwords arrive together, exactly five are checked against the
    account's hash and the fifth locks it; a right password clears the count. An attempt
    on a locked account matches no row and holds nothing. Every refusal verifies one hash,
    so unknown, locked and wrong take the same time; argon2 runs in a thread, off the loop.
    """
    wanted = email.strip().lower()
    staff = (await session.exec(select(StaffMember).where(StaffMember.email == wanted))).first()
    if staff is None or not staff.active or not staff.password_hash or staff.id is None:
        await _verify_off_loop(_DUMMY_HASH, password)
        return SignIn(None)
    if not await _count_attempt(session, staff.id, now):
        await _verify_off_loop(_DUMMY_HASH, password)
        return SignIn(None, locked=True)
    await session.refresh(staff)
    if not await _verify_off_loop(staff.password_hash or _DUMMY_HASH, password):
        return SignIn(None, locked=staff.locked_until is not None and staff.locked_until > now)
    staff.failed_logins = 0
    staff.locked_until = None
    if staff.password_hash and _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    session.add(staff)
    return SignIn(staff)


async def _count_attempt(session: AsyncSession, staff_id: int, now: datetime) -> bool:
    """Count one attempt against an unlocked account (the fifth locks it); False if locked."""
    open_account = or_(
        col(StaffMember.locked_until).is_(None), col(StaffMember.locked_until) <= now
    )
    fifth = col(StaffMember.failed_logins) + 1 >= MAX_FAILURES
    counted = await session.exec(
        update(StaffMember)
        .where(col(StaffMember.id) == staff_id, open_account)
        .values(
            failed_logins=case((fifth, 0), else_=col(StaffMember.failed_logins) + 1),
            locked_until=case((fifth, now + LOCKOUT), else_=None),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(counted.rowcount)


async def _verify_off_loop(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(_verify, password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_session(
    session: AsyncSession, *, staff_id: int, now: datetime
) -> tuple[str, StaffSession]:
    """Start a session; returns the token (given to the browser once) and the row."""
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        token_hash=_digest(token),
        staff_id=staff_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
        last_seen_at=now,
    )
    session.add(row)
    await session.flush()
    return token, row


async def session_for_token(
    session: AsyncSession, *, token: str, now: datetime
) -> tuple[StaffSession, StaffMember] | None:
    """The live session and its staff member for a token, if any."""
    digest = _digest(token)
    result = await session.exec(select(StaffSession).where(StaffSession.token_hash == digest))
    row = result.first()
    if row is None or row.expires_at <= now:
        return None
    if row.last_seen_at is not None and row.last_seen_at + IDLE_TIMEOUT <= now:
        return None
    staff = await session.get(StaffMember, row.staff_id)
    if staff is None or not staff.active:
        return None
    if row.last_seen_at is None or now - row.last_seen_at >= SEEN_RESOLUTION:
        row.last_seen_at = now
        session.add(row)
    return row, staff


async def end_session(session: AsyncSession, *, token: str) -> None:
    """Sign out: the token stops working at once."""
    digest = _digest(token)
    await session.exec(delete(StaffSession).where(col(StaffSession.token_hash) == digest))
