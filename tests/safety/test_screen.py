"""Crisis screen: concept matching, softening, the concept-file format, normalisation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.safety.concepts import ConceptFileError, load_concept_files, parse_concept_file
from bot.safety.normalise import normalise
from bot.safety.screen import CrisisMatch, clear_cache, screen
from tests.safety.evaluation import load

REPO = Path(__file__).resolve().parents[2]


# --- how the screen reads young people's writing (examples from the issue) -----------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("jeg vil sgu bare dø", "suicide"),  # filler words
        ("jeg vil faktisk ikke leve mere", "suicide"),
        ("ta mit liv", "suicide"),  # colloquial form
        ("vil gerne være død", "suicide"),
        ("har skrevet farvelbrev", "suicide"),
        ("jeg vil bare forsvinde", "suicide"),
        ("unalive", "suicide"),
        ("jeg har skåret mig", "self_harm"),
        ("jeg skar mig i går", "self_harm"),
        ("jeg er i fare", "acute_danger"),
        ("han har en kniv", "acute_danger"),
        ("har spist en pakke panodil", "acute_danger"),
        ("jeg sover på gaden i nat", "homelessness"),  # homelessness by itself is a crisis
        ("min far har slået mig", "violence"),  # violence named by its actor
        ("min stedfar tæsker mig", "violence"),
        ("min onkel rører mig", "abuse"),
        ("han truer med at dele mine billeder", "abuse"),
        ("mine forældre vil gifte mig bort", "forced_marriage"),
        ("kill me", "suicide"),  # English inside Danish
        ("i wanna end it", "suicide"),
        ("jeg vil selvmorde", "suicide"),  # misspelt
        ("JEG VIL IKK LEVE MERE!!!", "suicide"),
        ("min  faar  slaar  mig", "violence"),  # no æøå, odd spacing
    ],
)
def test_crisis(text: str, category: str) -> None:
    match = screen(text)
    assert match is not None and not match.gentle, (text, match)
    assert match.category == category


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("min far slår mig ikke", "negation"),  # negation after the verb
        ("jeg har aldrig tænkt på selvmord", "negation"),
        ("vi læser om selvmord til dansk", "reported"),  # reported speech
        ("jeg slår mig selv ihjel i FIFA", "play"),  # game and joke contexts
        ("kill me lol", "play"),
    ],
)
def test_softened_to_a_gentle_check_never_silenced(text: str, why: str) -> None:
    assert screen(text) == CrisisMatch(
        screen(text).category,
        screen(text).rule_id,  # type: ignore[union-attr]
        screen(text).language,
        True,
        why,
    )  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["jeg kan ikke mere", "jeg er bange", "ingen vil savne mig"])
def test_borderline_messages_get_the_gentle_check(text: str) -> None:
    match = screen(text)
    assert match is not None and match.gentle and match.softened == ""


@pytest.mark.parametrize(
    "text",
    [
        "jeg dør af grin",
        "hvornår er mit møde",
        "min far kører mig til mødet",
        "jeg skal skære grøntsager på køkkenlinjen",
        "jeg kan ikke komme i morgen",
        "kan jeg få hjælp til mit cv",
        "min far får ny bil",
        "ok",
        "",
        "👍",
        "1234",
        "جيد",
    ],
)
def test_ordinary_messages_pass(text: str) -> None:
    assert screen(text) is None


def test_a_real_crisis_is_not_softened_by_a_joke_elsewhere_when_affirmed() -> None:
    match = screen("vil bare ik eksistere mere og det er ik for sjov")
    assert match is not None and not match.gentle


def test_a_negation_before_a_new_subject_does_not_soften() -> None:
    match = screen("jeg kan ikke mere jeg vil dø")
    assert match is not None and not match.gentle


def test_most_urgent_category_wins() -> None:
    match = screen("min far slår mig og jeg har taget 20 piller")
    assert match is not None and match.category == "acute_danger"


def test_any_language_regardless_of_setting() -> None:
    # Every language's rules read every message: English written by a Danish-speaker.
    match = screen("hej, jeg ved ikke... my stepdad hits me")
    assert match is not None and match.language == "en" and not match.gentle


def test_every_concept_file_declares_review_state() -> None:
    files = load_concept_files(REPO / "content" / "safety" / "concepts")
    assert {f.language for f in files} >= {"da", "en"}
    # Drafted files must stay marked until a native speaker and a professional have reviewed.
    assert all(f.reviewed is False for f in files)


# --- normalisation -----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jeg vil DØ!!!", "jeg vil do"),
        ("jeg vil doe", "jeg vil do"),
        ("jeg vil døøøøø", "jeg vil do"),
        ("SLÅ", "sla"),
        ("slaa", "sla"),
        ("skære", "skere"),
        ("skaere", "skere"),
        ("ikkkke", "ike"),
        ("  jeg\tvil\n\nikke  ", "jeg vil ike"),
        ("selv-mord.", "selv mord"),
        ("s e l v m o r d", "selvmord"),
        ("I'm", "im"),
        ("don’t", "dont"),
        ("café naïve", "cafe naive"),
        ("İNTİHAR", "intihar"),
        ("chcę żyć, łyknąłem", "chce zyc lyknalem"),
        ("jeg vil dø 😭😭", "jeg vil do"),
        ("ring 112", "ring 112"),
        ("أُرِيدُ أَنْ أَمُوتَ", "اريد ان اموت"),
        ("أريد أن أموت", "اريد ان اموت"),
        ("می‌خواهم", "ميخواهم"),
        ("Він мене б'є", "він мене бє"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_keeps_non_latin_letters() -> None:
    assert normalise("Хочу ПОМЕРТИ") == "хочу померти"
    assert normalise("بدي موت") == "بدي موت"


def test_normalise_is_idempotent() -> None:
    for entry in load("all"):
        once = normalise(entry["text"])
        assert normalise(once) == once


GOOD = {
    "language": "xx",
    "reviewed": False,
    "concepts": {"a": ["blå"], "b": ["banan*"]},
    "rules": [{"id": "r", "category": "suicide", "all": ["a", "b"]}],
}


@pytest.mark.parametrize(
    "data",
    [
        None,
        {**GOOD, "language": ""},
        {**GOOD, "reviewed": "no"},
        {**GOOD, "stemmer": "klingon"},
        {**GOOD, "concepts": {}},
        {**GOOD, "concepts": {"a": []}},
        {**GOOD, "concepts": {"a": ["x*y"], "b": ["z"]}},
        {**GOOD, "rules": []},
        {**GOOD, "rules": [{"id": "r", "category": "nope", "all": ["a"]}]},
        {**GOOD, "rules": [{"id": "r", "category": "suicide", "all": ["unknown"]}]},
        {**GOOD, "rules": [{"id": "r", "category": "suicide", "all": ["a", "b"], "window": 1}]},
        {**GOOD, "rules": [{"id": "r", "category": "distress", "all": ["a"]}]},
        {**GOOD, "soften": {"sarcasm": ["x"]}},
    ],
    ids=repr,
)
def test_bad_concept_files_are_rejected(data: Any) -> None:
    with pytest.raises(ConceptFileError):
        parse_concept_file(data, "test")


def test_content_dir_from_argument_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    concepts = tmp_path / "safety" / "concepts"
    concepts.mkdir(parents=True)
    (concepts / "xx.yaml").write_text(
        "language: xx\nreviewed: false\nconcepts:\n  a: [blå]\n  b: [banan*]\n"
        "rules:\n  - {id: blue, category: suicide, all: [a, b], window: 4}\n",
        encoding="utf-8",
    )
    clear_cache()
    try:
        assert screen("en blå og gul banan", tmp_path) == CrisisMatch(
            "suicide", "blue", "xx", False
        )
        assert screen("en blå bil og en lang historie om en banan", tmp_path) is None
        assert screen("jeg vil dø", tmp_path) is None
        monkeypatch.setenv("INDGANG_CONTENT_DIR", str(tmp_path))
        assert screen("BLAA BANANER") is not None
    finally:
        clear_cache()
