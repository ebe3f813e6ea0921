"""Find and redact Danish CPR numbers (DDMMYY-SSSS) typed into messages."""

from __future__ import annotations

import re

MARKER = "[CPR]"

# Six digits, an optional separator (a dash with or without spaces around it, or one space),
# four digits; never inside a longer run of digits or right after "+" (a phone number).
# Digits separated by spaces next to it do not stop a match: leaking a CPR number is worse
# than redacting a stray number. No modulus-11 check: numbers since 2007 need not pass it.
_CPR = re.compile(
    r"(?<![\d+])"
    r"(?P<dd>\d{2})(?P<mm>\d{2})(?P<yy>\d{2})"
    r"(?:[ \u00a0]?[-\u2010\u2011\u2012\u2013\u2212][ \u00a0]?|[ \u00a0])?"
    r"\d{4}(?!\d)"
)
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid_date(dd: int, mm: int, yy: int) -> bool:
    # A two-digit year does not say its century, so 29 February counts whenever yy % 4 == 0.
    if not (1 <= mm <= 12 and 1 <= dd <= _DAYS[mm - 1]):
        return False
    return not (mm == 2 and dd == 29 and yy % 4 != 0)


def _is_cpr(m: re.Match[str]) -> bool:
    return _valid_date(int(m["dd"]), int(m["mm"]), int(m["yy"]))


def redact_cpr(text: str) -> tuple[str, int]:
    """Replace every CPR-shaped number with "[CPR]" and return the text and the count."""
    count = 0

    def _replace(m: re.Match[str]) -> str:
        nonlocal count
        if not _is_cpr(m):
            return m.group()
        count += 1
        return MARKER

    return _CPR.sub(_replace, text), count


def contains_cpr(text: str) -> bool:
    """Tell whether the text holds a CPR-shaped number with a valid date."""
    return any(_is_cpr(m) for m in _CPR.finditer(text))
