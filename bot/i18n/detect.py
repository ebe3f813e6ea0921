"""Which language a young person wrote in, when it is clear (lingua, offline).

Only longer texts are read (three words and twelve letters or more): "ok", "ja" or "hej"
say nothing about a language. The detector knows the languages young people here write
most; Norwegian and Swedish count as Danish (they read it), and the answer is only given
when the detector is sure.
"""

from __future__ import annotations

from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

MIN_WORDS = 3
MIN_LETTERS = 12
# The summed confidence (0-1) the most likely language must reach. Trigram-only detection
# is sure of itself; at 0.9 no Danish test sentence (tests/engine/test_language_offer.py)
# is taken for another language.
MIN_CONFIDENCE = 0.9

_KNOWN = {
    Language.DANISH: "da",
    Language.ENGLISH: "en",
    Language.ARABIC: "ar",
    Language.PERSIAN: "fa",
    Language.POLISH: "pl",
    Language.RUSSIAN: "ru",
    Language.SOMALI: "so",
    Language.TURKISH: "tr",
    Language.UKRAINIAN: "uk",
    Language.GERMAN: "de",
    Language.BOKMAL: "da",
    Language.NYNORSK: "da",
    Language.SWEDISH: "da",
}


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    # Built once. Low accuracy mode reads trigrams only (the full models: 8 s and 450 MB).
    # Models load when first needed, for the languages of the script a text is written in:
    # about 14 MB and 70 ms on the first Latin-script text, where preloading all of them took
    # 18-21 MB whether or not anyone ever wrote Arabic or Cyrillic.
    return LanguageDetectorBuilder.from_languages(*_KNOWN).with_low_accuracy_mode().build()


def warm_up() -> None:
    """Build the detector now (at start-up); its models load on the first long message."""
    _detector()


def long_enough(text: str) -> bool:
    """True when a text is long enough to tell its language."""
    return len(text.split()) >= MIN_WORDS and sum(ch.isalpha() for ch in text) >= MIN_LETTERS


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language ('da' for Scandinavian), or None if unsure."""
    if not long_enough(text):
        return None
    summed: dict[str, float] = {}
    for value in _detector().compute_language_confidence_values(text):
        code = _KNOWN[value.language]
        summed[code] = summed.get(code, 0.0) + value.value
    if not summed:
        return None
    code = max(summed, key=lambda c: summed[c])
    return code if summed[code] >= MIN_CONFIDENCE else None
