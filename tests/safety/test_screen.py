"""Crisis screen: corpus precision/recall, normalisation, exclusions, phrase-file format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.safety.normalise import normalise
from bot.safety.phrases import (
    PhraseFileError,
    compile_pattern,
    load_phrase_files,
    parse_phrase_file,
)
from bot.safety.screen import CrisisMatch, Screener, clear_cache, screen

REPO = Path(__file__).resolve().parents[2]
CORPUS: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (REPO / "tests" / "data" / "safety" / "corpus.yaml").read_text(encoding="utf-8")
)


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [f"{e['lang']}:{e['text'][:40]}" for e in entries]


# --- corpus ---------------------------------------------------------------


def test_corpus_size() -> None:
    positives = CORPUS["positives"]
    assert sum(e["lang"] == "da" for e in positives) >= 40
    assert sum(e["lang"] == "en" for e in positives) >= 25
    assert len(CORPUS["negatives"]) >= 40
    assert {e["lang"] for e in positives} >= {"ar", "tr", "pl", "uk", "so", "fa"}


def test_precision_and_recall() -> None:
    expected_hits = CORPUS["positives"] + CORPUS["gentle"]
    tp = sum(screen(e["text"]) is not None for e in expected_hits)
    fp_texts = [e["text"] for e in CORPUS["negatives"] if screen(e["text"]) is not None]
    recall = tp / len(expected_hits)
    precision = tp / (tp + len(fp_texts))
    print(
        f"\ncrisis screen: recall={recall:.3f} precision={precision:.3f} "
        f"(positives={len(expected_hits)}, negatives={len(CORPUS['negatives'])}, "
        f"false positives={fp_texts})"
    )
    assert recall == 1.0
    assert precision >= 0.9


@pytest.mark.parametrize("entry", CORPUS["positives"], ids=_ids(CORPUS["positives"]))
def test_positive_is_urgent_with_category(entry: dict[str, Any]) -> None:
    match = screen(entry["text"])
    assert match is not None, entry["text"]
    assert not match.gentle
    assert match.category == entry["category"]


@pytest.mark.parametrize("entry", CORPUS["gentle"], ids=_ids(CORPUS["gentle"]))
def test_exclusion_gives_gentle_match_never_none(entry: dict[str, Any]) -> None:
    match = screen(entry["text"])
    assert match is not None
    assert match.gentle


def test_exclusion_does_not_hide_a_real_crisis_in_the_same_message() -> None:
    match = screen("vi så en film om selvmord, og nu vil jeg bare dø")
    assert match is not None
    assert not match.gentle
    assert match.phrase_id == "vil_doe"


def test_most_urgent_category_wins() -> None:
    match = screen("han slår mig og jeg har taget 20 piller")
    assert match == CrisisMatch("acute_danger", "taget_piller", "da", gentle=False)


@pytest.mark.parametrize("text", ["", "   ", "👍", "ok", "1234", "?!", "جيد", "\u200c"], ids=repr)
def test_harmless_short_texts(text: str) -> None:
    assert screen(text) is None


def test_any_language_regardless_of_setting() -> None:
    match = screen("hej, jeg ved ikke... أريد أن أموت")
    assert match is not None
    assert match.language == "ar"


def test_every_phrase_file_declares_review_state() -> None:
    files = load_phrase_files(REPO / "content" / "safety" / "phrases")
    languages = {f.language for f in files}
    assert languages >= {"da", "en", "ar", "tr", "pl", "uk", "so", "fa"}
    # Machine-drafted files must stay marked until a native speaker has reviewed them.
    for f in files:
        if f.language not in ("da", "en"):
            assert f.reviewed is False, f.language


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
    for entry in CORPUS["positives"] + CORPUS["negatives"]:
        once = normalise(entry["text"])
        assert normalise(once) == once


# --- pattern syntax and file format ----------------------------------------


@pytest.mark.parametrize(
    ("pattern", "text", "hit"),
    [
        ("jeg vil [bare] dø", "jeg vil dø", True),
        ("jeg vil [bare] dø", "jeg vil bare dø", True),
        ("jeg vil [bare] dø", "jeg vil ikke dø", False),
        ("orker/gider ikke", "gider ikke", True),
        ("selvmord*", "selvmordstanker", True),
        ("selvmord*", "ikkeselvmord", False),
        ("dø", "dødtræt", False),
        ("(do not/dont) want", "do not want", True),
        ("(do not/dont) want", "do want", False),
        ("har taget * piller", "har taget 20 piller", True),
        ("[i dag/i aften] kom", "i aften kom", True),
    ],
)
def test_pattern_syntax(pattern: str, text: str, hit: bool) -> None:
    screener = Screener(
        [
            parse_phrase_file(
                {
                    "language": "xx",
                    "reviewed": False,
                    "phrases": [{"id": "t", "category": "suicide", "patterns": [pattern]}],
                },
                "test",
            )
        ]
    )
    assert (screener.screen(text) is not None) is hit
    assert compile_pattern(pattern).regex


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"language": "da", "phrases": [{"id": "a", "category": "suicide", "patterns": ["x"]}]},
        {"language": "da", "reviewed": False, "phrases": []},
        {
            "language": "da",
            "reviewed": False,
            "phrases": [{"id": "a", "category": "sad", "patterns": ["x"]}],
        },
        {
            "language": "da",
            "reviewed": False,
            "phrases": [{"id": "a", "category": "suicide", "patterns": ["[x]"]}],
        },
        {
            "language": "da",
            "reviewed": False,
            "phrases": [{"id": "a", "category": "suicide", "patterns": ["se*lv"]}],
        },
        {
            "language": "da",
            "reviewed": False,
            "phrases": [{"id": "a", "category": "suicide", "patterns": ["a (b"]}],
        },
        {
            "language": "da",
            "reviewed": False,
            "phrases": [
                {"id": "a", "category": "suicide", "patterns": ["x"]},
                {"id": "a", "category": "suicide", "patterns": ["y"]},
            ],
        },
    ],
)
def test_bad_phrase_files_are_rejected(data: Any) -> None:
    with pytest.raises(PhraseFileError):
        parse_phrase_file(data, "test")


def test_content_dir_from_argument_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    phrases = tmp_path / "safety" / "phrases"
    phrases.mkdir(parents=True)
    (phrases / "xx.yaml").write_text(
        "language: xx\nreviewed: false\nphrases:\n"
        "  - {id: blue, category: suicide, patterns: [blå banan]}\n",
        encoding="utf-8",
    )
    clear_cache()
    try:
        assert screen("en blå banan", tmp_path) == CrisisMatch("suicide", "blue", "xx", False)
        assert screen("jeg vil dø", tmp_path) is None
        monkeypatch.setenv("INDGANG_CONTENT_DIR", str(tmp_path))
        assert screen("BLAA BANAN") is not None
    finally:
        clear_cache()
