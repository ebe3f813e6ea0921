"""Crisis screen: does a message, in any supported language, call for a human now?"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.safety.content import content_dir
from bot.safety.normalise import normalise
from bot.safety.phrases import (
    CATEGORIES,
    Category,
    CompiledPattern,
    PhraseFile,
    compile_pattern,
    load_phrase_files,
    pattern_regex,
)

__all__ = ["CrisisMatch", "Screener", "clear_cache", "load_screener", "normalise", "screen"]

_SEVERITY = {category: rank for rank, category in enumerate(CATEGORIES)}


@dataclass(frozen=True, slots=True)
class CrisisMatch:
    """A crisis phrase found in a message; gentle when it matched only in harmless contexts."""

    category: Category
    phrase_id: str
    language: str
    gentle: bool


class _Dispatch:
    """Regexes grouped by the first character a match can start with, tried at word starts.

    One big alternation would try every phrase at every position; grouping by first
    character tries only the handful that can start with the letter at hand.
    """

    def __init__(self, entries: Iterable[tuple[int, CompiledPattern]]) -> None:
        by_char: dict[str, dict[int, list[str]]] = defaultdict(dict)
        anywhere: dict[int, list[str]] = {}
        for key, pattern in entries:
            buckets = [anywhere] if pattern.starts is None else [by_char[c] for c in pattern.starts]
            for bucket in buckets:
                bucket.setdefault(key, []).append(pattern.regex)
        self._by_char = {c: self._compile(b) for c, b in by_char.items()}
        self._anywhere = self._compile(anywhere) if anywhere else None

    @staticmethod
    def _compile(bucket: dict[int, list[str]]) -> re.Pattern[str]:
        # Keys are in priority order, so the first branch that matches is the one to report.
        return re.compile(
            "|".join(f"(?P<k{key}>{'|'.join(rxs)})" for key, rxs in sorted(bucket.items()))
        )

    def matches(self, norm: str) -> list[tuple[int, int, int]]:
        """Return (key, start, end) for the first-priority match at each word start."""
        found = []
        pos = 0
        for word in norm.split(" "):
            if word:
                for rx in (self._by_char.get(word[0]), self._anywhere):
                    m = rx.match(norm, pos) if rx is not None else None
                    if m is not None and m.lastgroup is not None:
                        found.append((int(m.lastgroup[1:]), m.start(), m.end()))
            pos += len(word) + 1
        return found


class Screener:
    """All languages' phrases compiled once; a message is normalised and scanned once."""

    def __init__(self, files: Iterable[PhraseFile]) -> None:
        """Compile the phrases and exclusions of the given files."""
        self.files = tuple(files)
        # Most urgent category first so that, at one position, the most urgent phrase wins.
        self._phrases = sorted(
            (p for f in self.files for p in f.phrases), key=lambda p: _SEVERITY[p.category]
        )
        self._dispatch = _Dispatch(
            (i, compile_pattern(pattern, phrase.id))
            for i, phrase in enumerate(self._phrases)
            for pattern in phrase.patterns
        )
        self._exclusions = [
            re.compile(pattern_regex(e, f.language)) for f in self.files for e in f.exclusions
        ]

    def _excused(self, norm: str, start: int, end: int) -> bool:
        return any(
            m.start() < end and start < m.end()
            for rx in self._exclusions
            for m in rx.finditer(norm)
        )

    def screen_normalised(self, norm: str) -> CrisisMatch | None:
        """Screen text that has already been through normalise()."""
        found = self._dispatch.matches(norm)
        if not found:
            return None
        # Exclusions lower urgency only when every match sits in a known harmless context.
        strict = [key for key, start, end in found if not self._excused(norm, start, end)]
        gentle = not strict
        phrase = self._phrases[min(strict or [key for key, _, _ in found])]
        return CrisisMatch(phrase.category, phrase.id, phrase.language, gentle)

    def screen(self, text: str) -> CrisisMatch | None:
        """Return the most urgent crisis match in the text, or None."""
        return self.screen_normalised(normalise(text))


@lru_cache(maxsize=8)
def _cached(directory: Path) -> Screener:
    return Screener(load_phrase_files(directory))


def load_screener(content: Path | str | None = None) -> Screener:
    """Return the (cached) screener for a content root's safety/phrases directory."""
    return _cached((content_dir(content) / "safety" / "phrases").resolve())


def screen(text: str, content: Path | str | None = None) -> CrisisMatch | None:
    """Check a message against the crisis phrases of every language."""
    return load_screener(content).screen(text)


def clear_cache() -> None:
    """Forget loaded phrase files (after editing content, or in tests)."""
    _cached.cache_clear()
