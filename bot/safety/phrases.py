"""Load crisis phrase files and turn their plain-text patterns into regular expressions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from bot.safety.normalise import normalise

Category = Literal["suicide", "self_harm", "violence", "abuse", "acute_danger"]
CATEGORIES: tuple[Category, ...] = ("acute_danger", "suicide", "self_harm", "abuse", "violence")
"""All categories, most urgent first; used to pick one when a message matches several."""


class PhraseFileError(ValueError):
    """A phrase file breaks the format described in content/safety/README.md."""


@dataclass(frozen=True, slots=True)
class Phrase:
    """One crisis phrase: its id, category, language and authored patterns."""

    id: str
    category: Category
    language: str
    patterns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PhraseFile:
    """The phrases and exclusions of one language file."""

    language: str
    reviewed: bool
    phrases: tuple[Phrase, ...]
    exclusions: tuple[str, ...]


# First characters a piece of pattern can start with; None means "any word".
Starts = frozenset[str] | None


def _union(a: Starts, b: Starts) -> Starts:
    return None if a is None or b is None else a | b


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    """A pattern as a regex over normalised text, plus the characters a match can start with."""

    regex: str
    starts: Starts


def _word(word: str, where: str) -> tuple[str, Starts]:
    # One authored word: "a/b" alternatives, "end*" endings, "*" any one word.
    alternatives = []
    starts: Starts = frozenset()
    for alt in word.split("/"):
        if alt == "*":
            alternatives.append(r"\w+")
            starts = None
            continue
        stem, star = (alt[:-1], True) if alt.endswith("*") else (alt, False)
        if "*" in stem:
            raise PhraseFileError(f"{where}: '*' may only end a word: {word!r}")
        norm = normalise(stem)
        if not norm:
            raise PhraseFileError(f"{where}: empty word in {word!r}")
        alternatives.append(re.escape(norm) + (r"\w*" if star else ""))
        starts = _union(starts, frozenset(norm[0]))
    rx = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    return rx, starts


def _group(inner: str, where: str) -> tuple[str, Starts]:
    # Inside [...] or (...), "/" separates whole alternatives of one or more words.
    alternatives = []
    starts: Starts = frozenset()
    for alt in inner.split("/"):
        words = [_word(w, where) for w in alt.split()]
        if not words:
            raise PhraseFileError(f"{where}: empty alternative in ({inner})")
        alternatives.append(" ".join(rx for rx, _ in words))
        starts = _union(starts, words[0][1])
    rx = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    return rx, starts


_TOKEN = re.compile(r"\[[^\[\]()]*\]|\([^\[\]()]*\)|[^\s\[\]()]+|\S")
_CLOSING = {"[": "]", "(": ")"}


def compile_pattern(pattern: str, where: str = "pattern") -> CompiledPattern:
    """Translate one authored pattern into a regular expression over normalised text."""
    parts: list[tuple[str, Starts, bool]] = []
    for token in _TOKEN.findall(pattern):
        if token[0] in _CLOSING and len(token) > 1 and token[-1] == _CLOSING[token[0]]:
            parts.append((*_group(token[1:-1], where), token[0] == "["))
        elif any(c in token for c in "[]()"):
            raise PhraseFileError(f"{where}: unmatched bracket in {pattern!r}")
        else:
            parts.append((*_word(token, where), False))
    if not parts or all(opt for _, _, opt in parts):
        raise PhraseFileError(f"{where}: pattern needs at least one required word: {pattern!r}")
    # Separators go on the optional side so a missing word leaves exactly one space.
    first_required = next(i for i, (_, _, opt) in enumerate(parts) if not opt)
    body = "".join(f"(?:{rx} )?" for rx, _, _ in parts[:first_required])
    body += parts[first_required][0]
    for rx, _, opt in parts[first_required + 1 :]:
        body += f"(?: {rx})?" if opt else f" {rx}"
    starts: Starts = frozenset()
    for _, part_starts, _ in parts[: first_required + 1]:
        starts = _union(starts, part_starts)
    return CompiledPattern(rf"(?<!\w){body}(?!\w)", starts)


def pattern_regex(pattern: str, where: str = "pattern") -> str:
    """Return just the regular expression of compile_pattern()."""
    return compile_pattern(pattern, where).regex


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise PhraseFileError(message)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    _require(
        isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value),
        f"{where}: expected a list of non-empty texts",
    )
    return tuple(v.strip() for v in cast(list[str], value))


def parse_phrase_file(data: Any, source: str) -> PhraseFile:
    """Validate the parsed YAML of one phrase file and return it as a PhraseFile."""
    _require(isinstance(data, dict), f"{source}: top level must be a mapping")
    language = data.get("language")
    _require(isinstance(language, str) and bool(language), f"{source}: 'language' is required")
    reviewed = data.get("reviewed")
    _require(isinstance(reviewed, bool), f"{source}: 'reviewed' must be true or false")
    raw_phrases = data.get("phrases")
    _require(isinstance(raw_phrases, list) and bool(raw_phrases), f"{source}: no 'phrases'")
    phrases: list[Phrase] = []
    seen: set[str] = set()
    for i, raw in enumerate(cast(list[Any], raw_phrases)):
        where = f"{source}: phrase #{i + 1}"
        _require(isinstance(raw, dict), f"{where}: must be a mapping")
        pid = raw.get("id")
        _require(isinstance(pid, str) and bool(pid), f"{where}: 'id' is required")
        _require(pid not in seen, f"{where}: duplicate id {pid!r}")
        seen.add(pid)
        category = raw.get("category")
        _require(category in CATEGORIES, f"{where}: category must be one of {CATEGORIES}")
        patterns = _strings(raw.get("patterns"), f"{where} ({pid}) patterns")
        for p in patterns:
            pattern_regex(p, f"{where} ({pid})")  # fail early, at load time
        phrases.append(Phrase(pid, cast(Category, category), str(language), patterns))
    exclusions = _strings(data.get("exclusions") or [], f"{source}: exclusions")
    for e in exclusions:
        pattern_regex(e, f"{source}: exclusion")
    return PhraseFile(str(language), bool(reviewed), tuple(phrases), exclusions)


def load_phrase_files(directory: Path) -> tuple[PhraseFile, ...]:
    """Load every *.yaml phrase file in a directory, sorted by file name."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise PhraseFileError(f"no phrase files in {directory}")
    loaded = []
    for path in files:
        with path.open(encoding="utf-8") as fh:
            loaded.append(parse_phrase_file(yaml.safe_load(fh), path.name))
    return tuple(loaded)
