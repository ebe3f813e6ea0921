"""The engine's own texts and the global keywords, read from content/."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from bot.content.flows import CONTENT_DIR
from bot.content.yaml_files import load_yaml
from bot.i18n import tr


@lru_cache
def _system() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = load_yaml(
        (CONTENT_DIR / "system.yaml").read_text(encoding="utf-8")
    )
    return data


def system_text(name: str, language: str, **values: Any) -> str:
    """A system text (content/system.yaml) in `language`."""
    entry = _system()[name]
    source = entry.get("text") or entry["label"]
    return tr(language, source, **values)


@lru_cache
def keywords() -> dict[str, frozenset[str]]:
    """Global keyword groups, normalised for matching."""
    data: dict[str, list[str]] = load_yaml(
        (CONTENT_DIR / "keywords.yaml").read_text(encoding="utf-8")
    )
    return {group: frozenset(fold(word) for word in words) for group, words in data.items()}


def fold(text: str) -> str:
    """Lower-case, without accents, punctuation or extra spaces, with æøå spelled out."""
    text = text.casefold().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def keyword_of(text: str) -> str | None:
    """The keyword group a whole message belongs to, if any ('STOP!' -> 'stop')."""
    folded = fold(text)
    for group, words in keywords().items():
        if folded in words:
            return group
    return None
