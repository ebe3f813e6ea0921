"""The conversation engine: from one Inbound to state changes and replies.

It runs inside the caller's transaction and knows nothing of HTTP, providers or domains:
what happens before a flow step (the crisis screen, opt-out, a human holding the
conversation) are guards, and what steps do are actions and views, all from the `Registry`
the composition root builds from the domains' plug-ins. Order per message: the guards in
their order, then media, global keywords, the flow step.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from bot.content.flows import MENU, Flows, Step, flows
from bot.content.texts import fold, keyword_of, system_text
from bot.conversation.intents import answer_of, intent_of, is_question
from bot.conversation.registry import Registry
from bot.conversation.turn import HUMAN_TOOK_OVER, Option, Reply, Turn
from bot.i18n import tr
from channels.base import Choice

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


class Restartable(Protocol):
    """What a started turn changes before its step: a `ConversationState`, or its row."""

    data: dict[str, Any]
    misses: int
    updated_at: datetime


class Engine:
    """Decides what to do with each message; content comes from `flows`."""

    def __init__(self, registry: Registry, content: Flows | None = None) -> None:
        self.registry = registry
        self.flows = content or flows()

    async def handle(self, turn: Turn) -> list[Reply]:
        """Handle one inbound message; the caller stores the replies."""
        # The provider (Twilio's Advanced Opt-Out) may have answered STOP/START/HELP itself.
        typed = keyword_of(turn.text.lstrip("/")) if not turn.inbound.choice else None
        turn.keyword = turn.inbound.provider_answered or typed
        for guard in self.registry.guards:
            if await guard(turn, self):
                return turn.replies
        keyword = turn.keyword
        if turn.state.step == "":
            await self.enter(turn, self.flows.resolve(turn.state.flow))
        elif turn.inbound.has_media and not turn.text.strip():
            turn.say(system_text("media_only", turn.lang))
            await self._repeat_choices(turn)
        elif keyword in KEYWORD_TARGETS:
            await self.enter(turn, KEYWORD_TARGETS[keyword])
        else:
            await self._answer(turn)
        return turn.replies

    async def start(
        self, turn: Turn, ref: str, *, data: Mapping[str, Any] | None = None
    ) -> list[Reply]:
        """A turn the bot starts itself (a reminder, a check-in, a campaign, a hand-back):
        keep `data` in the conversation for the step's views and actions, enter `ref` and
        say what it says.

        The same path as an answer, so the message offers the choices its step will read
        the answer against, and a way back to the menu. A new question: earlier misses are
        forgotten. The caller keeps the state (adds it to the session) and stores the replies.
        """
        # A sweep starts many turns in one session: a human taking over someone else's
        # conversation earlier in it must not take this message's choices.
        turn.session.info.pop(HUMAN_TOOK_OVER, None)
        self.restart(turn.state, data, turn.now)
        await self.enter(turn, ref)
        return turn.replies

    def restart(self, state: Restartable, data: Mapping[str, Any] | None, now: datetime) -> None:
        """What a turn the bot starts does to the conversation before its step: keep `data`
        for the step's views and actions, forget earlier misses. A sweep that says one
        message to many (`says_alike`) does this to each of their conversations."""
        if data:
            state.data = {**state.data, **data}
        state.misses = 0
        state.updated_at = now

    def says_alike(self, ref: str) -> bool:
        """True when `start` on `ref` says the same to everyone its views say the same to,
        and changes nothing but the conversation's place: the walk to where it waits runs no
        action, skips no step by who the person is, and offers fixed choices. A sweep may
        then start one turn for many young people and give each the same messages."""
        current: str | None = None
        for _ in range(MAX_HOPS):
            ref = self.flows.resolve(ref, current)
            step = self.flows.step(ref)
            current = ref.partition(".")[0]
            if step.do or step.skip_if or step.choices_from or step.input or step.read:
                return False
            if step.waits or not step.goto:
                return True
            ref = step.goto
        return False

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
        goto = self._elsewhere(turn, step, ref) if typed else None
        if goto is not None:
            turn.state.misses = 0
            await self.enter(turn, goto)
            return
        if step.read and typed:
            turn.state.misses = 0
            outcome = await self.registry.readers[step.read](turn, turn.text)
            await self.enter(turn, step.routes.get(outcome) or step.goto or ref)
            return
        if step.input and turn.text.strip() and not _question_for_name(step, turn.text):
            turn.state.misses = 0
            _store_input(turn, step.input, turn.text)
            await self.enter(turn, step.goto or MENU)
            return
        if not options:
            # A step that waits without choices (a handoff just closed): start afresh.
            await self.enter(turn, MENU)
            return
        turn.state.misses += 1
        if turn.state.misses >= MISSES_BEFORE_HUMAN:
            turn.state.misses = 0
            await self.enter(turn, "contact.offer")
            return
        turn.say(system_text("not_understood", turn.lang))
        turn.flush(tuple(option.choice for option in options))

    async def _pick(self, turn: Turn, step: Step, picked: Option) -> None:
        if picked.do:
            await self._act(turn, picked.do)
        await self.enter(turn, picked.goto or step.goto or MENU)

    async def enter(self, turn: Turn, ref: str) -> None:
        """Enter `flow.step` and say what it says, up to the next step that waits."""
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
                turn.say(await self.registry.views[step.show](turn))
            if step.waits or not step.goto:
                if turn.session.info.get(HUMAN_TOOK_OVER):
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
        await self.registry.actions[name](turn, argument)

    def _elsewhere(self, turn: Turn, step: Step, ref: str) -> str | None:
        """Where typed text leads before the step reads it, if not to the step itself.

        A global question or wish ('hvornår er mit møde?') leads to its step; a redirect
        (another language, say) may lead first. Not where a step `stays`, such as "Er du
        okay?", whose worried answer is never sent elsewhere.
        """
        if step.stays:
            return None
        # Where a step asks for free text (a check-in comment), the text must be mostly the
        # question: "jeg har brug for hjælp, jeg dropper ud" is an answer, and is kept.
        intent = intent_of(turn.text, tight=bool(step.input))
        intended = intent.goto if intent else None
        for redirect in self.registry.redirects:
            goto = redirect(turn, step, ref, intended)
            if goto is not None:
                return goto
        return intended

    async def _choices(self, turn: Turn, step: Step, ref: str) -> list[Option]:
        source = self.registry.choice_sources.get(step.choices_from or "")
        sourced = await source(turn) if source is not None else []
        options = sourced + [
            Option(Choice(c.key, tr(turn.lang, c.label)), c.goto, c.do) for c in step.choices
        ]
        waits_for_human = (step.do or "").startswith("handoff")
        has_menu = any(option.goto == MENU for option in options)
        if ref != MENU and not has_menu and not waits_for_human:
            # Never a dead end: every step offers the way back to the menu.
            options.append(Option(Choice("menu", system_text("menu_choice", turn.lang)), MENU))
        return options


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


def _question_for_name(step: Step, text: str) -> bool:
    """A question is not a name ('hvad mener du?' at 'Hvad vil du gerne kaldes?')."""
    return step.input == "first_name" and is_question(text)
