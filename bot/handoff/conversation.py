"""Flow actions and views for handing the conversation to a human."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import func, or_
from sqlmodel import col, select

from bot.content.flows import MENU
from bot.content.texts import fold, system_text
from bot.conversation.models import OUTBOUND, Message
from bot.conversation.registry import ConversationPlugin
from bot.handoff import service as handoffs
from bot.handoff.models import Handoff
from bot.i18n import babel_locale
from bot.municipalities import hours
from bot.outbox.models import OutboxItem
from bot.staff.models import StaffMember

if TYPE_CHECKING:
    from bot.conversation.turn import Steps, Turn

plugin = ConversationPlugin("handoff")
# While a human holds the conversation, a message after this long a pause is acknowledged.
ACK_AFTER = timedelta(minutes=10)


@plugin.action("handoff")
async def open_handoff(turn: Turn, reason: str) -> None:
    """Hand the conversation to the contact person (`do: handoff:<reason>`)."""
    await handoffs.open_handoff(
        turn.session, person=turn.person, reason=reason or "asked", message_id=turn.message_id
    )


@plugin.view("handoff_opened")
async def handoff_opened(turn: Turn) -> str:
    """Tell the young person who will answer, until when a stand-in covers, and when."""
    routed = await handoffs.route(turn.session, person=turn.person, now=turn.now)
    held_by = await handoffs.assignee(turn.session, person_id=turn.person.id or 0)
    if held_by is not None and (routed.staff is None or routed.staff.id != held_by.id):
        # Routing now could pick someone else than the handoff went to: name who has it.
        routed = handoffs.Route(held_by)
    if routed.staff is None:
        parts = [system_text("handoff_opened_team", turn.lang)]
    elif routed.away is not None and routed.away.absent_until is not None:
        until = day_name(
            routed.away.absent_until,
            now=turn.now,
            language=turn.lang,
            timezone=turn.municipality.timezone,
        )
        parts = [
            system_text(
                "handoff_stand_in",
                turn.lang,
                contact=handoffs.first_name(routed.away),
                until=until,
                stand_in=handoffs.first_name(routed.staff),
            )
        ]
    else:
        parts = [
            system_text("handoff_opened", turn.lang, contact=handoffs.first_name(routed.staff))
        ]
    if not hours.in_working_hours(turn.municipality, turn.now):
        when = hours.when_staff_see_it(turn.now, turn.municipality, turn.lang)
        parts.append(system_text("handoff_after_hours", turn.lang, when=when))
    return " ".join(parts)


def day_name(moment: datetime, *, now: datetime, language: str, timezone: str) -> str:
    """'mandag' within the coming week, else '12. marts' (local time, reader's language)."""
    zone = ZoneInfo(timezone)
    day = moment.astimezone(zone).date()
    locale = babel_locale(language)
    if day - now.astimezone(zone).date() < timedelta(days=7):
        return format_date(day, "EEEE", locale=locale)
    return format_date(day, "d. MMMM" if language == "da" else "d MMMM", locale=locale)


@plugin.guard("held")
async def wait_for_human(turn: Turn, _steps: Steps) -> bool:
    """A human holds the conversation: the message waits for them in the inbox.

    The young person is told so (to keywords and worrying messages every time); a worrying
    message makes the handoff urgent. "menu" still shows the menu, saying who holds the
    conversation: the bot answers a number picked from it, free text goes to the human.
    """
    held = await handoffs.active_handoff(turn.session, person_id=turn.person.id or 0)
    if held is None:
        return False
    if turn.worry is None and await picks_from_menu(turn):
        return False
    # Someone who has never been shown anything (a first message that was a crisis) is
    # answered by the human, not walked into the welcome.
    if turn.worry is None and turn.keyword == "menu" and turn.state.step != "":
        name = await _holder_name(turn, held)
        turn.say(
            system_text("handoff_held_menu", turn.lang, contact=name)
            if name
            else system_text("handoff_held_menu_team", turn.lang)
        )
        return False
    if turn.worry is not None:
        await handoffs.open_handoff(
            turn.session,
            person=turn.person,
            reason="crisis",
            urgent=True,
            message_id=turn.message_id,
            detail=f"gentle: {turn.worry}",
        )
    await acknowledge(turn, held, always=turn.worry is not None or turn.keyword is not None)
    return True


async def picks_from_menu(turn: Turn) -> bool:
    """True when the young person picks from the menu the bot last sent them.

    A transfer tells the young person who has their conversation now and offers the menu:
    "2" then answers that menu, not the contact person. A number written after a staff
    member's message is for the staff member.
    """
    if f"{turn.state.flow}.{turn.state.step}" != MENU:
        return False
    if turn.inbound.choice is None and not fold(turn.text).isdigit():
        return False
    last = (
        await turn.session.exec(
            select(Message)
            .where(
                Message.young_person_id == turn.person.id,
                Message.direction == OUTBOUND,
                col(Message.internal).is_(False),
            )
            .order_by(col(Message.id).desc())
            .limit(1)
        )
    ).first()
    return last is not None and last.author == "bot" and bool(last.choices)


async def acknowledge(turn: Turn, held: Handoff, *, always: bool) -> None:
    """Tell the young person their message reached a human, and when they will answer.

    Said when nothing was sent to them for a while (not to every line of a burst, nor in a
    live exchange with staff), and always to keywords ("menu", "hjælp") and worrying
    messages, so nobody writes into silence.
    """
    last_sent = (
        await turn.session.exec(
            select(func.max(Message.created_at))
            .join(OutboxItem, col(OutboxItem.message_id) == Message.id, isouter=True)
            .where(
                Message.young_person_id == turn.person.id,
                Message.direction == OUTBOUND,
                col(Message.internal).is_(False),
                # A message held for the end of quiet hours (a meeting notice, say) has told
                # them nothing yet.
                or_(col(OutboxItem.id).is_(None), col(OutboxItem.due_at) <= turn.now),
            )
        )
    ).one()
    if not always and last_sent is not None and turn.now - _aware(last_sent) < ACK_AFTER:
        return
    name = await _holder_name(turn, held)
    if hours.in_working_hours(turn.municipality, turn.now):
        say = (
            system_text("handoff_ack", turn.lang, contact=name)
            if name
            else system_text("handoff_ack_team", turn.lang)
        )
    else:
        when = hours.when_staff_see_it(turn.now, turn.municipality, turn.lang)
        say = (
            system_text("handoff_ack_closed", turn.lang, contact=name, when=when)
            if name
            else system_text("handoff_ack_closed_team", turn.lang, when=when)
        )
    turn.say(say)
    turn.flush()


async def _holder_name(turn: Turn, held: Handoff) -> str | None:
    """The first name of the staff member holding the handoff; None while the team holds it."""
    if held.assignee_id is None:
        return None
    staff = await turn.session.get(StaffMember, held.assignee_id)
    return handoffs.first_name(staff) if staff is not None else None


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
