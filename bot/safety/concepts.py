"""Crisis concept files: word lists per concept, rules over concepts, words that soften.

The format is described for reviewers in content/safety/README.md. Loading validates every
file and fails with the file, the place and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, cast, get_args

import snowballstemmer
import yaml

from bot.content.yaml_files import load_yaml

Category = Literal[
    "acute_danger",
    "suicide",
    "self_harm",
    "abuse",
    "violence",
    "forced_marriage",
    "homelessness",
    "distress",
]
CATEGORIES: Final[tuple[Category, ...]] = get_args(Category)
"""Every category, most urgent first. `distress` is for gentle rules only."""

SOFTENERS: Final = ("negation", "reported", "play", "past", "affirm")
"""Kinds of softening words; `affirm` phrases ("ikke for sjov") cancel a negation or play."""
DEFAULT_WINDOW: Final = 6
NEGATION_REACH: Final = 2
NEGATION_BEFORE: Final = 4


class ConceptFileError(ValueError):
    """A concept file breaks the format described in content/safety/README.md."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A crisis (or gentle) reading: every concept of `concepts` within `window` words."""

    id: str
    category: Category
    concepts: tuple[str, ...]
    window: int
    gentle: bool
    language: str
    unless: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConceptFile:
    """The concepts, rules and softening words of one language."""

    language: str
    reviewed: bool
    stemmer: str | None
    concepts: dict[str, tuple[str, ...]]
    rules: tuple[Rule, ...]
    soften: dict[str, tuple[str, ...]]
    negation_after: int = NEGATION_REACH


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise ConceptFileError(message)


def _entries(value: Any, where: str) -> tuple[str, ...]:
    _require(isinstance(value, list) and bool(value), f"{where}: expected a list of words")
    entries = []
    for item in cast(list[Any], value):
        _require(
            isinstance(item, str | int) and str(item).strip() != "",
            f"{where}: empty or non-text entry {item!r}",
        )
        text = str(item).strip()
        _require(
            "*" not in text.rstrip("*") and not text.startswith("*"),
            f"{where}: '*' may only end an entry: {text!r}",
        )
        _require(
            not text.endswith("*") or len(text.split()[-1]) >= 4,
            f"{where}: a word ending in '*' needs at least 3 letters: {text!r}",
        )
        entries.append(text)
    return tuple(entries)


def _rule(
    raw: Any, where: str, language: str, concepts: dict[str, tuple[str, ...]], gentle_default: bool
) -> Rule:
    _require(isinstance(raw, dict), f"{where}: must be a mapping")
    rid = raw.get("id")
    _require(isinstance(rid, str) and bool(rid), f"{where}: 'id' is required")
    category = raw.get("category", "distress" if gentle_default else None)
    _require(category in CATEGORIES, f"{where} ({rid}): category must be one of {CATEGORIES}")
    names = raw.get("all")
    _require(
        isinstance(names, list) and bool(names) and all(isinstance(n, str) for n in names),
        f"{where} ({rid}): 'all' must list one or more concepts",
    )
    for name in names:
        _require(name in concepts, f"{where} ({rid}): unknown concept {name!r}")
    window = raw.get("window", DEFAULT_WINDOW)
    _require(
        isinstance(window, int) and not isinstance(window, bool) and window >= len(names),
        f"{where} ({rid}): window must be a whole number of at least {len(names)}",
    )
    unless = raw.get("unless") or []
    _require(
        isinstance(unless, list) and all(n in concepts for n in unless),
        f"{where} ({rid}): 'unless' must list known concepts",
    )
    gentle = raw.get("gentle", gentle_default)
    _require(isinstance(gentle, bool), f"{where} ({rid}): gentle must be true or false")
    _require(
        category != "distress" or gentle,
        f"{where} ({rid}): category distress is only for gentle rules",
    )
    return Rule(
        rid, cast(Category, category), tuple(names), window, gentle, language, tuple(unless)
    )


def parse_concept_file(data: Any, source: str) -> ConceptFile:
    """Validate the parsed YAML of one concept file."""
    _require(isinstance(data, dict), f"{source}: top level must be a mapping")
    language = data.get("language")
    _require(isinstance(language, str) and bool(language), f"{source}: 'language' is required")
    reviewed = data.get("reviewed")
    _require(isinstance(reviewed, bool), f"{source}: 'reviewed' must be true or false")
    stemmer = data.get("stemmer")
    _require(
        stemmer is None or stemmer in snowballstemmer.algorithms(),
        f"{source}: stemmer must be empty or one of {snowballstemmer.algorithms()}",
    )
    raw_concepts = data.get("concepts")
    _require(isinstance(raw_concepts, dict) and bool(raw_concepts), f"{source}: no 'concepts'")
    concepts = {
        str(name): _entries(words, f"{source}: concept {name}")
        for name, words in cast(dict[str, Any], raw_concepts).items()
    }
    rules: list[Rule] = []
    seen: set[str] = set()
    for key, gentle in (("rules", False), ("gentle_rules", True)):
        raw_rules = data.get(key) or []
        _require(isinstance(raw_rules, list), f"{source}: '{key}' must be a list")
        for i, raw in enumerate(cast(list[Any], raw_rules)):
            rule = _rule(raw, f"{source}: {key} #{i + 1}", str(language), concepts, gentle)
            _require(rule.id not in seen, f"{source}: duplicate rule id {rule.id!r}")
            seen.add(rule.id)
            rules.append(rule)
    _require(bool(rules), f"{source}: no rules")
    raw_soften = data.get("soften") or {}
    _require(
        isinstance(raw_soften, dict) and set(raw_soften) <= set(SOFTENERS),
        f"{source}: 'soften' may hold only {SOFTENERS}",
    )
    soften = {
        name: _entries(words, f"{source}: soften {name}")
        for name, words in cast(dict[str, Any], raw_soften).items()
    }
    # Danish and English negate after the verb ("slår mig ikke"); Slavic languages and
    # Arabic before it, so a negation after a match belongs to the next clause there.
    after = data.get("negation_after", NEGATION_REACH)
    _require(
        isinstance(after, int) and not isinstance(after, bool) and 0 <= after <= 5,
        f"{source}: negation_after must be a whole number from 0 to 5",
    )
    return ConceptFile(
        str(language), bool(reviewed), stemmer, concepts, tuple(rules), soften, after
    )


def load_concept_files(directory: Path) -> tuple[ConceptFile, ...]:
    """Load every *.yaml concept file in a directory, sorted by file name."""
    paths = sorted(directory.glob("*.yaml"))
    _require(bool(paths), f"no concept files in {directory}")
    files = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            try:
                data = load_yaml(fh)
            except yaml.YAMLError as exc:
                raise ConceptFileError(f"{path.name}: not valid YAML: {exc}") from exc
        files.append(parse_concept_file(data, path.name))
    languages = [f.language for f in files]
    _require(
        len(languages) == len(set(languages)), f"two concept files for one language: {languages}"
    )
    return tuple(files)
