"""Staff sign-in: argon2 passwords, lockout after repeated failures, server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
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
    """Check a password; five failures in a row lock the account for a while."""
    wanted = email.strip().lower()
    result = await session.exec(select(StaffMember).where(StaffMember.email == wanted))
    staff = result.first()
    if staff is None or not staff.active or not staff.password_hash:
        _verify(_DUMMY_HASH, password)
        return SignIn(None)
    if staff.locked_until is not None and staff.locked_until > now:
        return SignIn(None, locked=True)
    if not _verify(staff.password_hash, password):
        staff.failed_logins += 1
        if staff.failed_logins >= MAX_FAILURES:
            staff.locked_until = now + LOCKOUT
            staff.failed_logins = 0
        session.add(staff)
        return SignIn(None, locked=staff.locked_until is not None and staff.locked_until > now)
    staff.failed_logins = 0
    staff.locked_until = None
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    session.add(staff)
    return SignIn(staff)


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
