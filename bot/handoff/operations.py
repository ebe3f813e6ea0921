"""What a staff member does with a handoff: take, assign, reply, hand back and close.

Each operation takes the acting staff member and a young person the caller has already
checked they may see (the inbox does, through `bot.staff.access`); each is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.content.flows import MENU
from bot.content.texts import system_text
from bot.conversation.engine import Engine
from bot.conversation.models import ConversationState, Message
from bot.conversation.state import locked_state
from bot.conversation.turn import Turn
from bot.handoff import service as handoffs
from bot.handoff.conversation import day_name
from bot.handoff.models import OPEN_STATUSES, Handoff
from bot.i18n import N_, normalise_language, tr
from bot.municipalities.models import Municipality
from bot.outbox import service as outbox
from bot.people import service as people
from bot.people.models import YoungPerson
from bot.staff.models import StaffMember
from channels.base import Measure

HANDBACK_STEP = "handback.ask"
# Shown to the staff member (translated there) when a reply would need more than MAX_PARTS.
TOO_LONG = N_(
    "Beskeden er for lang til den unges kanal, også delt i nummererede dele. "
    "Gør den kortere. Intet er sendt."
)
# How long a text is on a named channel and the parts it goes in (`bot.wiring.measure_as_sent`).
Measurer = Callable[[str, str], Measure]


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
    session: AsyncSession,
    *,
    staff: StaffMember,
    person: YoungPerson,
    to: int,
    now: datetime,
    engine: Engine,
) -> Handoff:
    """Give the open handoff to a colleague in the municipality (any department); the young
    person is told who has it now and is offered the menu."""
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
    if handoff.assignee_id == colleague.id:
        return handoff  # theirs already: nothing changes, so nothing to tell
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
    await _tell_then_menu(
        session,
        person,
        now=now,
        engine=engine,
        key="handoff_transferred",
        contact=handoffs.first_name(staff),
        new_contact=handoffs.first_name(colleague),
    )
    return handoff


async def cover_absence(
    session: AsyncSession, *, staff: StaffMember, now: datetime, engine: Engine
) -> int:
    """Hand the open conversations of a staff member who is away now to their stand-in (or
    the team's next free colleague); each young person is told who writes to them until when,
    and offered the menu. Returns how many were handed on."""
    if not handoffs.is_away(staff, now) or staff.absent_until is None:
        return 0
    held = (
        await session.exec(
            select(Handoff)
            .where(Handoff.assignee_id == staff.id, col(Handoff.status).in_(OPEN_STATUSES))
            .order_by(col(Handoff.young_person_id))
        )
    ).all()
    cover = await _cover(session, staff, now)
    if cover is None:
        return 0
    moved = 0
    for handoff in held:
        person = await session.get(YoungPerson, handoff.young_person_id)
        if person is None:
            continue
        current = await _active(session, person)
        if current is None or current.assignee_id != staff.id:
            continue  # answered, closed or moved meanwhile
        current.assignee_id, current.status, current.taken_at = cover.id, "open", None
        session.add(current)
        await audit.record(
            session,
            staff=staff,
            young_person_id=person.id,
            action="assign",
            detail=f"handoff {current.id} to staff {cover.id} (absence)",
            now=now,
        )
        municipality = await session.get(Municipality, person.municipality_id)
        timezone = municipality.timezone if municipality else "Europe/Copenhagen"
        until = day_name(staff.absent_until, now=now, language=_language(person), timezone=timezone)
        await _tell_then_menu(
            session,
            person,
            now=now,
            engine=engine,
            key="handoff_away",
            contact=handoffs.first_name(staff),
            until=until,
            stand_in=handoffs.first_name(cover),
        )
        moved += 1
    return moved


async def _cover(session: AsyncSession, staff: StaffMember, now: datetime) -> StaffMember | None:
    """The named stand-in if they are here, else the team's next free colleague."""
    if staff.stand_in_id is not None:
        stand_in = await session.get(StaffMember, staff.stand_in_id)
        if (
            stand_in is not None
            and stand_in.active
            and stand_in.municipality_id == staff.municipality_id
            and not handoffs.is_away(stand_in, now)
        ):
            return stand_in
    return await handoffs.round_robin(
        session, municipality_id=staff.municipality_id, team=staff.team, now=now
    )


def _language(person: YoungPerson) -> str:
    return normalise_language(person.language)


async def reply(
    session: AsyncSession,
    *,
    staff: StaffMember,
    person: YoungPerson,
    text: str,
    now: datetime,
    due_at: datetime | None = None,
    measure: Measurer | None = None,
) -> list[Message]:
    """Send (or schedule) a staff reply through the outbox; the staff member holds the chat.

    With `measure`, a reply longer than the channel takes goes in numbered parts, one outbox
    row each in order (the dispatcher sends a recipient's rows one at a time, by id); one
    that would take more parts than allowed is refused. Never cut.
    """
    _same_municipality(staff, person)
    text = text.strip()
    if not text:
        raise Refused(tr("da", "Skriv en besked først."))
    assert person.id is not None
    identity = await people.preferred_identity(session, person_id=person.id)
    if identity is None:
        raise Refused(tr("da", "Den unge kan ikke nås på nogen kanal lige nu."))
    parts = measure(identity.channel, text).parts if measure is not None else (text,)
    if not parts:
        raise Refused(TOO_LONG)
    handoff = await _active(session, person) or await _held(session, staff, person, now)
    if handoff.assignee_id is None or handoff.status == "open":
        handoff.assignee_id = handoff.assignee_id or staff.id
        handoff.status = "held"
        handoff.taken_at = handoff.taken_at or now
    if due_at is None and handoff.first_reply_at is None:
        handoff.first_reply_at = now
    session.add(handoff)
    messages = [
        await outbox.enqueue(
            session,
            identity=identity,
            text=part,
            now=now,
            author="staff",
            staff_id=staff.id,
            due_at=due_at,
            urgent=due_at is None,
        )
        for part in parts
    ]
    await audit.record(
        session,
        staff=staff,
        young_person_id=person.id,
        action="reply_scheduled" if due_at else "reply",
        detail="message " + ", ".join(str(m.id) for m in messages),
        now=now,
    )
    return messages


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
    # Told who handed back; then the question, said by the step that reads its answer.
    await _tell_then_menu(
        session,
        person,
        now=now,
        engine=engine,
        key="handed_back",
        step=HANDBACK_STEP,
        contact=handoffs.first_name(staff),
    )


async def close(
    session: AsyncSession,
    *,
    staff: StaffMember,
    person: YoungPerson,
    now: datetime,
    engine: Engine,
) -> None:
    """Close the handoff; the young person is told so and offered the menu."""
    await _close(session, staff, person, now=now, action="close")
    await _tell_then_menu(
        session,
        person,
        now=now,
        engine=engine,
        key="handoff_closed",
        contact=handoffs.first_name(staff),
    )


async def _tell_then_menu(
    session: AsyncSession,
    person: YoungPerson,
    *,
    now: datetime,
    engine: Engine,
    key: str,
    step: str = MENU,
    **values: str,
) -> None:
    """One message, sent at once: the sentence `key` says what happens next, then `step`
    (the menu) with its choices, so the young person's next message answers that step.

    Through `Engine.start`, the one path for turns the bot starts, in the caller's
    transaction with the change it tells of.
    """
    assert person.id is not None
    state = await locked_state(session, person.id) or ConversationState(young_person_id=person.id)
    session.add(state)
    identity = await people.preferred_identity(session, person_id=person.id)
    municipality = await session.get(Municipality, person.municipality_id)
    if identity is None or municipality is None:
        # Nobody to tell: the next message starts afresh.
        _afresh(state, now)
        return
    turn = Turn.started(
        session, person=person, identity=identity, municipality=municipality, state=state, now=now
    )
    turn.say(system_text(key, turn.lang, **values))
    replies = await engine.start(turn, step)
    # Sent at once, as an answer: it tells of what a staff member just did.
    await outbox.enqueue_answer(session, identity=identity, replies=replies, now=now)


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
