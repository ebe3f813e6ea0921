"""What happens when the safety screen matches: help now, and a human at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import yaml
from babel.dates import format_date

from bot.handoff import service as handoffs
from bot.i18n import babel_locale, tr
from bot.safety.content import content_dir
from bot.safety.helplines import Helpline, helplines_for
from bot.safety.screen import CrisisMatch
from bot.safety.screen import screen as _screen
from bot.tenants.models import Municipality

if TYPE_CHECKING:
    from bot.conversation.engine import Turn


@lru_cache
def _texts() -> dict[str, dict[str, str]]:
    path = content_dir() / "safety" / "crisis.yaml"
    data: dict[str, dict[str, str]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def text(name: str, language: str, **values: Any) -> str:
    """A crisis text from content/safety/crisis.yaml, translated."""
    source = _texts()[name]["text"]
    return tr(language, source, **values)


def screen(message: str) -> CrisisMatch | None:
    """The crisis screen over every shipped language."""
    return _screen(message)


def _is_working_time(local: datetime, municipality: Municipality) -> bool:
    start, end = municipality.work_start, municipality.work_end
    return local.weekday() < 5 and start <= local.time() < end


def in_working_hours(turn: Turn) -> bool:
    """True when staff are at work in the municipality (weekdays, working hours)."""
    local = turn.now.astimezone(ZoneInfo(turn.municipality.timezone))
    return _is_working_time(local, turn.municipality)


def next_opening(now: datetime, municipality: Municipality) -> datetime:
    """The next start of working hours after `now`, in the municipality's local time."""
    local = now.astimezone(ZoneInfo(municipality.timezone))
    day = local.date() if local.time() < municipality.work_start else local.date() + timedelta(1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, municipality.work_start, tzinfo=local.tzinfo)


def when_staff_see_it(now: datetime, municipality: Municipality, language: str) -> str:
    """'i morgen kl. 08.00' or 'mandag kl. 08.00': when the message will be read."""
    opens = next_opening(now, municipality)
    local_today = now.astimezone(opens.tzinfo).date()
    clock = opens.strftime("%H.%M") if language == "da" else opens.strftime("%H:%M")
    if opens.date() == local_today + timedelta(days=1):
        return text("tomorrow_at", language, time=clock)
    weekday = format_date(opens.date(), "EEEE", locale=babel_locale(language))
    return text("weekday_at", language, weekday=weekday, time=clock)


def age_of(birth_year: int | None, now: datetime) -> int | None:
    """Age in whole years, near enough for choosing help lines."""
    return now.year - birth_year if birth_year else None


def _hours(line: Helpline, lang: str) -> str:
    if line.hours.always:
        return text("open_always", lang)
    if line.hours.opens is None or line.hours.closes is None:
        return ""
    return text("open_hours", lang, opens=line.hours.opens.strftime("%H.%M"),
                closes=line.hours.closes.strftime("%H.%M"))


def _listing(lines: list[Helpline], lang: str) -> str:
    return "\n".join(f"- {tr(lang, line.text)} {_hours(line, lang)}".rstrip() for line in lines)


async def respond(turn: Turn, match: CrisisMatch) -> None:
    """Say where to get help now, open an urgent handoff, and hold the bot back."""
    lang = turn.lang
    detail = f"{match.category}:{match.phrase_id}" + (" (gentle)" if match.gentle else "")
    await handoffs.open_handoff(turn.session, person=turn.person, reason="crisis", urgent=True,
                                detail=detail)
    local_now = turn.now.astimezone(ZoneInfo(turn.municipality.timezone))
    lines = helplines_for(age_of(turn.person.birth_year, turn.now), local_now)
    turn.say(text("intro", lang) + " " + text("danger", lang))
    turn.say(text("lines_intro", lang) + "\n" + _listing(lines, lang))
    if in_working_hours(turn):
        name = await handoffs.responder_name(turn.session, person=turn.person, now=turn.now)
        turn.say(text("handoff_now", lang, contact=name) if name else text("handoff_team", lang))
    else:
        # Nobody reads the inbox at night: say so plainly, and give the lines once more.
        turn.say(text("after_hours", lang, when=when_staff_see_it(turn.now, turn.municipality,
                                                                    lang)))
        short = "\n".join(f"- {line.name}: {line.contact}" for line in lines)
        turn.say(text("after_hours_lines", lang) + "\n" + short)
