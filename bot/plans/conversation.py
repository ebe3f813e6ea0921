"""What flows can show of the plan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.content.texts import fold, system_text
from bot.conversation import intents
from bot.conversation.registry import ConversationPlugin
from bot.conversation.turn import Option
from bot.plans import changes
from bot.plans import service as plans
from bot.plans.models import Milestone
from channels.base import Choice

if TYPE_CHECKING:
    from bot.conversation.turn import Turn

plugin = ConversationPlugin("plans")


@plugin.view("plan")
async def show_plan(turn: Turn) -> str:
    """The goal and next milestones."""
    return await plans.plan_text(
        turn.session, person=turn.person, language=turn.lang, timezone=turn.municipality.timezone
    )


@plugin.view("next_appointment")
async def show_next_appointment(turn: Turn) -> str:
    """When and where the next meeting is."""
    return await plans.next_appointment_text(
        turn.session,
        person=turn.person,
        language=turn.lang,
        timezone=turn.municipality.timezone,
        now=turn.now,
    )


# Words that carry no meaning for matching "Jeg har søgt" against "Søg ind på optagelse.dk".
_FILLER = frozenset(
    {
        "jeg",
        "har",
        "er",
        "det",
        "den",
        "en",
        "et",
        "paa",
        "i",
        "til",
        "at",
        "og",
        "med",
        "min",
        "mit",
        "mine",
        "nu",
        "lige",
        "blevet",
        "gjort",
        "faerdig",
        "faerdigt",
        "faerdige",
        "done",
        "finished",
        "have",
        "has",
        "i've",
        "ive",
        "im",
        "am",
        "is",
        "with",
        "my",
        "the",
        "a",
        "to",
    }
)


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
    return min(len(word), len(other)) >= 4 and (word.startswith(other) or other.startswith(word))


# Conversation data: the step waiting for "Ja" in plan.confirm.
CONFIRMING = "milestone_confirm"


async def _open(turn: Turn) -> list[Milestone]:
    plan = await plans.get_plan(turn.session, person_id=turn.person.id or 0)
    if plan is None or plan.id is None:
        return []
    return (await plans.open_milestones(turn.session, plan_id=plan.id))[: plans.MILESTONES_SHOWN]


async def _own_open(turn: Turn, milestone_id: object) -> Milestone | None:
    """This young person's milestone with that id, if it is still open."""
    try:
        _plan, milestone = await changes.milestone_of(
            turn.session, person=turn.person, milestone_id=int(str(milestone_id))
        )
    except (changes.NotFound, ValueError):
        return None
    return milestone if milestone.status == "open" else None


async def _done(turn: Turn, milestone: Milestone | None) -> None:
    if milestone is None or milestone.status != "open":
        turn.say(system_text("milestone_not_found", turn.lang))
        return
    await changes.mark_done(turn.session, person=turn.person, milestone=milestone, now=turn.now)
    turn.say(system_text("milestone_done", turn.lang, title=milestone.title))


def _propose(turn: Turn, milestone: Milestone | None) -> None:
    """Remember the step the young person is asked to confirm (or forget it)."""
    data = dict(turn.state.data)
    data.pop(CONFIRMING, None)
    if milestone is not None:
        data[CONFIRMING] = milestone.id
    turn.state.data = data


@plugin.view("milestone_pick")
async def show_milestone_pick(turn: Turn) -> str:
    """The question which step is done; the steps themselves are the choices."""
    if not await _open(turn):
        return system_text("plan_no_milestones", turn.lang)
    return system_text("milestone_pick", turn.lang)


@plugin.choice_source("plan_done")
async def plan_done_choice(turn: Turn) -> list[Option]:
    """'Jeg er færdig med et skridt', only when there is an open step to be done with."""
    if not await _open(turn):
        return []
    return [Option(Choice("done", system_text("plan_done_choice", turn.lang)), goto="plan.pick")]


@plugin.choice_source("milestones")
async def milestone_choices(turn: Turn) -> list[Option]:
    """One choice per open milestone, named by its title; it asks to confirm, never marks."""
    return [
        Option(
            Choice(f"m{m.id}", _short(m.title)), goto="plan.confirm", do=f"milestone_propose:{m.id}"
        )
        for m in await _open(turn)
    ]


def _short(title: str, limit: int = 40) -> str:
    # Telegram buttons and numbered SMS lines stay readable.
    return title if len(title) <= limit else title[: limit - 3].rstrip() + "..."


@plugin.reader("milestone_report")
async def read_report(turn: Turn, text: str) -> str:
    """What a free-text report on the plan says; nothing is marked done here.

    found (one open step is named, now waiting for "Ja"), not_done ("ikke", "not yet"),
    question, unclear, or no_steps.
    """
    _propose(turn, None)
    milestones = await _open(turn)
    if not milestones:
        return "no_steps"
    if intents.is_negated(text):
        return "not_done"
    if intents.is_question(text):
        return "question"
    found = match_milestone(text, milestones)
    if found is None:
        return "unclear"
    _propose(turn, found)
    return "found"


@plugin.action("milestone_propose")
async def milestone_propose(turn: Turn, argument: str) -> None:
    """A picked step (`do: milestone_propose:<id>`): ask to confirm it, if it is theirs."""
    _propose(turn, await _own_open(turn, argument))


@plugin.action("milestone_propose_tag")
async def milestone_propose_tag(turn: Turn, tag: str) -> None:
    """'Ja, jeg har søgt' to a campaign (`do: milestone_propose_tag:ansogning`): ask to
    confirm the open step with that tag, if there is one."""
    tagged = [m for m in await _open(turn) if m.tag == tag]
    _propose(turn, tagged[0] if tagged else None)


@plugin.view("milestone_confirm")
async def show_milestone_confirm(turn: Turn) -> str:
    """'Skal jeg skrive, at du er færdig med …?' for the step waiting for "Ja"."""
    value = turn.state.data.get(CONFIRMING)
    milestone = await _own_open(turn, value) if value else None
    if milestone is None:
        return system_text("milestone_not_found", turn.lang)
    return system_text("milestone_confirm", turn.lang, title=milestone.title)


@plugin.action("milestone_confirmed")
async def milestone_confirmed(turn: Turn, _argument: str) -> None:
    """ "Ja" to the confirmation: now the step is marked done."""
    value = turn.state.data.get(CONFIRMING)
    _propose(turn, None)
    await _done(turn, await _own_open(turn, value) if value else None)


@plugin.action("milestone_done_current")
async def milestone_done_current(turn: Turn, _argument: str) -> None:
    """Mark done the milestone the last reminder was about ("Det har jeg gjort")."""
    milestone_id = turn.state.data.get("milestone_id")
    await _done(turn, await _own_open(turn, milestone_id) if milestone_id else None)
