"""Searching the inbox: young people by part of their first name, messages by a word in them.

Only within what the staff member may see (`visible_people_clause`). Showing messages is a
read of a young person's conversation, so every young person whose messages a search showed
gets an audit event; the query itself is never stored or logged (it may hold a CPR number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.conversation.models import Message
from bot.i18n import N_
from bot.inbox.login import Login
from bot.inbox.service import visible_people_clause
from bot.people.models import YoungPerson
from bot.safety.cpr import contains_cpr

MIN_LENGTH = 2
MAX_LENGTH = 100
LIMIT = 50
CONTEXT = 60  # characters of the message shown on each side of the hit
AUDIT_ACTION = "search_messages"
AUDIT_DETAIL_LENGTH = 300  # bot.audit.models.AuditEvent.detail

TOO_SHORT = N_("Skriv mindst {n} tegn for at søge.")
NO_CPR = N_(
    "Søg ikke efter CPR-numre. De fjernes fra beskederne, så de kan ikke findes, "
    "og de hører ikke hjemme i en søgning."
)


@dataclass(frozen=True)
class Excerpt:
    """A short piece of a message around the first hit, for highlighting."""

    before: str
    hit: str
    after: str
    cut_start: bool = False
    cut_end: bool = False


@dataclass(frozen=True)
class MessageHit:
    """A message that contains the query, with its young person and the excerpt to show."""

    message: Message
    person: YoungPerson
    excerpt: Excerpt


@dataclass
class Results:
    """What one search found; `*_cut` when there were more than the page shows."""

    people: list[YoungPerson] = field(default_factory=list)
    people_cut: bool = False
    messages: list[MessageHit] = field(default_factory=list)
    messages_cut: bool = False


def clean(raw: str | None) -> str:
    """The query as searched: spaces collapsed and trimmed, at most MAX_LENGTH characters."""
    return " ".join((raw or "").split())[:MAX_LENGTH]


def problem(query: str) -> str | None:
    """Why this query is not searched (a Danish message id with {n}), or None when it is fine."""
    if len(query) < MIN_LENGTH:
        return TOO_SHORT
    if contains_cpr(query):
        return NO_CPR
    return None


def _contains(column: Any, query: str) -> Any:
    """Case-insensitive 'contains', with % and _ in the query taken literally."""
    return func.lower(column).contains(query.lower(), autoescape=True)


async def find_people(
    session: AsyncSession, login: Login, query: str, *, limit: int = LIMIT
) -> tuple[list[YoungPerson], bool]:
    """Visible young people whose first name contains the query; names starting with it first."""
    name = col(YoungPerson.first_name)
    starts = case((func.lower(name).startswith(query.lower(), autoescape=True), 0), else_=1)
    result = await session.exec(
        select(YoungPerson)
        .where(visible_people_clause(login), _contains(name, query))
        .order_by(starts, func.lower(name), col(YoungPerson.id))
        .limit(limit + 1)
    )
    found = list(result.all())
    return found[:limit], len(found) > limit


async def find_messages(
    session: AsyncSession, login: Login, query: str, *, limit: int = LIMIT
) -> tuple[list[MessageHit], bool]:
    """Messages of visible young people that contain the query, newest first."""
    result = await session.exec(
        select(Message, YoungPerson)
        .join(YoungPerson, col(YoungPerson.id) == Message.young_person_id)
        .where(visible_people_clause(login), _contains(col(Message.body), query))
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        .limit(limit + 1)
    )
    rows = list(result.all())
    hits = [
        MessageHit(message=message, person=person, excerpt=excerpt(message.body, query))
        for message, person in rows[:limit]
    ]
    return hits, len(rows) > limit


def excerpt(body: str, query: str, context: int = CONTEXT) -> Excerpt:
    """The first hit of the query in the body with some words around it, on one line."""
    text = " ".join(body.split())
    found = re.search(re.escape(query), text, re.IGNORECASE)
    if found is None:
        # The database folds case a little differently (e.g. 'ß'): show the start instead.
        return Excerpt(text[: 2 * context], "", "", cut_end=len(text) > 2 * context)
    start, end = found.span()
    first = max(0, start - context)
    if first > 0 and text[first - 1] != " ":
        # Begin at a word, not in the middle of one.
        space = text.find(" ", first, start)
        first = space + 1 if space != -1 else first
    last = min(len(text), end + context)
    if last < len(text) and text[last] != " ":
        space = text.rfind(" ", end, last)
        last = space if space != -1 else last
    return Excerpt(
        before=text[first:start].lstrip(),
        hit=text[start:end],
        after=text[end:last].rstrip(),
        cut_start=first > 0,
        cut_end=last < len(text),
    )


def audit_detail(message_ids: list[int]) -> str:
    """The message ids, '#12, #15, #18', shortened to fit the audit event as '… +3'."""
    shown = [f"#{i}" for i in message_ids]
    detail = ", ".join(shown)
    while len(detail) > AUDIT_DETAIL_LENGTH and shown:
        shown.pop()
        detail = f"{', '.join(shown)} … +{len(message_ids) - len(shown)}"
    return detail


async def record_reads(
    session: AsyncSession, login: Login, hits: list[MessageHit], *, now: datetime
) -> None:
    """One audit event for each young person whose messages the search showed (no query)."""
    shown: dict[int, list[int]] = {}
    for hit in hits:
        assert hit.person.id is not None and hit.message.id is not None
        shown.setdefault(hit.person.id, []).append(hit.message.id)
    for person_id, message_ids in shown.items():
        await audit.record(
            session,
            staff=login.staff,
            young_person_id=person_id,
            action=AUDIT_ACTION,
            detail=audit_detail(sorted(message_ids)),
            now=now,
        )


async def search(session: AsyncSession, login: Login, query: str, *, now: datetime) -> Results:
    """Young people and messages for a query `problem` accepted; message reads are audited."""
    people, people_cut = await find_people(session, login, query)
    messages, messages_cut = await find_messages(session, login, query)
    await record_reads(session, login, messages, now=now)
    return Results(
        people=people, people_cut=people_cut, messages=messages, messages_cut=messages_cut
    )
