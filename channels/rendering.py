"""How a reply becomes the text a young person reads, decided by the channel's capabilities.

Choices stay out of the text on a channel with buttons and become numbered lines on one
without; the result is shortened at a word boundary, ending in "...", to the channel's
`max_length` (or to a channel's own measure, such as SMS segments). A staff member's text is
never shortened: `channels.parts.split` sends it in numbered parts that each fit.
"""

from __future__ import annotations

from collections.abc import Callable

from channels.base import Capabilities, Choice

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
