"""How long an SMS is: GSM 03.38 septets or UCS-2 code units, and how many segments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from channels.rendering import Fits, shorten

# GSM 03.38 default alphabet (the escape 0x1B is left out: it is not a character).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs an escape septet plus itself.
GSM_EXTENSION = frozenset("^{}\\[]~|€\f")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

SmsEncoding = Literal["GSM-7", "UCS-2"]

# Spaces outside GSM-7 that Babel and word processors put in times and names
# ("10:00\u202fAM"): one of them would switch a whole SMS to UCS-2.
_ODD_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u2009\u200a\u202f\u205f\u3000"), " ")


def plain_spaces(text: str) -> str:
    """Text with every kind of space written as a plain space."""
    return text.translate(_ODD_SPACES)


@dataclass(frozen=True)
class SmsShape:
    """Encoding, length in encoding units (septets or UTF-16 units) and segment count."""

    encoding: SmsEncoding
    characters: int
    segments: int


def is_gsm7(text: str) -> bool:
    """Return True when every character fits the GSM 03.38 alphabet or its extension."""
    return all(c in GSM_BASIC or c in GSM_EXTENSION for c in text)


def _costs(text: str, gsm: bool) -> list[int]:
    if gsm:
        return [2 if c in GSM_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def _segments(costs: list[int], single: int, part: int) -> int:
    total = sum(costs)
    if total <= single:
        return 1
    # Pack greedily: an escape sequence or a surrogate pair is never split across
    # segments, so a part may hold one unit less than `part`.
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:
            segments += 1
            used = 0
        used += cost
    return segments


def analyse(text: str) -> SmsShape:
    """Return the encoding, length and segment count Twilio will use for `text`."""
    gsm = is_gsm7(text)
    costs = _costs(text, gsm)
    if gsm:
        return SmsShape("GSM-7", sum(costs), _segments(costs, GSM_SINGLE, GSM_PART))
    return SmsShape("UCS-2", sum(costs), _segments(costs, UCS2_SINGLE, UCS2_PART))


def limit_of(encoding: SmsEncoding, max_segments: int) -> int:
    """The most units `max_segments` segments hold in `encoding` (160, 306, 459… for GSM-7)."""
    single, part = (GSM_SINGLE, GSM_PART) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_PART)
    return single if max_segments == 1 else part * max_segments


def fit(text: str, max_segments: int, *, tail: str = "") -> str:
    """Shorten `text` at a word boundary, ending in "...", so text + `tail` fits in SMS.

    `tail` (for example numbered choices) is always kept whole when it fits on its own.
    """
    return shorten(text, within_segments(max_segments), tail=tail)


def within_segments(max_segments: int) -> Fits:
    """A measure that accepts texts of at most `max_segments` SMS segments."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    return lambda text: analyse(text).segments <= max_segments
