"""What staff may see, the queue, notes and scheduled replies.

Every function takes the signed-in `Login` and checks the municipality and role on the
server; a young person a staff member may not see is reported as not found. Taking,
assigning, replying to, handing back and closing a handoff are `bot.handoff.operations`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.conversation.models import NOTE_CHANNEL, OUTBOUND, Message
from bot.handoff import status
from bot.handoff.models import OPEN_STATUSES, Handoff
from bot.handoff.operations import Refused
from bot.handoff.status import HandoffStatus
from bot.i18n import tr
from bot.inbox.login import Login
from bot.municipalities import hours
from bot.outbox import service as outbox
from bot.outbox.models import PENDING, OutboxItem
from bot.people import service as people
from bot.people.models import ChannelIdentity, YoungPerson
from bot.staff import access
from bot.staff.models import StaffMember

OPEN = OPEN_STATUSES


class NotFound(LookupError):
    """No such young person for this staff member (another municipality, or not theirs)."""


def _team_ids(login: Login):  # type: ignore[no-untyped-def]
    """Staff ids in the signed-in person's team (just them when they have no team)."""
    return access.team_ids(login.staff)


def visible_people_clause(login: Login):  # type: ignore[no-untyped-def]
    """A WHERE clause for the young people this staff member may see."""
    return access.visible_people(login.staff)


async def person_for(session: AsyncSession, login: Login, person_id: int) -> YoungPerson:
    """The young person if this staff member may see them; NotFound otherwise."""
    result = await session.exec(
        select(YoungPerson).where(YoungPerson.id == person_id, visible_people_clause(login))
    )
    person = result.first()
    if person is None:
        raise NotFound(person_id)
    return person


async def list_people(session: AsyncSession, login: Login) -> list[YoungPerson]:
    """The young people this staff member may see, by name."""
    result = await session.exec(
        select(YoungPerson)
        .where(visible_people_clause(login))
        .order_by(col(YoungPerson.first_name), col(YoungPerson.id))
    )
    return list(result.all())


async def colleagues(session: AsyncSession, login: Login) -> list[StaffMember]:
    """Active staff of the municipality, any department (for assign and stand-in)."""
    result = await session.exec(
        select(StaffMember)
        .where(
            StaffMember.municipality_id == login.staff.municipality_id,
            col(StaffMember.active).is_(True),
        )
        .order_by(col(StaffMember.name))
    )
    return list(result.all())


async def staff_names(session: AsyncSession, login: Login) -> dict[int, str]:
    """Names of the municipality's staff by id, former staff too (who wrote a message)."""
    result = await session.exec(
        select(StaffMember.id, StaffMember.name).where(
            StaffMember.municipality_id == login.staff.municipality_id
        )
    )
    return {staff_id: name for staff_id, name in result.all() if staff_id is not None}


@dataclass
class QueueItem:
    """One open handoff as the queue shows it."""

    handoff: Handoff
    person: YoungPerson
    assignee: StaffMember | None
    channel: str
    waiting_seconds: float
    overdue: bool
    status: HandoffStatus


def _open_handoffs(login: Login, now: datetime) -> Any:
    """Open handoffs this staff member may see, each with what its status is derived from."""
    replied, unanswered, scheduled_at = status.status_columns(now)
    return (
        # SQLAlchemy's select: SQLModel's typed one takes at most four columns.
        sa_select(Handoff, YoungPerson, replied, unanswered, scheduled_at)
        .join(YoungPerson, col(YoungPerson.id) == Handoff.young_person_id)
        .where(col(Handoff.status).in_(OPEN), visible_people_clause(login))
    )


def _status(login: Login, handoff: Handoff, times: tuple[Any, ...]) -> HandoffStatus:
    replied, unanswered, scheduled_at = times
    return status.derive(
        handoff,
        replied=replied,
        unanswered=unanswered,
        scheduled=scheduled_at,
        target=timedelta(hours=login.municipality.first_reply_target_hours),
        urgent_due=partial(hours.urgent_reply_due, login.municipality),
    )


async def queue(
    session: AsyncSession, login: Login, *, view: str, now: datetime
) -> list[QueueItem]:
    """Open handoffs the staff member may see: urgent first, then longest waiting."""
    query = _open_handoffs(login, now).order_by(
        col(Handoff.urgent).desc(), col(Handoff.opened_at), col(Handoff.id)
    )
    if view == "mine":
        query = query.where(Handoff.assignee_id == login.staff.id)
    elif view == "team":
        query = query.where(
            or_(
                col(Handoff.assignee_id).in_(_team_ids(login)),
                col(YoungPerson.contact_person_id).in_(_team_ids(login)),
            )
        )
    elif view == "unassigned":
        query = query.where(col(Handoff.assignee_id).is_(None))
    rows = (await session.exec(query)).all()
    staff = {s.id: s for s in await colleagues(session, login)}
    items = []
    for handoff, person, *times in rows:
        state = _status(login, handoff, tuple(times))
        waited = (now - state.since).total_seconds() if state.waiting and state.since else 0.0
        items.append(
            QueueItem(
                handoff=handoff,
                person=person,
                assignee=staff.get(handoff.assignee_id),
                channel=await _channel(session, person),
                waiting_seconds=max(0.0, waited),
                overdue=state.overdue(now),
                status=state,
            )
        )
    # Urgent first, then who has waited longest for us; then the others as they opened.
    items.sort(key=lambda i: (not i.handoff.urgent, not i.status.waiting, -i.waiting_seconds))
    return items


async def handoff_status(
    session: AsyncSession, login: Login, *, person_id: int, now: datetime
) -> HandoffStatus | None:
    """The status of the young person's open handoff (the conversation page), if one is open."""
    row = (
        await session.exec(_open_handoffs(login, now).where(col(YoungPerson.id) == person_id))
    ).first()
    if row is None:
        return None
    handoff, _person, *times = row
    return _status(login, handoff, tuple(times))


async def waiting_count(session: AsyncSession, login: Login, *, now: datetime) -> int:
    """Open handoffs waiting on staff, among those this staff member may see."""
    rows = (await session.exec(_open_handoffs(login, now))).all()
    states = [_status(login, handoff, tuple(times)) for handoff, _person, *times in rows]
    return sum(1 for state in states if state.waiting)


async def fingerprint(session: AsyncSession, login: Login, person_id: int | None) -> str:
    """A short value that changes when the queue or a conversation changes (for live updates)."""
    handoff_state = (
        await session.exec(
            select(
                func.count(),
                func.max(Handoff.id),
                func.max(Handoff.assignee_id),  # type: ignore[call-overload]
                func.max(Handoff.taken_at),
                func.max(Handoff.first_reply_at),
            )
            .select_from(Handoff)
            .join(YoungPerson, col(YoungPerson.id) == Handoff.young_person_id)
            .where(col(Handoff.status).in_(OPEN), visible_people_clause(login))
        )
    ).one()
    # Their messages too: a young person writing again changes what the queue shows.
    open_people = (
        select(Handoff.young_person_id)
        .join(YoungPerson, col(YoungPerson.id) == Handoff.young_person_id)
        .where(col(Handoff.status).in_(OPEN), visible_people_clause(login))
    )
    message_marks = (
        await session.exec(
            select(func.max(Message.id), func.max(Message.status_at)).where(
                col(Message.young_person_id).in_(open_people)
            )
        )
    ).one()
    parts = [str(v) for v in (*handoff_state, *message_marks)]
    if person_id is not None:
        message_state = (
            await session.exec(
                select(func.count(), func.max(Message.id), func.max(Message.status_at)).where(
                    Message.young_person_id == person_id
                )
            )
        ).one()
        parts += [str(v) for v in message_state]
    return "|".join(parts)


async def _channel(session: AsyncSession, person: YoungPerson) -> str:
    assert person.id is not None
    identity = await people.preferred_identity(session, person_id=person.id)
    return identity.channel if identity else "-"


async def identities(session: AsyncSession, *, person_id: int) -> list[ChannelIdentity]:
    """Every channel address of the young person."""
    result = await session.exec(
        select(ChannelIdentity)
        .where(ChannelIdentity.young_person_id == person_id)
        .order_by(col(ChannelIdentity.id))
    )
    return list(result.all())


async def scheduled(session: AsyncSession, *, person_id: int) -> dict[int, datetime]:
    """Due times of outgoing messages still waiting in the outbox, by message id."""
    result = await session.exec(
        select(OutboxItem.message_id, OutboxItem.due_at)
        .join(Message, col(Message.id) == OutboxItem.message_id)
        .where(Message.young_person_id == person_id, OutboxItem.status == PENDING)
    )
    return dict(result.all())


async def note(
    session: AsyncSession, login: Login, person: YoungPerson, *, text: str, now: datetime
) -> Message:
    """An internal note: stored with the conversation, never sent (no outbox row)."""
    if not text.strip():
        raise Refused(tr("da", "Skriv en besked først."))
    message = Message(
        young_person_id=person.id,
        channel=NOTE_CHANNEL,
        direction=OUTBOUND,
        author="staff",
        staff_id=login.staff.id,
        body=text.strip()[:4000],
        internal=True,
        status="note",
        created_at=now,
    )
    session.add(message)
    await session.flush()
    await audit.record(
        session,
        staff=login.staff,
        young_person_id=person.id,
        action="note",
        detail=f"message {message.id}",
        now=now,
    )
    return message


async def cancel_scheduled(
    session: AsyncSession, login: Login, person: YoungPerson, *, message_id: int, now: datetime
) -> bool:
    """Cancel a scheduled reply of this young person before it goes."""
    message = await session.get(Message, message_id)
    if message is None or message.young_person_id != person.id:
        raise NotFound(message_id)
    done = await outbox.cancel_pending(session, message_id=message_id, now=now)
    if done:
        await audit.record(
            session,
            staff=login.staff,
            young_person_id=person.id,
            action="reply_cancelled",
            detail=f"message {message_id}",
            now=now,
        )
    return done
