"""What happens when the safety screen matches: help now, and a human at once."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.content.yaml_files import load_yaml
from bot.handoff import service as handoffs
from bot.i18n import tr
from bot.municipalities.hours import in_working_hours, when_staff_see_it
from bot.people.models import YoungPerson
from bot.safety.content import content_dir
from bot.safety.helplines import AgeRange, helplines_for
from bot.safety.screen import CrisisMatch
from bot.safety.screen import screen as _screen

if TYPE_CHECKING:
    from bot.conversation.turn import Turn

# SMS must stay within two segments: two lines there, three where screens are roomier.
LINES_ON_SMS = 2
LINES_ELSEWHERE = 3


@lru_cache
def _texts() -> dict[str, dict[str, str]]:
    path = content_dir() / "safety" / "crisis.yaml"
    data: dict[str, dict[str, str]] = load_yaml(path.read_text(encoding="utf-8"))
    return data


def text(name: str, language: str, **values: Any) -> str:
    """A crisis text from content/safety/crisis.yaml, translated."""
    source = _texts()[name]["text"]
    return tr(language, source, **values)


def screen(message: str) -> CrisisMatch | None:
    """The crisis screen over every shipped language."""
    return _screen(message)


def age_range(person: YoungPerson, today: date) -> AgeRange:
    """The young person's age: exact from a birth date, else the two ages a birth year allows."""
    if person.birth_date is not None:
        born = person.birth_date
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        return age, age
    if person.birth_year is not None:
        return today.year - person.birth_year - 1, today.year - person.birth_year
    return None


async def help_text(turn: Turn, topic: str, *, danger: bool) -> str:
    """Help now: 112 first when in danger, who at the municipality knows, lines open now."""
    lang, municipality = turn.lang, turn.municipality
    local_now = turn.now.astimezone(ZoneInfo(municipality.timezone))
    lines = helplines_for(
        topic,
        age_range(turn.person, local_now.date()),
        local_now,
        limit=LINES_ON_SMS if turn.inbound.channel == "sms" else LINES_ELSEWHERE,
        include_unverified=not municipality.hide_unverified_helplines,
    )
    first = [text("intro", lang)]
    if danger:
        first.append(text("danger_first", lang))
    # Name whoever the handoff went to, not whoever routing would pick now.
    staff = await handoffs.assignee(turn.session, person_id=turn.person.id or 0)
    name = handoffs.first_name(staff) if staff is not None else None
    if in_working_hours(municipality, turn.now):
        first.append(
            text("handoff_now", lang, contact=name) if name else text("handoff_team", lang)
        )
    else:
        when = when_staff_see_it(turn.now, municipality, lang)
        first.append(
            text("after_hours", lang, contact=name, when=when)
            if name
            else text("after_hours_team", lang, when=when)
        )
    parts = [" ".join(first)]
    if lines:
        parts.append(
            text("lines_intro", lang) + "\n" + "\n".join(tr(lang, ln.text) for ln in lines)
        )
    if not danger:
        parts.append(text("danger_last", lang))
    return "\n\n".join(parts)


async def respond(turn: Turn, match: CrisisMatch) -> None:
    """Say where to get help now and open (or raise) an urgent handoff."""
    await handoffs.open_handoff(
        turn.session,
        person=turn.person,
        reason="crisis",
        urgent=True,
        message_id=turn.message_id,
        detail=f"{match.category}:{match.rule_id}:{match.language}"
        + (f' resembles "{match.resembles}"' if match.resembles else ""),
    )
    turn.say(await help_text(turn, match.category, danger=match.category == "acute_danger"))
