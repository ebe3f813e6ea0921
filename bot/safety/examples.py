"""Labelled example messages, and which of them a new message most resembles.

The concept files catch the ways of writing that a reviewer thought of. Young people write
in many more. The example files (content/safety/examples/<language>.yaml) hold real-sounding
messages, each labelled crisis (with its category), gentle or none. A message is compared
with every example by the pieces of words they share (three to five letters, after the same
folding the concept files get) and the word pairs they share, each weighted by how rare it
is among the examples (TF-IDF, cosine similarity). The answer is the most similar crisis
example and the most similar other example, so a result can always be explained as
"this message resembles that one". No model is trained: adding a reviewed example to a
file is the whole of learning.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, cast

import numpy
import yaml

from bot.content.yaml_files import load_yaml
from bot.safety.concepts import CATEGORIES, Category, ConceptFileError
from bot.safety.example_index import ExampleIndex, FeatureTable, id_type, texts_array
from bot.safety.normalise import normalise

Label = Literal["crisis", "gentle", "none"]
LABELS: Final[tuple[Label, ...]] = ("crisis", "gentle", "none")
_GRAM_SIZES: Final = (3, 4, 5)
EVIDENCE_RATIO: Final = 3.0
EVIDENCE_LEAST: Final = 3
MIN_WORDS: Final = 3
"""Shorter messages and examples ("hjælp", "min far") resemble too much to be compared."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message: what a young person might write, and what it calls for."""

    text: str
    label: Label
    language: str
    category: Category | None = None


@dataclass(frozen=True, slots=True)
class Resemblance:
    """How similar a message is to one example (cosine, 0 to 1)."""

    similarity: float
    example: Example


@dataclass(frozen=True, slots=True)
class Nearest:
    """The most similar crisis example and the most similar gentle or ordinary one."""

    crisis: Resemblance | None
    other: Resemblance | None

    @property
    def closest(self) -> Resemblance | None:
        """The most similar example of any label."""
        found = [r for r in (self.crisis, self.other) if r is not None]
        return max(found, key=lambda r: r.similarity, default=None)


def features(text: str) -> Counter[str]:
    """Word pieces of three to five letters and neighbouring word pairs of a message."""
    words = normalise(text).split()
    counts: Counter[str] = Counter()
    for word in words:
        padded = f" {word} "
        for size in _GRAM_SIZES:
            counts.update(padded[i : i + size] for i in range(len(padded) - size + 1))
    counts.update(f"{a}+{b}" for a, b in itertools.pairwise(words))
    return counts


class ExampleBank:
    """Every example in one inverted index of weighted features (bot/safety/example_index.py)."""

    def __init__(self, examples: Iterable[Example]) -> None:
        """Build the index of `examples` (those of at least MIN_WORDS words)."""
        self._use(_build(tuple(e for e in examples if len(normalise(e.text).split()) >= MIN_WORDS)))

    @classmethod
    def of_index(cls, index: ExampleIndex) -> ExampleBank:
        """The bank of an index built before (read from the cache)."""
        bank = cls.__new__(cls)
        bank._use(index)
        return bank

    def _use(self, index: ExampleIndex) -> None:
        self.index = index
        self.evidence = index.evidence
        self._count = len(index)
        self._unseen_idf = math.log(self._count + 1)
        self._is_crisis = index.labels == LABELS.index("crisis")

    @property
    def examples(self) -> tuple[Example, ...]:
        """Every example of the bank, in order."""
        return tuple(self.example(i) for i in range(self._count))

    def example(self, index: int) -> Example:
        """One example of the bank."""
        at = self.index
        category = int(at.categories[index])
        return Example(
            at.text(index),
            LABELS[int(at.labels[index])],
            at.language_names[int(at.languages[index])],
            CATEGORIES[category - 1] if category else None,
        )

    def _weigh(self, counts: Counter[str]) -> tuple[list[int], list[float]]:
        """A message's features: their slots (-1: unknown to the examples), and their weights
        as the examples' are weighed (unknown ones as the rarest), in the message's order."""
        slots = self.index.table.slots(list(counts))
        idf = iter(self.index.idf[[slot for slot in slots if slot >= 0]].tolist())
        weights = [
            (1 + math.log(n)) * (next(idf) if slot >= 0 else self._unseen_idf)
            for slot, n in zip(slots, counts.values(), strict=True)
        ]
        norm = math.sqrt(sum(w * w for w in weights)) or 1.0
        return slots, [w / norm for w in weights]

    def nearest(self, text: str) -> Nearest:
        """The most similar crisis example and the most similar other example."""
        starts, ids, postings = self.index.starts, self.index.ids, self.index.weights
        slots, weights = self._weigh(features(text))
        known = [(slot, weight) for slot, weight in zip(slots, weights, strict=True) if slot >= 0]
        if not known:
            return Nearest(None, None)
        at = numpy.array([slot for slot, _ in known])
        firsts, lasts = starts[at], starts[at + 1]
        spans = list(zip(firsts.tolist(), lasts.tolist(), strict=True))
        # Each posting's weight (float32) times its feature's weight, in float64: the same
        # products, in the same order, as one multiplication per feature.
        scale = numpy.repeat(numpy.array([weight for _, weight in known]), lasts - firsts)
        scores = numpy.bincount(
            numpy.concatenate([ids[first:last] for first, last in spans]),
            weights=numpy.concatenate([postings[first:last] for first, last in spans]) * scale,
            minlength=self._count,
        )
        touched = scores > 0
        return Nearest(
            self._best(scores, touched & self._is_crisis),
            self._best(scores, touched & ~self._is_crisis),
        )

    def _best(self, scores: numpy.ndarray, among: numpy.ndarray) -> Resemblance | None:
        """The example with the highest score among `among` (the first, on a tie)."""
        if not among.any():
            return None
        index = int(numpy.flatnonzero(among)[numpy.argmax(scores[among])])
        return Resemblance(float(scores[index]), self.example(index))

    def has_evidence(self, text: str) -> bool:
        """True when the message holds a word far more common in crisis examples."""
        return any(word in self.evidence for word in normalise(text).split())

    def without(self, texts: Iterable[str]) -> ExampleBank:
        """The same bank without examples whose folded text is one of `texts`."""
        left_out = {normalise(t) for t in texts}
        return ExampleBank(e for e in self.examples if normalise(e.text) not in left_out)


def _build(examples: tuple[Example, ...]) -> ExampleIndex:
    """The index of the examples: TF-IDF weights of their features, normalised per example."""
    # Every feature gets a slot as it is first seen; each example is kept as two small
    # arrays (slots, counts) until the weights are known, so the index is built without
    # holding thousands of dictionaries at once.
    slot_of: dict[str, int] = {}
    documents = array("I")
    kept: list[tuple[array[int], array[int]]] = []
    for example in examples:
        counts = features(example.text)
        slots = array("I", (slot_of.setdefault(f, len(slot_of)) for f in counts))
        documents.extend([0] * (len(slot_of) - len(documents)))
        for slot in slots:
            documents[slot] += 1
        kept.append((slots, array("I", counts.values())))
    total = len(examples) + 1
    idf = array("f", (math.log(total / (n + 1)) for n in documents))
    # Postings, compact: a slot's examples and weights lie in two flat arrays from
    # starts[slot] to starts[slot + 1] (a few MB for thousands of examples).
    starts = array("I", [0] * (len(documents) + 1))
    for slot, n in enumerate(documents):
        starts[slot + 1] = starts[slot] + n
    ids = array("I", [0] * starts[-1])
    postings = array("f", [0.0] * starts[-1])
    filled = array("I", starts[:-1])
    for index, (slots, times) in enumerate(kept):
        weights = [(1 + math.log(n)) * idf[slot] for slot, n in zip(slots, times, strict=True)]
        norm = math.sqrt(sum(w * w for w in weights)) or 1.0
        for slot, weight in zip(slots, weights, strict=True):
            at = filled[slot]
            ids[at], postings[at] = index, weight / norm
            filled[slot] = at + 1
    languages = tuple(dict.fromkeys(e.language for e in examples))
    text_starts, texts = texts_array([e.text for e in examples])
    return ExampleIndex(
        table=FeatureTable.of(list(slot_of)),
        idf=numpy.frombuffer(idf, dtype=numpy.float32).copy(),
        starts=numpy.frombuffer(starts, dtype=numpy.uint32).astype(numpy.int64),
        ids=numpy.frombuffer(ids, dtype=numpy.uint32).astype(id_type(len(examples))),
        weights=numpy.frombuffer(postings, dtype=numpy.float32).copy(),
        text_starts=text_starts,
        texts=texts,
        labels=numpy.array([LABELS.index(e.label) for e in examples], dtype=numpy.uint8),
        categories=numpy.array(
            [CATEGORIES.index(e.category) + 1 if e.category else 0 for e in examples],
            dtype=numpy.uint8,
        ),
        languages=numpy.array([languages.index(e.language) for e in examples], dtype=numpy.uint8),
        language_names=languages,
        evidence=_evidence_words(examples),
    )


def _evidence_words(examples: tuple[Example, ...]) -> frozenset[str]:
    """Words far more common in crisis examples than in others ("kniv", "piller", "skar").

    A message that no concept rule reads is compared with the examples only when it holds
    such a word: resembling a crisis example by everyday words alone ("I have not written my
    CV" and "ive written letters to everyone") is not enough.
    """
    crisis: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for example in examples:
        (crisis if example.label == "crisis" else other).update(
            set(normalise(example.text).split())
        )
    n_crisis = max(1, sum(e.label == "crisis" for e in examples))
    n_other = max(1, len(examples) - n_crisis)
    return frozenset(
        word
        for word, n in crisis.items()
        if n >= EVIDENCE_LEAST and n / n_crisis >= EVIDENCE_RATIO * (other[word] + 1) / n_other
    )


def _example(raw: object, language: str, where: str) -> Example:
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or not raw["text"]:
        raise ConceptFileError(f"{where}: an example needs a text")
    label = raw.get("label")
    if label not in LABELS:
        raise ConceptFileError(f"{where}: label must be one of {', '.join(LABELS)}")
    category = raw.get("category")
    if (label == "crisis") != (category is not None):
        raise ConceptFileError(
            f"{where}: a crisis example, and only a crisis example, has a category"
        )
    if category is not None and category not in CATEGORIES:
        raise ConceptFileError(f"{where}: unknown category {category!r}")
    if set(raw) - {"text", "label", "category"}:
        raise ConceptFileError(
            f"{where}: unknown keys {sorted(set(raw) - {'text', 'label', 'category'})}"
        )
    return Example(raw["text"], cast(Label, label), language, cast(Category | None, category))


def load_example_file(path: Path) -> list[Example]:
    """The examples of one file, validated; the file's stem is its language."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConceptFileError(f"{path}: not valid YAML: {exc}") from exc
    raw = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise ConceptFileError(f"{path}: expected a list under 'examples'")
    return [_example(item, path.stem, f"{path}: example {n + 1}") for n, item in enumerate(raw)]


def load_examples(directory: Path) -> list[Example]:
    """Every example file in a directory; none when the directory does not exist."""
    if not directory.is_dir():
        return []
    return [e for path in sorted(directory.glob("*.yaml")) for e in load_example_file(path)]
