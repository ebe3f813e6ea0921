"""The conversation engine: from one Inbound to state changes and replies.

It runs inside the caller's transaction and knows nothing of HTTP or providers.
Order per message: safety screen, opt-out, handoff, media, global keywords, flow step.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.flows import MENU, Flows, Step, flows
from bot.content.texts import fold, keyword_of, system_text
from bot.conversation import hooks  # noqa: F401  (registers actions and views)
from bot.conversation.intents import answer_of, intent_of, is_question
from bot.conversation.models import OUTBOUND, ConversationState, Message
from bot.conversation.preferences import OFFER_STEP, offer_for, remember_offer, stop
from bot.conversation.registry import (
    ACTIONS,
    CHOICE_SOURCES,
    READERS,
    VIEWS,
    Option,
    action,
    choice_source,
)
from bot.handoff import service as handoffs
from bot.handoff.models import Handoff
from bot.i18n import LANGUAGES, native_name, normalise_language, tr
from bot.i18n.detect import detect_language
from bot.people.models import ChannelIdentity, YoungPerson
from bot.safety import crisis
from bot.tenants import hours
from bot.tenants.models import Municipality, StaffMember
from channels.base import Choice, Inbound

KEYWORD_TARGETS = {
    "menu": MENU,
    # START also resumes paused check-ins, then shows the menu.
    "start": "checkin.resume",
    "pause": "checkin.pause",
    "plan": "plan.show",
    "help": "help.main",
    "contact": "contact.open",
    "language": "settings.language",
    "privacy": "privacy.summary",
}
MAX_HOPS = 12
MISSES_BEFORE_HUMAN = 2
GENTLE_CHECK = "safety.check"
GENTLE_TOPIC = "gentle_topic"
# While a human holds the conversation, a message after this long a pause is acknowledged.
ACK_AFTER = timedelta(minutes=10)


@dataclass
class Reply:
    """One message back to the young person."""

    text: str
    choices: tuple[Choice, ...] = ()
    bypass_opt_out: bool = False


@dataclass
class Turn:
    """Everything one inbound message is handled with."""

    session: AsyncSession
    inbound: Inbound
    text: str
    person: YoungPerson
    identity: ChannelIdentity
    municipality: Municipality
    state: ConversationState
    now: datetime
    cpr_removed: bool = False
    replies: list[Reply] = field(default_factory=list)
    _parts: list[str] = field(default_factory=list)

    @property
    def lang(self) -> str:
        """The young person's language."""
        return normalise_language(self.person.language)

    def say(self, text: str) -> None:
        """Add a paragraph to the reply being built."""
        self._parts.append(text)

    def flush(self, choices: tuple[Choice, ...] = (), *, bypass_opt_out: bool = False) -> None:
        """Turn the paragraphs said so far into one reply."""
        if self._parts:
            self.replies.append(Reply("\n\n".join(self._parts), choices, bypass_opt_out))
            self._parts = []




@choice_source("languages")
async def _languages(turn: Turn) -> list[Option]:
    """Every language a young person can choose, named in itself."""
    return [Option(Choice(code, native_name(code)), do=f"set_language:{code}")
            for code in LANGUAGES]


@action("set_language")
async def _set_language(turn: Turn, code: str) -> None:
    if code in LANGUAGES:
        turn.person.language = code


class Engine:
    """Decides what to do with each message; content comes from `flows`."""

    def __init__(self, content: Flows | None = None) -> None:
        self.flows = content or flows()

    async def handle(self, turn: Turn) -> list[Reply]:
        """Handle one inbound message; the caller stores the replies."""
        if turn.cpr_removed and not turn.person.cpr_warned:
            turn.person.cpr_warned = True
            turn.say(system_text("cpr_removed", turn.lang))
        match = crisis.screen(turn.text)
        if match is not None and not match.gentle:
            # A crisis is always answered: during a handoff, at night, after STOP.
            await crisis.respond(turn, match)
            turn.flush(bypass_opt_out=True)
            return turn.replies
        keyword = keyword_of(turn.text.lstrip("/")) if not turn.inbound.choice else None
        # The provider (Twilio's Advanced Opt-Out) may have answered STOP/START/HELP itself,
        # perhaps for a word we do not list: keep our records in step, but never answer twice.
        answered = turn.inbound.provider_answered
        keyword = answered or keyword
        if turn.identity.opted_out_at is not None:
            if keyword in ("start", "start_when_stopped"):
                turn.identity.opted_out_at = None
                if answered == "start":
                    turn.state.flow, turn.state.step = "menu", "main"
                    return turn.replies
                turn.say(system_text("restarted", turn.lang))
                await self._enter(turn, MENU)
            return turn.replies
        if keyword == "stop":
            stop(turn, answered=answered == "stop")
            return turn.replies
        if answered is not None:
            return turn.replies
        held = await handoffs.active_handoff(turn.session, person_id=_id(turn.person))
        if held is not None:
            # A human holds the conversation: the message waits for them in the inbox, and
            # the young person is told so (keywords and worrying messages every time).
            if match is not None:
                await handoffs.open_handoff(turn.session, person=turn.person, reason="crisis",
                                            urgent=True, detail=f"gentle: {match.category}")
            await acknowledge(turn, held, always=match is not None or keyword is not None)
            return turn.replies
        if match is not None:
            turn.state.data = {**turn.state.data, GENTLE_TOPIC: match.category}
            await self._enter(turn, GENTLE_CHECK)
        elif turn.state.step == "":
            await self._enter(turn, self.flows.resolve(turn.state.flow))
        elif turn.inbound.has_media and not turn.text.strip():
            turn.say(system_text("media_only", turn.lang))
            await self._repeat_choices(turn)
        elif keyword in KEYWORD_TARGETS:
            await self._enter(turn, KEYWORD_TARGETS[keyword])
        else:
            await self._answer(turn)
        return turn.replies

    async def _answer(self, turn: Turn) -> None:
        ref = f"{turn.state.flow}.{turn.state.step}"
        step = self.flows.step(ref)
        options = await self._choices(turn, step, ref)
        picked = _match(turn, options)
        if picked is not None:
            turn.state.misses = 0
            await self._pick(turn, step, picked)
            return
        typed = turn.inbound.choice is None and bool(turn.text.strip())
        # Before the step reads the text: another language, or a question for elsewhere.
        goto = _elsewhere(turn, step, ref) if typed else None
        if goto is not None:
            turn.state.misses = 0
            await self._enter(turn, goto)
            return
        if step.read and typed:
            turn.state.misses = 0
            outcome = await READERS[step.read](turn, turn.text)
            await self._enter(turn, step.routes.get(outcome) or step.goto or ref)
            return
        if step.input and turn.text.strip() and not _question_for_name(step, turn.text):
            turn.state.misses = 0
            _store_input(turn, step.input, turn.text)
            await self._enter(turn, step.goto or MENU)
            return
        if not options:
            # A step that waits without choices (a handoff just closed): start afresh.
            await self._enter(turn, MENU)
            return
        turn.state.misses += 1
        if turn.state.misses >= MISSES_BEFORE_HUMAN:
            turn.state.misses = 0
            await self._enter(turn, "contact.offer")
            return
        turn.say(system_text("not_understood", turn.lang))
        turn.flush(tuple(option.choice for option in options))

    async def _pick(self, turn: Turn, step: Step, picked: Option) -> None:
        if picked.do:
            await self._act(turn, picked.do)
        await self._enter(turn, picked.goto or step.goto or MENU)

    async def _enter(self, turn: Turn, ref: str) -> None:
        for _ in range(MAX_HOPS):
            ref = self.flows.resolve(ref, turn.state.flow)
            step = self.flows.step(ref)
            turn.state.flow, _, turn.state.step = ref.partition(".")
            if step.skip_if and getattr(turn.person, step.skip_if, None):
                ref = step.goto or MENU
                continue
            if step.do:
                await self._act(turn, step.do)
            if step.say:
                turn.say(tr(turn.lang, step.say, municipality=turn.municipality.name))
            if step.show:
                turn.say(await VIEWS[step.show](turn))
            if step.waits or not step.goto:
                if turn.session.info.get(handoffs.OPENED_IN_SESSION):
                    # A human took over during this turn (a risky answer, say): buttons
                    # would now get no answer, and what the young person writes goes to them.
                    turn.flush()
                    return
                options = await self._choices(turn, step, ref)
                turn.flush(tuple(option.choice for option in options))
                return
            ref = step.goto
        raise RuntimeError(f"flow loops without waiting at {ref}")

    async def _repeat_choices(self, turn: Turn) -> None:
        ref = f"{turn.state.flow}.{turn.state.step}"
        options = await self._choices(turn, self.flows.step(ref), ref)
        turn.flush(tuple(option.choice for option in options))

    async def _act(self, turn: Turn, action: str) -> None:
        name, _, argument = action.partition(":")
        await ACTIONS[name](turn, argument)

    async def _choices(self, turn: Turn, step: Step, ref: str) -> list[Option]:
        sourced = await CHOICE_SOURCES[step.choices_from](turn) if step.choices_from else []
        options = sourced + [
            Option(Choice(c.key, tr(turn.lang, c.label)), c.goto, c.do) for c in step.choices
        ]
        waits_for_human = (step.do or "").startswith("handoff")
        has_menu = any(option.goto == MENU for option in options)
        if ref != MENU and not has_menu and not waits_for_human:
            # Never a dead end: every step offers the way back to the menu.
            options.append(Option(Choice("menu", system_text("menu_choice", turn.lang)), MENU))
        return options


async def acknowledge(turn: Turn, held: Handoff, *, always: bool) -> None:
    """Tell the young person their message reached a human, and when they will answer.

    Said when nothing was sent to them for a while (not to every line of a burst, nor in a
    live exchange with staff), and always to keywords ("menu", "hjælp") and worrying
    messages, so nobody writes into silence.
    """
    last_sent = (await turn.session.exec(
        select(func.max(Message.created_at)).where(
            Message.young_person_id == _id(turn.person), Message.direction == OUTBOUND,
            col(Message.internal).is_(False))
    )).one()
    if not always and last_sent is not None and turn.now - _aware(last_sent) < ACK_AFTER:
        return
    staff = (await turn.session.get(StaffMember, held.assignee_id)
             if held.assignee_id is not None else None)
    name = handoffs.first_name(staff) if staff is not None else None
    if hours.in_working_hours(turn.municipality, turn.now):
        say = system_text("handoff_ack", turn.lang, contact=name) if name else system_text(
            "handoff_ack_team", turn.lang)
    else:
        when = hours.when_staff_see_it(turn.now, turn.municipality, turn.lang)
        say = system_text("handoff_ack_closed", turn.lang, contact=name, when=when) if name \
            else system_text("handoff_ack_closed_team", turn.lang, when=when)
    turn.say(say)
    turn.flush()


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _match(turn: Turn, options: list[Option]) -> Option | None:
    if turn.inbound.choice is not None:
        return next((o for o in options if o.choice.key == turn.inbound.choice), None)
    folded = fold(turn.text)
    if folded.isdigit() and 1 <= int(folded) <= len(options):
        return options[int(folded) - 1]
    for option in options:
        if folded and folded in (fold(option.choice.key), fold(option.choice.label)):
            return option
    # "ja tak", "jep", "nope": the choice keyed "yes" or "no".
    answer = answer_of(turn.text)
    keyed = [o for o in options if answer is not None and o.choice.key == answer]
    if len(keyed) == 1:
        return keyed[0]
    # "ja" for "Ja, skriv med et menneske": the first word, when only one choice has it.
    starts = [o for o in options if folded and fold(o.choice.label).startswith(folded + " ")]
    return starts[0] if len(starts) == 1 else None


def clean_name(text: str) -> str:
    """A typed name without control or direction-override characters, spaces folded."""
    # Bidi overrides (U+202A-E, U+2066-9) could reorder how a name shows in the inbox.
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    return " ".join(kept.split())[:60]


def _store_input(turn: Turn, field_name: str, text: str) -> None:
    if field_name == "first_name":
        turn.person.first_name = clean_name(text) or None
    else:
        turn.state.data = {**turn.state.data, field_name: text[:500]}


def _id(person: YoungPerson) -> int:
    assert person.id is not None
    return person.id


def _elsewhere(turn: Turn, step: Step, ref: str) -> str | None:
    """Where typed text leads before the step reads it, if not to the step itself.

    Written in another language we have texts for (or one we have none for): offer that
    language (or English) once. A global question or wish ('hvornår er mit møde?'): its step.
    """
    if ref == GENTLE_CHECK:
        # "Er du okay?" is answered yes or no; a worried answer is never sent elsewhere.
        return None
    # Where a step asks for free text (a check-in comment), the text must be mostly the
    # question: "jeg har brug for hjælp, jeg dropper ud" is an answer, and is kept.
    intent = intent_of(turn.text, tight=bool(step.input))
    if _may_offer_language(step, ref):
        detected = detect_language(turn.text)
        code = offer_for(turn, detected)
        if code is not None and detected is not None:
            # After the answer, go where the message asked to go, or back to this step.
            remember_offer(turn, code, detected=detected, after=intent.goto if intent else ref)
            return OFFER_STEP
    return intent.goto if intent else None


def _may_offer_language(step: Step, ref: str) -> bool:
    # Not for a name, nor while a language is being chosen or offered.
    return (step.input != "first_name" and step.choices_from != "languages"
            and ref != OFFER_STEP)


def _question_for_name(step: Step, text: str) -> bool:
    """A question is not a name ('hvad mener du?' at 'Hvad vil du gerne kaldes?')."""
    return step.input == "first_name" and is_question(text)
