"""What happens when the safety screen matches: help now, and a human at once."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import yaml

from bot.handoff import service as handoffs
from bot.i18n import tr
from bot.safety.helplines import helplines_for
from bot.safety.screen import CrisisMatch
from bot.safety.screen import screen as _screen
from bot.settings import REPO_ROOT

if TYPE_CHECKING:
    from bot.conversation.engine import Turn


@lru_cache
def _texts() -> dict[str, dict[str, str]]:
    path = REPO_ROOT / "content" / "safety" / "crisis.yaml"
    data: dict[str, dict[str, str]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def text(name: str, language: str, **values: Any) -> str:
    """A crisis text from content/safety/crisis.yaml, translated."""
    source = _texts()[name]["text"]
    return tr(language, source, **values)


def screen(message: str) -> CrisisMatch | None:
    """The crisis screen over every shipped language."""
    return _screen(message)


def in_working_hours(turn: Turn) -> bool:
    """True when staff are at work in the municipality (weekdays, working hours)."""
    local = turn.now.astimezone(ZoneInfo(turn.municipality.timezone))
    return local.weekday() < 5 and turn.municipality.work_start <= local.time() < turn.municipality.work_end


def age_of(birth_year: int | None, now: datetime) -> int | None:
    """Age in whole years, near enough for choosing help lines."""
    return now.year - birth_year if birth_year else None


async def respond(turn: Turn, match: CrisisMatch) -> None:
    """Say where to get help now, open an urgent handoff, and hold the bot back."""
    lang = turn.lang
    await handoffs.open_handoff(turn.session, person=turn.person, reason="crisis", urgent=True,
                                detail=f"{match.category}:{match.phrase_id}"
                                + (" (gentle)" if match.gentle else ""))
    local_now = turn.now.astimezone(ZoneInfo(turn.municipality.timezone))
    lines = helplines_for(age_of(turn.person.birth_year, turn.now), local_now)
    listing = "\n".join(f"- {tr(lang, line.text)}" for line in lines)
    turn.say(text("intro", lang) + " " + text("danger", lang))
    turn.say(text("lines_intro", lang) + "\n" + listing)
    if in_working_hours(turn):
        name = await handoffs.responder_name(turn.session, person=turn.person, now=turn.now)
        turn.say(text("handoff_now", lang, contact=name) if name else text("handoff_team", lang))
    else:
        opens = turn.municipality.work_start.strftime("%H.%M")
        turn.say(text("after_hours", lang, opens=opens))
