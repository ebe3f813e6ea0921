"""The young person's preferences: their language, and whether we may write at all (STOP).

When a young person writes in a language we have texts for, other than their own, the
engine asks once, in that language: "Do you want to write in English?" (settings.offer).
For a language without texts (Arabic, Ukrainian, …) it offers English, with one sentence in
Danish. "Ja"/"Yes" switches; "Nej"/"No" keeps the language. Either way the young person goes
on where they were, or where their message asked to go, and is never asked about that
language again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from babel import Locale

from bot.content.flows import MENU
from bot.content.texts import system_text
from bot.conversation.registry import ConversationPlugin
from bot.conversation.turn import Option
from bot.i18n import LANGUAGES, SOURCE_LANGUAGE, native_name
from bot.i18n.detect import detect_language
from channels.base import Choice

if TYPE_CHECKING:
    from bot.content.flows import Step
    from bot.conversation.turn import Steps, Turn

OFFER_STEP = "settings.offer"
# Offered when the young person writes in a language we have no texts for.
FALLBACK = "en"
# Conversation data: the offer waiting for an answer, and every language offered so far.
PENDING = "language_offer"
OFFERED = "languages_offered"

plugin = ConversationPlugin("preferences")


def language_name(code: str, in_language: str) -> str:
    """A language's name in another ('en' in 'da' -> 'engelsk')."""
    return Locale.parse(code).get_display_name(in_language) or code


def offer_for(turn: Turn, detected: str | None) -> str | None:
    """The language to offer a young person who wrote in `detected`, if any."""
    if detected is None:
        return None
    code = detected if detected in LANGUAGES else FALLBACK
    if code == turn.lang or code in turn.state.data.get(OFFERED, []):
        return None
    return code


def remember_offer(turn: Turn, code: str, *, detected: str, after: str) -> None:
    """Keep what is offered and where to go on; it is offered only this once."""
    data = dict(turn.state.data)
    data[PENDING] = {"code": code, "detected": detected, "after": after}
    data[OFFERED] = [*data.get(OFFERED, []), code]
    turn.state.data = data


def _pending(turn: Turn) -> dict[str, Any]:
    pending = turn.state.data.get(PENDING)
    if isinstance(pending, dict) and pending.get("code") in LANGUAGES:
        return pending
    other = FALLBACK if turn.lang != FALLBACK else SOURCE_LANGUAGE
    return {"code": other, "detected": other, "after": MENU}


def _forget(turn: Turn) -> None:
    data = dict(turn.state.data)
    data.pop(PENDING, None)
    turn.state.data = data


@plugin.view("language_offer")
async def show_offer(turn: Turn) -> str:
    """'Vil du skrive på dansk?' / 'Do you want to write in English?', in that language."""
    pending = _pending(turn)
    code = str(pending["code"])
    if pending.get("detected") in LANGUAGES:
        return system_text("language_offer", code, language_name=language_name(code, code))
    # We cannot write their language: English, and the same question in Danish.
    return "\n".join(
        [
            system_text("language_offer_other", code),
            system_text(
                "language_offer",
                SOURCE_LANGUAGE,
                language_name=language_name(code, SOURCE_LANGUAGE),
            ),
        ]
    )


@plugin.choice_source("language_offer")
async def offer_choices(turn: Turn) -> list[Option]:
    """Yes and No, in the offered language; both go on where the young person was."""
    pending = _pending(turn)
    code, after = str(pending["code"]), str(pending.get("after") or MENU)
    return [
        Option(
            Choice("yes", system_text("yes_choice", code)), goto=after, do=f"language_accept:{code}"
        ),
        Option(Choice("no", system_text("no_choice", code)), goto=after, do="language_decline"),
    ]


@plugin.action("language_accept")
async def accept(turn: Turn, code: str) -> None:
    """'Ja'/'Yes': write to them in that language from now on, and say so in it."""
    _forget(turn)
    if code in LANGUAGES:
        turn.person.language = code
        turn.say(system_text("language_switched", code, language_name=language_name(code, code)))


@plugin.action("language_decline")
async def decline(turn: Turn, _argument: str) -> None:
    """'Nej'/'No': keep the language; the offer is remembered and not made again."""
    _forget(turn)


def stop(turn: Turn, *, answered: bool = False) -> None:
    """Opt the channel out; say so unless the provider already answered the STOP."""
    turn.identity.opted_out_at = turn.now
    if not answered:
        turn.say(system_text("stopped", turn.lang))
        turn.flush(bypass_opt_out=True)


@plugin.action("opt_out")
async def opt_out(turn: Turn, _argument: str) -> None:
    """The same as the keyword STOP, after the young person said yes to stopping."""
    stop(turn)


@plugin.guard("opt_out")
async def keep_opt_out(turn: Turn, steps: Steps) -> bool:
    """STOP, START and an opted-out channel; keywords the provider already answered.

    The provider (Twilio's Advanced Opt-Out) may have answered STOP/START/HELP itself,
    perhaps for a word we do not list: keep our records in step, but never answer twice.
    """
    answered = turn.inbound.provider_answered
    if turn.identity.opted_out_at is not None:
        if turn.keyword in ("start", "start_when_stopped"):
            turn.identity.opted_out_at = None
            if answered == "start":
                turn.state.flow, turn.state.step = "menu", "main"
                return True
            turn.say(system_text("restarted", turn.lang))
            await steps.enter(turn, MENU)
        return True
    if turn.keyword == "stop":
        stop(turn, answered=answered == "stop")
        return True
    return answered is not None


@plugin.redirect("language_offer")
def offer_language(turn: Turn, step: Step, ref: str, intended: str | None) -> str | None:
    """Written in another language we have texts for (or one we have none for): offer that
    language (or English) once; after the answer, go on where the message asked to go."""
    if step.input == "first_name" or step.choices_from == "languages" or ref == OFFER_STEP:
        return None
    detected = detect_language(turn.text)
    code = offer_for(turn, detected)
    if code is None or detected is None:
        return None
    remember_offer(turn, code, detected=detected, after=intended or ref)
    return OFFER_STEP


@plugin.choice_source("languages")
async def every_language(turn: Turn) -> list[Option]:
    """Every language a young person can choose, named in itself."""
    return [
        Option(Choice(code, native_name(code)), do=f"set_language:{code}") for code in LANGUAGES
    ]


@plugin.action("set_language")
async def set_language(turn: Turn, code: str) -> None:
    """The language the young person chose from the list."""
    if code in LANGUAGES:
        turn.person.language = code
