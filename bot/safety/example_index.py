"""The example bank's index as a few flat arrays: small in memory, and able to live in a file.

Built from the examples (TF-IDF over word pieces and word pairs, bot/safety/examples.py), the
index is: a look-up from each feature to its slot, each slot's weight among the examples
(idf), each slot's postings (which examples hold it, with what weight), and the examples
themselves (text, label, language, category). Every part is a numpy array, so the index can
be written to a directory of `.npy` files once and memory-mapped by every later start
(bot/safety/example_cache.py) instead of built again: the same numbers, not a copy of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy

FORMAT: Final = 1
_META = "meta.json"
_SMALLEST_WIDTH: Final = 16
"""Word pieces (3 to 5 letters) and most word pairs fit 16 bytes: one table for most."""


def _width(size: int) -> int:
    """The byte width of the table that holds features of `size` bytes (a power of two)."""
    return max(_SMALLEST_WIDTH, 1 << (size - 1).bit_length())


_WIDTHS: Final = tuple(_width(size) for size in range(1, 65))


class FeatureTable:
    """Feature to slot, exactly: sorted fixed-width byte strings, one table per width.

    A dictionary of 78,000 short strings takes about 9 MB; these tables about 1.5 MB, mapped
    from the cache (most features are word pieces of three to five letters, in the 16-byte
    table). A message's features are looked up with one binary search per table. Features
    never end in a NUL byte (they are folded words), which fixed-width byte strings could
    not tell from padding.
    """

    def __init__(self, tables: Mapping[int, tuple[numpy.ndarray, numpy.ndarray]]) -> None:
        # width -> (sorted keys as "S<width>", the slot of each key)
        self.tables = dict(tables)

    @classmethod
    def of(cls, features: Sequence[str]) -> FeatureTable:
        """The table of features numbered by their position."""
        by_width: dict[int, list[tuple[bytes, int]]] = {}
        for slot, feature in enumerate(features):
            key = feature.encode()
            by_width.setdefault(_width(len(key)), []).append((key, slot))
        tables = {}
        for width, pairs in by_width.items():
            pairs.sort()
            keys = numpy.array([k for k, _ in pairs], dtype=f"S{width}")
            tables[width] = (keys, numpy.array([s for _, s in pairs], dtype=numpy.uint32))
        return cls(tables)

    def slots(self, features: Sequence[str]) -> list[int]:
        """The slot of each feature, -1 for one the examples do not hold."""
        keys = [feature.encode() for feature in features]
        asked: dict[int, list[int]] = {}
        for at, key in enumerate(keys):
            size = len(key)
            asked.setdefault(_WIDTHS[size - 1] if size <= 64 else _width(size), []).append(at)
        found = [-1] * len(keys)
        for width, positions in asked.items():
            if width not in self.tables:
                continue
            table, slots = self.tables[width]
            wanted = numpy.array([keys[at] for at in positions], dtype=table.dtype)
            where = numpy.searchsorted(table, wanted)
            where[where == len(table)] = 0
            hits = numpy.where(table[where] == wanted, slots[where].astype(numpy.int64), -1)
            for at, slot in zip(positions, hits.tolist(), strict=True):
                found[at] = slot
        return found


@dataclass(frozen=True)
class ExampleIndex:
    """Every array of the bank. Postings of slot s lie in ids/weights[starts[s]:starts[s + 1]]."""

    table: FeatureTable
    idf: numpy.ndarray  # float32 per slot
    starts: numpy.ndarray  # int64 per slot, and one more
    ids: numpy.ndarray  # uint16 or uint32 per posting: the example
    weights: numpy.ndarray  # float32 per posting: the feature's weight in that example
    text_starts: numpy.ndarray  # int64 per example, and one more: its text in `texts`
    texts: numpy.ndarray  # uint8: every example's text, UTF-8, one after the other
    labels: numpy.ndarray  # uint8 per example: its position in LABELS
    categories: numpy.ndarray  # uint8 per example: 0 for none, else 1 + position in CATEGORIES
    languages: numpy.ndarray  # uint8 per example: its position in `language_names`
    language_names: tuple[str, ...]
    evidence: frozenset[str]

    def __len__(self) -> int:
        return len(self.labels)

    def text(self, index: int) -> str:
        """The text of one example."""
        first, last = int(self.text_starts[index]), int(self.text_starts[index + 1])
        return bytes(self.texts[first:last]).decode()

    def _arrays(self) -> dict[str, numpy.ndarray]:
        arrays = {
            "idf": self.idf,
            "starts": self.starts,
            "ids": self.ids,
            "weights": self.weights,
            "text_starts": self.text_starts,
            "texts": self.texts,
            "labels": self.labels,
            "categories": self.categories,
            "languages": self.languages,
        }
        for width, (keys, slots) in self.table.tables.items():
            arrays[f"keys{width}"] = keys
            arrays[f"slots{width}"] = slots
        return arrays

    def write(self, directory: Path) -> None:
        """Store the index as one `.npy` file per array and a small JSON header."""
        directory.mkdir(parents=True, exist_ok=True)
        for name, array in self._arrays().items():
            numpy.save(directory / f"{name}.npy", array, allow_pickle=False)
        meta = {
            "format": FORMAT,
            "widths": sorted(self.table.tables),
            "languages": list(self.language_names),
            "evidence": sorted(self.evidence),
        }
        # The header last: a directory without it was not finished.
        (directory / _META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def read(cls, directory: Path) -> ExampleIndex:
        """The index stored by `write`, its arrays memory-mapped (read only).

        Raises OSError when it cannot be read and ValueError when it is not whole.
        """
        meta = json.loads((directory / _META).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{directory}: format {meta.get('format')}, not {FORMAT}")

        def load(name: str) -> numpy.ndarray:
            # A plain array over the map: slicing a numpy.memmap costs a Python call each.
            mapped = numpy.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            return numpy.asarray(mapped).view(numpy.ndarray)

        tables = {int(w): (load(f"keys{w}"), load(f"slots{w}")) for w in meta["widths"]}
        index = cls(
            table=FeatureTable(tables),
            idf=load("idf"),
            starts=load("starts"),
            ids=load("ids"),
            weights=load("weights"),
            text_starts=load("text_starts"),
            texts=load("texts"),
            labels=load("labels"),
            categories=load("categories"),
            languages=load("languages"),
            language_names=tuple(meta["languages"]),
            evidence=frozenset(meta["evidence"]),
        )
        index.check()
        return index

    def check(self) -> None:
        """Raise ValueError unless the arrays fit together."""
        slots = len(self.idf)
        examples = len(self.labels)
        fits = (
            len(self.starts) == slots + 1
            and int(self.starts[-1]) == len(self.ids) == len(self.weights)
            and sum(len(keys) for keys, _ in self.table.tables.values()) == slots
            and len(self.text_starts) == examples + 1
            and int(self.text_starts[-1]) == len(self.texts)
            and len(self.categories) == len(self.languages) == examples
            and (examples == 0 or int(self.ids.max(initial=0)) < examples)
        )
        if not fits:
            raise ValueError("the example index's arrays do not fit together")


def texts_array(texts: Sequence[str]) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Texts as one UTF-8 byte array and where each starts (and the last ends)."""
    encoded = [t.encode() for t in texts]
    starts = numpy.zeros(len(encoded) + 1, dtype=numpy.int64)
    numpy.cumsum([len(e) for e in encoded], out=starts[1:])
    return starts, numpy.frombuffer(b"".join(encoded), dtype=numpy.uint8).copy()


def id_type(count: int) -> type[numpy.unsignedinteger]:
    """The smallest unsigned integer type that numbers `count` examples."""
    return numpy.uint16 if count <= 1 << 16 else numpy.uint32
