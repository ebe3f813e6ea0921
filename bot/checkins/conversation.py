"""Flow actions and views for check-ins: the score, the optional text, pause, start, day."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.checkins import service
from bot.checkins.models import CheckinSchedule
from bot.content.texts import system_text
from bot.conversation.registry import ConversationPlugin
from bot.i18n import babel_locale
from bot.plans.service import format_when, get_plan

if TYPE_CHECKING:
    from bot.conversation.turn import Turn

plugin = ConversationPlugin("checkins")
ASK_STEP = "checkin.ask"


def _checkin_id(turn: Turn) -> int | None:
    value = turn.state.data.get("checkin_id")
    return int(value) if value else None


@plugin.view("checkin_question")
async def show_question(turn: Turn) -> str:
    """'Hvordan går det med dit mål: …?' with the plan's goal when there is one, 1 to 5."""
    plan = await get_plan(turn.session, person_id=turn.person.id or 0)
    if plan is not None and plan.goal:
        return system_text("checkin_question", turn.lang, goal=plan.goal)
    return system_text("checkin_question_nogoal", turn.lang)


@plugin.view("checkin_comment_question")
async def show_comment_question(turn: Turn) -> str:
    """The one optional free-text question."""
    return system_text("checkin_comment_question", turn.lang)


@plugin.action("checkin_score")
async def record_score(turn: Turn, argument: str) -> None:
    """Store the 1-5 answer (`do: checkin_score:3`); a low streak hands over to a human."""
    checkin = await service.current(
        turn.session, person_id=turn.person.id or 0, checkin_id=_checkin_id(turn)
    )
    flagged_before = turn.person.risk_flag_at
    checkin = await service.answer_score(
        turn.session, person=turn.person, checkin=checkin, score=int(argument), now=turn.now
    )
    turn.state.data = {**turn.state.data, "checkin_id": checkin.id}
    if turn.person.risk_flag_at is not None and turn.person.risk_flag_at != flagged_before:
        turn.say(system_text("checkin_risk", turn.lang))


@plugin.action("checkin_comment")
async def record_comment(turn: Turn, _argument: str) -> None:
    """Store the free-text answer kept in the conversation data."""
    text = str(turn.state.data.get("checkin_comment", ""))
    checkin = await service.current(
        turn.session, person_id=turn.person.id or 0, checkin_id=_checkin_id(turn)
    )
    data = dict(turn.state.data)
    data.pop("checkin_comment", None)  # the answer lives on the check-in, not in the state
    turn.state.data = data
    if await service.answer_text(
        turn.session, person=turn.person, checkin=checkin, text=text, now=turn.now
    ):
        turn.say(system_text("checkin_risk", turn.lang))


async def _schedule(turn: Turn, **changes: object) -> CheckinSchedule:
    return await service.set_schedule(
        turn.session,
        person=turn.person,
        municipality=turn.municipality,
        now=turn.now,
        **changes,  # type: ignore[arg-type]
    )


@plugin.action("checkin_pause")
async def pause(turn: Turn, _argument: str) -> None:
    """Stop check-ins until START."""
    await _schedule(turn, paused=True)
    turn.say(system_text("checkin_paused", turn.lang))


@plugin.action("checkin_resume")
async def resume(turn: Turn, _argument: str) -> None:
    """Start paused check-ins again (START); nothing to say when they were not paused."""
    existing = await turn.session.get(CheckinSchedule, turn.person.id)
    if existing is None or not existing.paused:
        return
    schedule = await _schedule(turn, paused=False)
    assert schedule.next_at is not None
    when = format_when(schedule.next_at, language=turn.lang, timezone=turn.municipality.timezone)
    turn.say(system_text("checkin_resumed", turn.lang, when=when))


@plugin.action("checkin_day")
async def change_day(turn: Turn, argument: str) -> None:
    """Move check-ins to another weekday (`do: checkin_day:0` is Monday)."""
    schedule = await _schedule(turn, weekday=int(argument), paused=False)
    assert schedule.next_at is not None
    zone = ZoneInfo(turn.municipality.timezone)
    day = format_date(
        schedule.next_at.astimezone(zone).date(), "EEEE", locale=babel_locale(turn.lang)
    )
    when = format_when(schedule.next_at, language=turn.lang, timezone=turn.municipality.timezone)
    turn.say(system_text("checkin_day_set", turn.lang, day=day, when=when))
