"""How a reply becomes the text a young person reads, decided by the channel's capabilities.

Choices stay out of the text on a channel with buttons and become numbered lines on one
without; the result is shortened at a word boundary, ending in "...", to the channel's
`max_length` (or to a channel's own measure, such as SMS segments). A staff member's text is
never shortened: `split` sends it in numbered parts that each fit.
"""

from __future__ import annotations

from collections.abc import Callable

from channels.base import MAX_PARTS, Capabilities, Choice

# Plain dots, not "…": the ellipsis character would turn a GSM-7 SMS into UCS-2.
ELLIPSIS = "..."

Fits = Callable[[str], bool]


def numbered(choices: tuple[Choice, ...]) -> str:
    """Choices as lines "1. label", each after a line break."""
    return "".join(f"\n{n}. {choice.label}" for n, choice in enumerate(choices, start=1))


def within(max_length: int) -> Fits:
    """A measure that accepts texts of at most `max_length` characters."""
    return lambda text: len(text) <= max_length


def render(
    text: str, choices: tuple[Choice, ...], capabilities: Capabilities, *, fits: Fits | None = None
) -> str:
    """The text as read on a channel with these capabilities.

    `fits` replaces the character count of `capabilities.max_length` where a channel
    measures length its own way.
    """
    tail = "" if capabilities.buttons else numbered(choices)
    if not text:
        tail = tail.lstrip("\n")
    return shorten(text, fits or within(capabilities.max_length), tail=tail)


def _longest(candidates: list[int], build: str, tail: str, fits: Fits) -> str | None:
    """Binary search the longest cut (length grows with the prefix) that still fits."""
    best: str | None = None
    lo, hi = 0, len(candidates) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        shortened = build[: candidates[mid]].rstrip(" \t\n,;:-") + ELLIPSIS + tail
        if fits(shortened):
            best = shortened
            lo = mid + 1
        else:
            hi = mid - 1
    return best


def shorten(text: str, fits: Fits, *, tail: str = "") -> str:
    """Shorten `text` at a word boundary, ending in "...", so text + `tail` fits.

    `tail` (for example numbered choices) is always kept whole when it fits on its own.
    """
    if fits(text + tail):
        return text + tail
    if tail and not fits(ELLIPSIS + tail):
        return shorten(text + tail, fits)
    boundaries = [i for i, c in enumerate(text) if c.isspace() and i > 0]
    shortened = _longest(boundaries, text, tail, fits)
    if shortened is None or not shortened.strip(ELLIPSIS + " "):
        # One long word: cut it anywhere rather than send nothing.
        shortened = _longest(list(range(1, len(text))), text, tail, fits)
    return shortened if shortened is not None else ELLIPSIS + tail


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
