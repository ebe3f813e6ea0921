"""Numbered parts of a long text: each fits, they add up to the text, or there are none."""

from __future__ import annotations

import re

import pytest

from channels.parts import MAX_PARTS, split
from channels.rendering import within
from channels.sms.encoding import analyse, within_segments

NUMBER = re.compile(r"^\((\d+)/(\d+)\) ")


def unnumbered(parts: tuple[str, ...]) -> str:
    return "".join(NUMBER.sub("", part, count=1) for part in parts)


def test_a_text_that_fits_goes_whole_without_a_number() -> None:
    assert split("Hej Sofie", within(20)) == ("Hej Sofie",)


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("ord " * 60, within(50)),
        ("Hej Sofie, vi ses på tirsdag. " * 40, within_segments(3)),
        ("Godt gået 🎉 " * 30, within_segments(1)),
        ("x" * 130, within(50)),  # one long word is cut where it must be
        ("linje\n" * 90, within(100)),
    ],
    ids=["words", "sms-gsm", "sms-ucs2", "one-word", "lines"],
)
def test_parts_each_fit_are_numbered_in_order_and_add_up_to_the_text(
    text: str, fits: object
) -> None:
    assert callable(fits)
    parts = split(text, fits)
    assert 1 < len(parts) <= MAX_PARTS
    assert all(fits(part) for part in parts)
    numbers = [NUMBER.match(part) for part in parts]
    assert [(int(m.group(1)), int(m.group(2))) for m in numbers if m] == [
        (n, len(parts)) for n in range(1, len(parts) + 1)
    ]
    assert unnumbered(parts) == text


def test_parts_end_between_words() -> None:
    parts = split("Hej Sofie, vi ses på tirsdag. " * 40, within_segments(3))
    assert all(part.endswith(" ") for part in parts[:-1])


def test_more_than_the_most_parts_gives_none() -> None:
    text = "Husk mødet 😀 " * 200
    assert analyse(text).segments > 3 * MAX_PARTS
    assert split(text, within_segments(3)) == ()
    assert split("ord " * 100, within(30), max_parts=3) == ()


def test_ten_parts_are_numbered_with_room_for_two_digits() -> None:
    parts = split("ord " * 100, within(50))
    assert len(parts) == 10
    assert parts[-1].startswith("(10/10) ") and all(len(part) <= 50 for part in parts)
