"""Reading free text: global intents, "not (yet)", questions, yes and no.

The words live in content/intents.yaml. Matching is folded (no case, accents, punctuation
or apostrophes) and forgiving: a phrase's words in any order, a typo or an ending allowed
on words of five letters or more.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz.distance import OSA

from bot.content.flows import CONTENT_DIR
from bot.content.texts import fold
from bot.content.yaml_files import load_yaml

# A phrase still matches with this many more words around it; `tight`: where a step asks
# for free text, so an answer that mentions a phrase stays an answer.
EXTRA_WORDS = 6
EXTRA_WORDS_TIGHT = 2
# Shorter words must be spelled exactly ("nu", "er", "plan", "stop").
FORGIVING_FROM = 5


class IntentSpec(BaseModel):
    """One intent as written in content: where it leads and how people say it."""

    model_config = ConfigDict(extra="forbid")

    goto: str
    unless_negated: bool = False
    phrases: list[str] = Field(min_length=1)


class Reading(BaseModel):
    """content/intents.yaml."""

    model_config = ConfigDict(extra="forbid")

    intents: dict[str, IntentSpec]
    not_done: list[str] = Field(min_length=1)
    question_starts: list[str] = Field(min_length=1)
    answers: dict[str, list[str]] = {}


@dataclass(frozen=True)
class Intent:
    """A matched intent."""

    name: str
    goto: str


def words(text: str) -> list[str]:
    """The folded words of a message; apostrophes join ("haven't" -> "havent")."""
    return fold(text.replace("'", "").replace("’", "").replace("´", "")).split()


@lru_cache
def reading(path: Path = CONTENT_DIR / "intents.yaml") -> Reading:
    """The shipped reading rules (loaded once)."""
    return Reading.model_validate(load_yaml(path.read_text(encoding="utf-8")))


@lru_cache
def _phrases() -> list[tuple[str, tuple[str, ...]]]:
    return [
        (name, tuple(words(phrase)))
        for name, spec in reading().intents.items()
        for phrase in spec.phrases
    ]


@lru_cache
def _not_done() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(words(phrase)) for phrase in reading().not_done)


@lru_cache
def _question_starts() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(words(phrase)) for phrase in reading().question_starts)


@lru_cache
def _answers() -> dict[str, str]:
    return {
        " ".join(words(said)): key for key, saying in reading().answers.items() for said in saying
    }


def intent_of(text: str, *, tight: bool = False) -> Intent | None:
    """The global intent a message asks for ('hvornår er mit møde?' -> plan.appointment)."""
    said = words(text)
    if not said:
        return None
    extra = EXTRA_WORDS_TIGHT if tight else EXTRA_WORDS
    best: tuple[int, str] | None = None
    for name, phrase in _phrases():
        if len(said) > len(phrase) + extra or not _contains(said, phrase):
            continue
        if best is None or len(phrase) > best[0]:
            best = (len(phrase), name)
    if best is None:
        return None
    spec = reading().intents[best[1]]
    if spec.unless_negated and is_negated(text):
        return None
    return Intent(best[1], spec.goto)


def is_negated(text: str) -> bool:
    """True when the message says not, not yet, never ('jeg har ikk søgt', "haven't")."""
    said = words(text)
    return any(_has_run(said, phrase) for phrase in _not_done())


def is_question(text: str) -> bool:
    """True for a question: it ends in '?' or starts like one ('hvornår …', 'can I …')."""
    if text.strip().endswith(("?", "؟")):
        return True
    said = words(text)
    return any(tuple(said[: len(start)]) == start for start in _question_starts())


def answer_of(text: str) -> str | None:
    """'yes' or 'no' for the ways of saying it ('ja tak', 'nope'), else None."""
    return _answers().get(" ".join(words(text)))


def _contains(said: list[str], phrase: tuple[str, ...]) -> bool:
    return all(any(_close(word, wanted) for word in said) for wanted in phrase)


def _has_run(said: list[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tuple(said[i : i + size]) == phrase for i in range(len(said) - size + 1))


def _close(word: str, wanted: str) -> bool:
    if word == wanted:
        return True
    if len(wanted) < FORGIVING_FROM or len(word) < FORGIVING_FROM - 1:
        return False
    # An ending: 'moedet' for 'moede', 'kontaktpersonen' for 'kontaktperson'.
    if word.startswith(wanted) and len(word) - len(wanted) <= 3:
        return True
    # One letter added, dropped or changed, or two neighbours swapped.
    return OSA.distance(word, wanted, score_cutoff=1) <= 1
