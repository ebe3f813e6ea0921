"""GSM-7 / UCS-2 length and segment counting, and shortening to fit."""

from __future__ import annotations

import pytest

from channels.sms.encoding import analyse, fit, is_gsm7

SHAPES = [
    # name, text, encoding, characters, segments
    ("empty", "", "GSM-7", 0, 1),
    ("danish letters at 160", "æøåÆØÅ" * 26 + "éü", "GSM-7", 158, 1),
    ("æøå exactly 160", "å" * 160, "GSM-7", 160, 1),
    ("161 septets -> 2 parts", "ø" * 161, "GSM-7", 161, 2),
    ("306 septets -> 2 parts", "a" * 306, "GSM-7", 306, 2),
    ("307 septets -> 3 parts", "a" * 307, "GSM-7", 307, 3),
    ("euro costs two", "€", "GSM-7", 2, 1),
    ("80 euros fill one", "€" * 80, "GSM-7", 160, 1),
    ("81 euros spill", "€" * 81, "GSM-7", 162, 2),
    ("extension table", "^{}\\[]~|", "GSM-7", 16, 1),
    ("escape never split", "a" * 152 + "€" + "a" * 10, "GSM-7", 164, 2),
    ("ç is not GSM-7", "ça va", "UCS-2", 5, 1),
    ("curly quote is not GSM-7", "det’s", "UCS-2", 5, 1),
    ("one emoji is two units", "😊", "UCS-2", 2, 1),
    ("emoji makes all UCS-2", "Hej 😊", "UCS-2", 6, 1),
    ("70 units single", "a" * 68 + "😊", "UCS-2", 70, 1),
    ("71 units -> 2 parts", "a" * 69 + "😊", "UCS-2", 71, 2),
    ("134 units -> 2 parts", "ب" * 134, "UCS-2", 134, 2),
    ("135 units -> 3 parts", "ب" * 135, "UCS-2", 135, 3),
    ("surrogate pair never split", "a" * 66 + "😊" + "a" * 10, "UCS-2", 78, 2),
    ("arabic", "مرحبا", "UCS-2", 5, 1),
]


@pytest.mark.parametrize(
    ("text", "encoding", "characters", "segments"),
    [case[1:] for case in SHAPES],
    ids=[case[0] for case in SHAPES],
)
def test_analyse(text: str, encoding: str, characters: int, segments: int) -> None:
    shape = analyse(text)
    assert (shape.encoding, shape.characters, shape.segments) == (encoding, characters, segments)


def test_split_sequences_open_a_new_part() -> None:
    # 134 units / 306 septets would fill two parts exactly, but only if the surrogate
    # pair / escape sequence at the first boundary could be split; it cannot.
    assert analyse("a" * 66 + "😊" + "a" * 66).segments == 3
    assert analyse("a" * 152 + "€" + "a" * 152).segments == 3


def test_is_gsm7() -> None:
    assert is_gsm7("Hej Åse, møde kl. 10 i Ærøskøbing: 50 € [ok]")
    assert not is_gsm7("møde …")


FITS = [
    ("short text unchanged", "Hej", 1),
    ("long gsm text", "Husk dit møde på jobcentret i morgen klokken ti " * 12, 1),
    ("long gsm text two parts", "Husk dit møde på jobcentret i morgen klokken ti " * 12, 2),
    ("long ucs2 text", "Godt gået 💪 du er klar til næste skridt " * 10, 1),
    ("one long word", "x" * 500, 1),
]


@pytest.mark.parametrize(("text", "max_segments"), [c[1:] for c in FITS], ids=[c[0] for c in FITS])
def test_fit_fits(text: str, max_segments: int) -> None:
    result = fit(text, max_segments)
    assert analyse(result).segments <= max_segments
    if analyse(text).segments <= max_segments:
        assert result == text
    else:
        assert result.endswith("...")
        assert text.startswith(result.removesuffix("..."))


def test_fit_cuts_at_word_boundary_and_stays_gsm7() -> None:
    text = "Husk dit møde på jobcentret i morgen klokken ti " * 12
    result = fit(text, 1)
    assert analyse(result).encoding == "GSM-7"
    assert "…" not in result
    kept = result.removesuffix("...")
    assert text[len(kept)] == " "
    # As long as possible: one more word would not fit.
    assert len(result) > 140


def test_fit_keeps_tail_whole() -> None:
    tail = "\n1. Ja\n2. Nej"
    result = fit("Vil du have en påmindelse om dit møde? " * 10, 1, tail=tail)
    assert result.endswith("..." + tail)
    assert analyse(result).segments == 1


def test_fit_rejects_zero_segments() -> None:
    with pytest.raises(ValueError, match="max_segments"):
        fit("Hej", 0)


@pytest.mark.parametrize("space", ["\u00a0", "\u202f", "\u2009"])
def test_render_writes_odd_spaces_as_plain_ones(space: str) -> None:
    from channels.sms.channel import SmsChannel

    sms = SmsChannel(account_sid="AC0", auth_token="t", from_number="+4552123456")
    rendered = sms.render(f"Mødet er kl. 10:00{space}AM.", ())
    assert rendered == "Mødet er kl. 10:00 AM." and analyse(rendered).encoding == "GSM-7"
