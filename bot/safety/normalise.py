"""Text normalisation shared by crisis phrases and incoming messages."""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD cannot take apart. Danish letters are folded to their most common
# keyboard-less spelling so "dø", "doe" and "do" meet; the digraphs are folded below.
_LETTERS = str.maketrans(
    {
        "æ": "e",
        "ø": "o",
        "å": "a",
        "ł": "l",
        "ı": "i",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "œ": "o",
        # Arabic and Persian keyboards produce different code points for the same letter.
        "ى": "ي",
        "ی": "ي",
        "ې": "ي",
        "ک": "ك",
        "ة": "ه",
        "ۀ": "ه",
        "ـ": None,  # tatweel only stretches a word
        "\u200c": None,  # ZWNJ inside Persian words; spelling with or without it is common
        "\u200d": None,
        # Apostrophes join: "don't" -> "dont", "ik'" -> "ik", "вб'ю" -> "вбю".
        "'": None,
        "’": None,
        "‘": None,
        "`": None,
        "´": None,
        "ʼ": None,
        "′": None,
    }
)

# "ae"/"oe" are the official spellings of æ/ø without a Danish keyboard.
_DIGRAPHS = re.compile(r"ae|oe")
_DIGRAPH_MAP = {"ae": "e", "oe": "o"}
# Repeated letters shout ("dooooo") or mistype ("ikk"); one of each is enough to match.
# Digits are left alone so "112" stays "112".
_REPEATS = re.compile(r"([^\W\d_])\1+")
_NON_WORD = re.compile(r"[\W_]+")
# "s e l v m o r d": runs of three or more one-letter tokens are joined.
_SPACED = re.compile(r"(?<!\S)[^\W\d_](?: [^\W\d_]){2,}(?!\S)")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise(text: str) -> str:
    """Fold case, accents, Danish spellings, repeats and punctuation for phrase matching."""
    folded = text.casefold().translate(_LETTERS)
    if not folded.isascii():
        folded = _strip_marks(folded).translate(_LETTERS)
    folded = _REPEATS.sub(r"\1", folded)
    folded = _DIGRAPHS.sub(lambda m: _DIGRAPH_MAP[m.group()], folded)
    folded = _REPEATS.sub(r"\1", folded)
    words = _NON_WORD.sub(" ", folded).strip()
    return _SPACED.sub(lambda m: m.group().replace(" ", ""), words)
