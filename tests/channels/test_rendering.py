"""The renderer reads a channel's capabilities as data.

Buttons keep choices out of the text, no buttons make them numbered lines, and max_length
shortens what is too long.
"""

from __future__ import annotations

from channels.base import Capabilities, Choice
from channels.rendering import render
from channels.sms.channel import SmsChannel

CHOICES = (Choice("yes", "Ja"), Choice("no", "Nej tak"))
BUTTONS = Capabilities(buttons=True, max_length=4096)
LINES = Capabilities(buttons=False, max_length=4096)


def test_buttons_keep_the_text_as_it_is() -> None:
    assert render("Kommer du?", CHOICES, BUTTONS) == "Kommer du?"


def test_without_buttons_choices_are_numbered_lines() -> None:
    assert render("Kommer du?", CHOICES, LINES) == "Kommer du?\n1. Ja\n2. Nej tak"
    assert render("", CHOICES, LINES) == "1. Ja\n2. Nej tak"


def test_max_length_shortens_at_a_word_and_keeps_the_choices() -> None:
    text = "Husk dit møde i morgen klokken ti på biblioteket ved torvet"
    rendered = render(text, CHOICES, Capabilities(buttons=False, max_length=40))

    assert rendered == "Husk dit møde i...\n1. Ja\n2. Nej tak"
    assert len(rendered) <= 40


def test_sms_renders_as_before_numbered_and_with_plain_spaces() -> None:
    channel = SmsChannel(account_sid="AC" + "0" * 32, auth_token="t" * 32, from_number="+4552")
    choices = (Choice("a", "Kl.\u202f10"), Choice("b", "Senere"))

    rendered = channel.render("Mødet er kl.\u00a010", choices)

    assert rendered == "Mødet er kl. 10\n1. Kl. 10\n2. Senere"
