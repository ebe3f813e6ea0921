"""The crisis screen's example reading: labelled messages, and which one a message resembles."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety.concepts import CATEGORIES, ConceptFileError
from bot.safety.examples import Example, ExampleBank, load_example_file, load_examples
from bot.safety.screen import Screener, load_screener

KNIFE = Example(
    "han står ude i gangen med en kniv og råber at han slår mig ihjel",
    "crisis",
    "da",
    "acute_danger",
)
BUS = Example("bussen står stille ude ved skolen og jeg kommer for sent til mødet", "none", "da")
SAD = Example("det hele føles som at gå rundt i tyk tåge hver eneste dag", "gentle", "da")


def test_a_message_resembles_the_example_it_shares_most_with() -> None:
    bank = ExampleBank([KNIFE, BUS, SAD])
    near = bank.nearest("han står uden for døren med en kniiv og råber han slår mig ihjel")
    assert near.crisis is not None and near.crisis.example == KNIFE
    assert near.other is not None and near.crisis.similarity > near.other.similarity
    ordinary = bank.nearest("bussen står stille, jeg kommer for sent til skolen")
    assert ordinary.closest is not None and ordinary.closest.example == BUS


def test_examples_of_two_words_or_fewer_are_not_compared() -> None:
    bank = ExampleBank([Example("HJÆLP", "crisis", "da", "acute_danger"), BUS])
    assert [e.text for e in bank.examples] == [BUS.text]
    assert bank.nearest("fik du den hjælp").crisis is None


def test_without_leaves_out_examples_by_their_folded_text() -> None:
    bank = ExampleBank([KNIFE, BUS])
    assert bank.without(
        ["Bussen står stille ude ved skolen og jeg kommer for sent til mødet!"]
    ).examples == (KNIFE,)


KNIVES = (
    Example("han står ude i gangen med en kniv og skriger", "crisis", "da", "acute_danger"),
    Example("min bror har en kniv i lommen og truer mig", "crisis", "da", "violence"),
    Example("der er en fyr med kniv der følger efter mig nu", "crisis", "da", "acute_danger"),
)
EVERYDAY = tuple(
    Example(text, "none", "da")
    for text in (
        "hvornår er mit næste møde på jobcentret",
        "jeg har sendt min ansøgning til tømreruddannelsen",
        "kan vi rykke mødet til på torsdag i stedet",
        "min telefon er gået i stykker så jeg skriver fra min mors",
        "jeg er startet på hf og det går fint",
    )
)


def _screener(*examples: Example) -> Screener:
    return Screener(load_screener().files, ExampleBank(examples) if examples else None)


def test_an_example_catches_what_no_rule_reads_and_says_which_example() -> None:
    """A shipped example reworded: no rule reads it, the example does, and says so."""
    message = "de sender mig til irak efter eksamen og jeg kommer ikke tilbage, det er aftalt"
    assert _screener().screen(message) is None
    match = load_screener().screen(message)
    assert match is not None and not match.gentle and match.rule_id == "example"
    assert match.category == "forced_marriage" and match.resembles
    without = load_screener().without_examples([match.resembles]).screen(message)
    assert without is None or without.resembles != match.resembles


def test_resembling_a_crisis_example_by_everyday_words_is_not_enough() -> None:
    """Sharing "written" with a farewell-letter example, but no word of danger: nothing."""
    for message in ("I have not written my CV", "jeg har ikke skrevet mit cv færdigt endnu"):
        assert load_screener().screen(message) is None


def test_an_ordinary_example_stops_a_false_alarm() -> None:
    """The README's way to correct the screen: add the mistaken message, labelled none."""
    message = "de sender mig til irak efter eksamen og jeg kommer ikke tilbage, det er aftalt"
    shipped = load_screener()
    assert shipped.examples is not None and shipped.screen(message) is not None
    corrected = ExampleBank([*shipped.examples.examples, Example(message, "none", "da")])
    assert Screener(shipped.files, corrected).screen(message) is None


def test_a_message_near_an_example_needing_care_gets_a_gentle_check() -> None:
    worry = Example(
        "jeg bliver ved med at tænke på kniven i skuffen og det skræmmer mig", "gentle", "da"
    )
    message = "jeg bliver ved med at tænke på den kniv i skuffen, det skræmmer mig lidt"
    assert _screener(*KNIVES, *EVERYDAY).screen(message) is None
    match = _screener(*KNIVES, *EVERYDAY, worry).screen(message)
    assert match is not None and match.gentle and match.resembles == worry.text


def test_short_messages_are_never_read_by_example() -> None:
    short = Example("min far altså", "crisis", "da", "violence")
    assert _screener(short, *KNIVES, *EVERYDAY).screen("min far altså") is None


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ('{label: crisis, text: "jeg vil dø i nat"}', "has a category"),
        ('{label: none, category: suicide, text: "vi læser om selvmord"}', "has a category"),
        ('{label: maybe, text: "hvad så"}', "label must be one of"),
        ('{label: none, text: ""}', "needs a text"),
        ('{label: none, text: "hej med dig", lang: da}', "unknown keys"),
        ('{label: crisis, category: sadness, text: "alt er sort lige nu"}', "unknown category"),
    ],
)
def test_a_broken_example_names_the_file_and_the_example(
    tmp_path: Path, line: str, error: str
) -> None:
    path = tmp_path / "da.yaml"
    path.write_text(f'examples:\n  - {{label: none, text: "hvornår er mit møde"}}\n  - {line}\n')
    with pytest.raises(ConceptFileError, match=rf"da\.yaml: example 2: .*{error}"):
        load_example_file(path)


def test_the_shipped_examples_load_and_cover_every_category() -> None:
    examples = load_examples(
        Path(__file__).resolve().parents[2] / "content" / "safety" / "examples"
    )
    crisis = {e.category for e in examples if e.label == "crisis"}
    assert crisis == set(CATEGORIES) - {"distress"}  # distress is for gentle readings only
    assert {e.language for e in examples} >= {"da", "en", "ar", "fa", "pl", "ru", "so", "tr", "uk"}
