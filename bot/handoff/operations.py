"""What a staff member does with a handoff: take, assign, reply, hand back and close.

Each operation takes the acting staff member and a young person the caller has already
checked they may see (the inbox does, through `bot.staff.access`); each is audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.content.texts import system_text
from bot.conversation.engine import Engine
from bot.conversation.models import ConversationState, Message
from bot.conversation.state import locked_state
from bot.conversation.turn import Turn
from bot.handoff import service as handoffs
from bot.handoff.models import Handoff
from bot.i18n import tr
from bot.municipalities.models import Municipality
from bot.outbox import service as outbox
from bot.people import service as people
from bot.people.models import YoungPerson
from bot.staff.models import StaffMember

HANDBACK_STEP = "handback.ask"


class Refused(ValueError):
    """An action that cannot be done as asked; the message is shown to the staff member."""


def _same_municipality(staff: StaffMember, person: YoungPerson) -> None:
    # The caller checked visibility; this keeps another municipality out even if one forgot.
    if staff.municipality_id != person.municipality_id:
        raise PermissionError("the young person belongs to another municipality")


async def _active(session: AsyncSession, person: YoungPerson) -> Handoff | None:
    """The open handoff, read once the young person's conversation is ours (every action
    starts here), so a message being answered meanwhile is finished first."""
    assert person.id is not None
    await locked_state(session, person.id)
    return await handoffs.active_handoff(session, person_id=person.id)


async def _held(
    session: AsyncSession, staff: StaffMember, person: YoungPerson, now: datetime
) -> Handoff:
    """A handoff opened by staff writing first, so the bot steps aside while they talk."""
    assert person.id is not None
    held = Handoff(
        young_person_id=person.id,
        reason="staff",
        status="held",
        assignee_id=staff.id,
        opened_at=now,
        taken_at=now,
    )
    # A handoff the bot opened meanwhile (a crisis message) is the one they now hold.
    return await handoffs.add_open(session, held)


async def take(
    session: AsyncSession, *, staff: StaffMember, person: YoungPerson, now: datetime
) -> Handoff:
    """The staff member holds the conversation from now on."""
    _same_municipality(staff, person)
    handoff = await _active(session, person) or await _held(session, staff, person, now)
    handoff.assignee_id = staff.id
    handoff.status = "held"
    handoff.taken_at = handoff.taken_at or now
    session.add(handoff)
    await audit.record(
        session,
        staff=staff,
        young_person_id=person.id,
        action="take",
        detail=f"handoff {handoff.id}",
        now=now,
    )
    return handoff


async def assign(
    session: AsyncSession, *, staff: StaffMember, person: YoungPerson, to: int, now: datetime
) -> Handoff:
    """Give the open handoff to a colleague in the municipality (any department)."""
    _same_municipality(staff, person)
    colleague = await session.get(StaffMember, to)
    if (
        colleague is None
        or colleague.municipality_id != staff.municipality_id
        or not colleague.active
    ):
        raise Refused(tr("da", "Kollegaen findes ikke."))
    handoff = await _active(session, person)
    if handoff is None:
        raise Refused(tr("da", "Der er ingen åben samtale at overdrage."))
    handoff.assignee_id = colleague.id
    handoff.status = "open"
    handoff.taken_at = None
    session.add(handoff)
    await audit.record(
        session,
        staff=staff,
        young_person_id=person.id,
        action="assign",
        detail=f"handoff {handoff.id} to staff {colleague.id}",
        now=now,
    )
    return handoff


async def reply(
    session: AsyncSession,
    *,
    staff: StaffMember,
    person: YoungPerson,
    text: str,
    now: datetime,
    due_at: datetime | None = None,
) -> Message:
    """Send (or schedule) a staff reply through the outbox; the staff member holds the chat."""
    _same_municipality(staff, person)
    text = text.strip()
    if not text:
        raise Refused(tr("da", "Skriv en besked først."))
    assert person.id is not None
    identity = await people.preferred_identity(session, person_id=person.id)
    if identity is None:
        raise Refused(tr("da", "Den unge kan ikke nås på nogen kanal lige nu."))
    handoff = await _active(session, person) or await _held(session, staff, person, now)
    if handoff.assignee_id is None or handoff.status == "open":
        handoff.assignee_id = handoff.assignee_id or staff.id
        handoff.status = "held"
        handoff.taken_at = handoff.taken_at or now
    if due_at is None and handoff.first_reply_at is None:
        handoff.first_reply_at = now
    session.add(handoff)
    message = await outbox.enqueue(
        session,
        identity=identity,
        text=text,
        now=now,
        author="staff",
        staff_id=staff.id,
        due_at=due_at,
        urgent=due_at is None,
    )
    await audit.record(
        session,
        staff=staff,
        young_person_id=person.id,
        action="reply_scheduled" if due_at else "reply",
        detail=f"message {message.id}",
        now=now,
    )
    return message


async def hand_back(
    session: AsyncSession,
    *,
    staff: StaffMember,
    person: YoungPerson,
    now: datetime,
    engine: Engine,
) -> None:
    """Close the handoff, tell the young person, and ask one optional question."""
    await _close(session, staff, person, now=now, action="hand_back")
    assert person.id is not None
    state = await locked_state(session, person.id) or ConversationState(young_person_id=person.id)
    session.add(state)
    identity = await people.preferred_identity(session, person_id=person.id)
    municipality = await session.get(Municipality, person.municipality_id)
    if identity is None or municipality is None:
        # Nobody to ask: the next message starts afresh, as after a close.
        _afresh(state, now)
        return
    turn = Turn.started(
        session, person=person, identity=identity, municipality=municipality, state=state, now=now
    )
    # Told who handed back; then the question, said by the step that reads its answer.
    turn.say(system_text("handed_back", turn.lang, contact=handoffs.first_name(staff)))
    replies = await engine.start(turn, HANDBACK_STEP)
    # Sent at once, as an answer: the contact person just handed back.
    await outbox.enqueue_answer(session, identity=identity, replies=replies, now=now)


async def close(
    session: AsyncSession, *, staff: StaffMember, person: YoungPerson, now: datetime
) -> None:
    """Close the handoff without a message; the bot answers the next message afresh."""
    await _close(session, staff, person, now=now, action="close")
    assert person.id is not None
    state = await locked_state(session, person.id)
    if state is not None:
        # The step the young person was on waited for a human; the next message starts anew.
        _afresh(state, now)
        session.add(state)


def _afresh(state: ConversationState, now: datetime) -> None:
    state.flow, state.step, state.misses = "menu", "", 0
    state.updated_at = now


async def _close(
    session: AsyncSession, staff: StaffMember, person: YoungPerson, *, now: datetime, action: str
) -> None:
    _same_municipality(staff, person)
    handoff = await _active(session, person)
    if handoff is None:
        raise Refused(tr("da", "Der er ingen åben samtale."))
    handoff.status = "closed"
    handoff.closed_at = now
    handoff.assignee_id = handoff.assignee_id or staff.id
    session.add(handoff)
    await audit.record(
        session,
        staff=staff,
        young_person_id=person.id,
        action=action,
        detail=f"handoff {handoff.id}",
        now=now,
    )
