"""What flows can show of the plan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.content.texts import fold, system_text
from bot.conversation.registry import Option, action, choice_source, view
from bot.plans import changes
from bot.plans import service as plans
from bot.plans.models import Milestone
from channels.base import Choice

if TYPE_CHECKING:
    from bot.conversation.engine import Turn


@view("plan")
async def show_plan(turn: Turn) -> str:
    """The goal and next milestones."""
    return await plans.plan_text(turn.session, person=turn.person, language=turn.lang,
                                 timezone=turn.municipality.timezone)


@view("next_appointment")
async def show_next_appointment(turn: Turn) -> str:
    """When and where the next meeting is."""
    return await plans.next_appointment_text(
        turn.session, person=turn.person, language=turn.lang,
        timezone=turn.municipality.timezone, now=turn.now,
    )


# Words that carry no meaning for matching "Jeg har søgt" against "Søg ind på optagelse.dk".
_FILLER = frozenset({
    "jeg", "har", "er", "det", "den", "en", "et", "på", "i", "til", "at", "og", "med", "min",
    "mit", "mine", "nu", "lige", "blevet", "gjort", "faerdig", "done", "have", "has", "i've",
    "ive", "my", "the", "a", "to",
})


def match_milestone(text: str, milestones: list[Milestone]) -> Milestone | None:
    """The one milestone a free-text report is about ('Jeg har søgt' -> 'Søg ind …'), if clear."""
    folded = fold(text)
    if folded.isdigit():
        index = int(folded) - 1
        return milestones[index] if 0 <= index < len(milestones) else None
    words = [w for w in folded.split() if w not in _FILLER]
    if not words:
        return None
    scored = []
    for milestone in milestones:
        title = fold(milestone.title).split()
        hits = sum(1 for w in words if any(_same_stem(w, t) for t in title))
        scored.append((hits, milestone))
    best = max((hits for hits, _ in scored), default=0)
    winners = [m for hits, m in scored if hits == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def _same_stem(word: str, other: str) -> bool:
    if word == other:
        return True
    # 'soegt' and 'soeg', 'faerdigt' and 'faerdig': one starts with the other (4+ letters).
    return min(len(word), len(other)) >= 4 and (word.startswith(other) or
                                                 other.startswith(word))


async def _open(turn: Turn) -> list[Milestone]:
    plan = await plans.get_plan(turn.session, person_id=turn.person.id or 0)
    if plan is None or plan.id is None:
        return []
    return (await plans.open_milestones(turn.session, plan_id=plan.id))[:plans.MILESTONES_SHOWN]


async def _done(turn: Turn, milestone: Milestone | None) -> None:
    if milestone is None or milestone.status != "open":
        turn.say(system_text("milestone_not_found", turn.lang))
        return
    await changes.mark_done(turn.session, person=turn.person, milestone=milestone, now=turn.now)
    turn.say(system_text("milestone_done", turn.lang, title=milestone.title))


@view("milestone_pick")
async def show_milestone_pick(turn: Turn) -> str:
    """The question which step is done; the steps themselves are the choices."""
    if not await _open(turn):
        return system_text("plan_no_milestones", turn.lang)
    return system_text("milestone_pick", turn.lang)


@choice_source("milestones")
async def milestone_choices(turn: Turn) -> list[Option]:
    """One choice per open milestone, named by its title."""
    return [Option(Choice(f"m{m.id}", _short(m.title)), do=f"milestone_done:{m.id}")
            for m in await _open(turn)]


def _short(title: str, limit: int = 40) -> str:
    # Telegram buttons and numbered SMS lines stay readable.
    return title if len(title) <= limit else title[: limit - 3].rstrip() + "..."


@action("milestone_done")
async def milestone_done(turn: Turn, argument: str) -> None:
    """Mark a milestone of this young person's plan done (`do: milestone_done:<id>`)."""
    milestone = None
    try:
        _plan, milestone = await changes.milestone_of(turn.session, person=turn.person,
                                                      milestone_id=int(argument))
    except (changes.NotFound, ValueError):
        milestone = None
    await _done(turn, milestone)


@action("milestone_done_text")
async def milestone_done_text(turn: Turn, _argument: str) -> None:
    """Mark done the milestone a free-text report names ('Jeg har søgt')."""
    data = dict(turn.state.data)
    text = str(data.pop("milestone_text", ""))
    turn.state.data = data
    await _done(turn, match_milestone(text, await _open(turn)))


@action("milestone_done_current")
async def milestone_done_current(turn: Turn, _argument: str) -> None:
    """Mark done the milestone the last reminder was about."""
    milestone_id = turn.state.data.get("milestone_id")
    milestone = None
    if milestone_id:
        try:
            _plan, milestone = await changes.milestone_of(turn.session, person=turn.person,
                                                          milestone_id=int(milestone_id))
        except changes.NotFound:
            milestone = None
    await _done(turn, milestone)
