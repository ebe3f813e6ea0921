"""The crisis screen's words: folding, stemming and the index of every concept's words.

A message's words are folded (case, accents, æøå spellings, repeated letters) and stemmed
with each language's Snowball stemmer; the vocabulary finds which concepts they are, exactly,
by stem, by a written prefix ("selvmord*") or within a small edit distance (misspellings).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.safety.normalise import normalise

# Clause boundaries: a negation does not reach across them.
_CLAUSES = re.compile(
    r"[.!?;,:\n]+|\s(?:men|but|ama|але|но|lakin|لكن|اما|laakiin|ale)\s", re.IGNORECASE
)
# A concept entry "#number" stands for any number written in digits ("tog 20 piller").
NUMBER = "#number"


@dataclass(frozen=True, slots=True)
class Word:
    folded: str
    stem: str
    prefix: bool
    stemmer: str | None
    fuzzy: bool


@dataclass(frozen=True, slots=True)
class Term:
    concept: str
    words: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Token:
    folded: str
    clause: int


# Words shorter than this are compared only as whole words: Danish "fare" (danger) and
# "far" (father) share the stem "far".
_MIN_STEM = 4
# Short words are too often other words one letter away ("igen" and "ingen").
_MIN_FUZZY = 6


def _allowed_distance(length: int) -> int:
    # Misspellings: none for short words ("dø" and "dør" differ, and "gemmer" folds to
    # "gemer", one letter from "gever"), one from 6 letters, two from 9.
    return 0 if length < 6 else 1 if length < 9 else 2


@lru_cache(maxsize=16)
def _stemmer(name: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(name)


@lru_cache(maxsize=65536)
def _stem(name: str | None, folded: str) -> str:
    return _stemmer(name).stemWord(folded) if name else folded


K = TypeVar("K")
V = TypeVar("V")


def _compact(index: dict[K, list[V]]) -> dict[K, Collection[V]]:
    """Each key's members as a set, in the order they were added, or a 1-tuple for one.

    Thousands of words have one entry: a 1-tuple takes 48 bytes, a set 216. A set made from
    the list is the set that adding them one by one makes, so it is read in the same order;
    and one member is read alike from a tuple and a set. Every reading is unchanged.
    """
    compact: dict[K, Collection[V]] = {}
    for key, added in index.items():
        members = set(added)
        compact[key] = tuple(members) if len(members) == 1 else members
    return compact


# Spellings of one word that folding does not bring together: Danish "ik"/"ikk" for "ikke".
_SAME_WORD = {"ik": "ike"}
# Emoji carry tone that folding would drop: laughing faces make a message play.
_EMOJI_WORDS = str.maketrans({"😂": " haha ", "🤣": " haha ", "😆": " haha ", "😹": " haha "})


def fold_words(text: str) -> list[str]:
    """The folded words of a text, as both messages and concept entries are compared."""
    return [_SAME_WORD.get(word, word) for word in normalise(text).split()]


def tokenise(text: str) -> list[Token]:
    """Folded words of a message, each with the number of its clause."""
    tokens = []
    for clause, part in enumerate(_CLAUSES.split(f" {text.translate(_EMOJI_WORDS)} ")):
        tokens += [Token(word, clause) for word in fold_words(part)]
    return tokens


class Vocabulary:
    """Words of concepts, indexed for exact, stem, prefix and fuzzy look-up."""

    def __init__(self, entries: Iterable[tuple[str, str, str | None, bool]]) -> None:
        """Index (concept, entry, stemmer, fuzzy) entries; an entry is one or more words."""
        self.words: list[Word] = []
        self.terms: list[Term] = []
        index: dict[Word, int] = {}

        def word_id(text: str, stemmer: str | None, fuzzy: bool) -> int:
            if text == NUMBER:
                word = Word(NUMBER, NUMBER, False, None, False)
            else:
                prefix = text.endswith("*")
                folded = "".join(fold_words(text.rstrip("*")))
                stem = folded if prefix else _stem(stemmer, folded)
                word = Word(folded, stem, prefix, stemmer, fuzzy)
            if word not in index:
                index[word] = len(self.words)
                self.words.append(word)
            return index[word]

        for concept, entry, stemmer, misspellable in entries:
            ids = tuple(word_id(part, stemmer, misspellable) for part in entry.split())
            self.terms.append(Term(concept, ids))
        exact: dict[str, list[int]] = {}
        by_stem: dict[tuple[str | None, str], list[int]] = {}
        self._prefixes: list[tuple[str, int]] = []
        fuzzy: list[tuple[str, int]] = []
        self._number = index.get(Word(NUMBER, NUMBER, False, None, False))
        for i, w in enumerate(self.words):
            if w.folded == NUMBER:
                continue
            if w.prefix:
                self._prefixes.append((w.folded, i))
                continue
            exact.setdefault(w.folded, []).append(i)
            # A short stem stands only for a short word: "tidligere" must not become "tid".
            if len(w.folded) >= _MIN_STEM and (len(w.stem) >= _MIN_STEM or len(w.folded) <= 5):
                by_stem.setdefault((w.stemmer, w.stem), []).append(i)
            if w.fuzzy and _allowed_distance(len(w.folded)):
                fuzzy.append((w.folded, i))
        self._fuzzy_text = [text for text, _ in fuzzy]
        self._fuzzy_ids = [i for _, i in fuzzy]
        self._stemmers = {w.stemmer for w in self.words}
        self._cache: dict[str, frozenset[int]] = {}
        # Terms by their first word (or two), so a message is read once, not once per term.
        one_word: dict[int, list[str]] = {}
        two_words: dict[tuple[int, int], list[Term]] = {}
        for t in self.terms:
            if len(t.words) == 1:
                one_word.setdefault(t.words[0], []).append(t.concept)
            else:
                two_words.setdefault((t.words[0], t.words[1]), []).append(t)
        self._one_word = _compact(one_word)
        self._two_words = {pair: tuple(terms) for pair, terms in two_words.items()}
        self._exact = _compact(exact)
        self._by_stem = _compact(by_stem)
        # The concept words' stems were cached while building; messages fill it again.
        _stem.cache_clear()

    def matching(self, token: str) -> frozenset[int]:
        """Ids of the concept words this folded token stands for."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        found = set(self._exact.get(token, ()))
        if self._number is not None and token.isdigit():
            found.add(self._number)
        if len(token) >= _MIN_STEM:
            for stemmer in self._stemmers:
                found.update(self._by_stem.get((stemmer, _stem(stemmer, token)), ()))
        found.update(i for prefix, i in self._prefixes if token.startswith(prefix))
        if len(token) >= _MIN_FUZZY:
            for _text, distance, at in process.extract(
                token,
                self._fuzzy_text,
                scorer=Levenshtein.distance,
                score_cutoff=2,
                limit=None,
            ):
                word = self.words[self._fuzzy_ids[at]]
                # The first letter is rarely the one mistyped; requiring it keeps "græde"
                # from meeting "dræbe".
                if distance <= _allowed_distance(len(word.folded)) and token[0] == word.folded[0]:
                    found.add(self._fuzzy_ids[at])
        result = frozenset(found)
        if len(self._cache) < 100_000:
            self._cache[token] = result
        return result

    def hits(self, tokens: list[Token]) -> dict[str, list[tuple[int, int]]]:
        """Where each concept occurs: (first, last) token positions."""
        matched = [self.matching(t.folded) for t in tokens]
        found: dict[str, set[tuple[int, int]]] = {}
        last = len(tokens) - 1
        for start, ids in enumerate(matched):
            for word in ids:
                for concept in self._one_word.get(word, ()):
                    found.setdefault(concept, set()).add((start, start))
                if start == last:
                    continue
                for second in matched[start + 1]:
                    for t in self._two_words.get((word, second), ()):
                        n = len(t.words)
                        if start + n <= len(tokens) and all(
                            t.words[j] in matched[start + j] for j in range(2, n)
                        ):
                            found.setdefault(t.concept, set()).add((start, start + n - 1))
        return {concept: sorted(spans) for concept, spans in found.items()}
