"""Flow actions and views for handing the conversation to a human."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.content.texts import system_text
from bot.conversation.registry import action, view
from bot.handoff import service as handoffs
from bot.i18n import babel_locale
from bot.tenants import hours

if TYPE_CHECKING:
    from bot.conversation.engine import Turn


@action("handoff")
async def open_handoff(turn: Turn, reason: str) -> None:
    """Hand the conversation to the contact person (`do: handoff:<reason>`)."""
    await handoffs.open_handoff(turn.session, person=turn.person, reason=reason or "asked")


@view("handoff_opened")
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
        until = day_name(routed.away.absent_until, now=turn.now, language=turn.lang,
                         timezone=turn.municipality.timezone)
        parts = [system_text("handoff_stand_in", turn.lang,
                             contact=handoffs.first_name(routed.away), until=until,
                             stand_in=handoffs.first_name(routed.staff))]
    else:
        parts = [system_text("handoff_opened", turn.lang,
                             contact=handoffs.first_name(routed.staff))]
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
