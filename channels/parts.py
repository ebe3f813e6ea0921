"""A long text as numbered parts that each fit one message: "(1/3) …", "(2/3) …".

Used for what a staff member writes, which is never shortened. Imports nothing of
`channels`, so the shared contract (`channels.base`) can use it.
"""

from __future__ import annotations

from collections.abc import Callable

# The most parts one text is split into; a longer text is refused, never cut.
MAX_PARTS = 10

Fits = Callable[[str], bool]


def split(text: str, fits: Fits, *, max_parts: int = MAX_PARTS) -> tuple[str, ...]:
    """`text` whole when it fits; else numbered parts "(1/3) …" that each fit, in order.

    Parts end after a space or line break where one is near enough, and the parts without
    their numbers put together are `text` exactly. Empty when it takes more than `max_parts`.
    """
    if fits(text):
        return (text,)
    for total in range(2, max_parts + 1):
        parts = _pack(text, fits, total)
        if parts is not None:
            # Fewer parts than numbered for: shorter numbers, so each part still fits.
            return tuple(f"{_number(n, len(parts))}{part}" for n, part in enumerate(parts, 1))
    return ()


def _number(n: int, total: int) -> str:
    return f"({n}/{total}) "


def _pack(text: str, fits: Fits, total: int) -> list[str] | None:
    """Fill at most `total` parts numbered "(n/total) ", each as full as it fits."""
    parts: list[str] = []
    rest = text
    while rest:
        if len(parts) == total:
            return None
        label = _number(len(parts) + 1, total)
        cut = len(rest) if fits(label + rest) else _longest_cut(rest, label, fits)
        if cut == 0:
            return None
        parts.append(rest[:cut])
        rest = rest[cut:]
    return parts


def _longest_cut(text: str, label: str, fits: Fits) -> int:
    """How much of `text` fits after `label`: after a space when that keeps most of it."""
    # Grow by doubling, then halve back: every check measures one part, not the whole text.
    low, high = 0, 1
    while high < len(text) and fits(label + text[:high]):
        low, high = high, min(len(text), high * 2)
    while high - low > 1:
        middle = (low + high) // 2
        if fits(label + text[:middle]):
            low = middle
        else:
            high = middle
    hard = low
    spaces = [i + 1 for i in range(hard) if text[i].isspace()]
    # A word is not broken unless it alone is longer than most of a part.
    if spaces and spaces[-1] >= hard // 2:
        return spaces[-1]
    return hard
