"""The example index: built once per content, read back memory-mapped, the same figures."""

from __future__ import annotations

import json
import mmap
import shutil
from pathlib import Path

import numpy
import pytest

from bot.safety import example_cache
from bot.safety.example_cache import cache_dir, load_bank
from bot.safety.examples import ExampleBank, load_examples
from bot.safety.screen import load_screener

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "safety" / "examples"
MESSAGES = (
    "han står uden for døren med en kniiv og råber han slår mig ihjel",
    "de sender mig til irak efter eksamen og jeg kommer ikke tilbage, det er aftalt",
    "i took all the pills in the cabinet and i feel weird",
    "hvornår er mit næste møde på jobcentret",
    "мне некуда идти, меня выгнали из дома",
    "jeg har skrevet breve til alle og sagt farvel",
    "ordet findes ikke qwxz zzyq",
)


def _mapped(array: numpy.ndarray) -> bool:
    """True when the array's memory is a file mapping, not a copy."""
    base = array
    while isinstance(base, numpy.ndarray) and base.base is not None:
        base = base.base
    return isinstance(base, mmap.mmap)


def _readings(bank: ExampleBank) -> list[tuple[object, ...]]:
    found = []
    for text in MESSAGES:
        near = bank.nearest(text)
        sides = [(r.similarity, r.example) if r else None for r in (near.crisis, near.other)]
        found.append((*sides, bank.has_evidence(text)))
    return found


def _copy(tmp_path: Path) -> Path:
    examples = tmp_path / "examples"
    shutil.copytree(SHIPPED, examples)
    return examples


def test_a_bank_read_from_the_cache_reads_as_the_built_one(tmp_path: Path) -> None:
    examples = _copy(tmp_path)
    built = ExampleBank(load_examples(examples))
    first = load_bank(examples, tmp_path / "cache")  # builds and stores
    again = load_bank(examples, tmp_path / "cache")  # reads
    assert not _mapped(first.index.weights)
    assert _mapped(again.index.weights) and _mapped(again.index.ids)
    assert again.examples == built.examples
    assert again.evidence == built.evidence
    # Equal to the last bit: the same floats, summed in the same order.
    assert _readings(again) == _readings(built) == _readings(first)
    assert any(near[0] is not None for near in _readings(built))


def test_a_later_start_does_not_read_the_example_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = _copy(tmp_path)
    load_bank(examples, tmp_path / "cache")

    def unread(_directory: Path) -> None:
        raise AssertionError("the example files were parsed again")

    monkeypatch.setattr(example_cache, "load_examples", unread)
    assert len(load_bank(examples, tmp_path / "cache").index) > 1000


def test_changed_examples_are_indexed_afresh(tmp_path: Path) -> None:
    examples = _copy(tmp_path)
    before = load_bank(examples, tmp_path / "cache")
    message = "mit akvarium er fyldt med blæksprutter der synger om natten"
    extra = examples / "da.yaml"
    extra.write_text(
        extra.read_text(encoding="utf-8")
        + f'\n  - {{label: crisis, category: violence, text: "{message}"}}\n',
        encoding="utf-8",
    )
    after = load_bank(examples, tmp_path / "cache")
    assert len(after.index) == len(before.index) + 1
    near = after.nearest(message).crisis
    assert near is not None and near.example.text == message
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_only_the_most_recently_used_entries_are_kept(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    examples.mkdir()
    for n in range(example_cache.KEEP + 2):
        (examples / "da.yaml").write_text(
            f'examples:\n  - {{label: none, text: "besked nummer {n} om mit møde i morgen"}}\n',
            encoding="utf-8",
        )
        load_bank(examples, tmp_path / "cache")
    assert len(list((tmp_path / "cache").iterdir())) == example_cache.KEEP


def test_a_broken_entry_is_built_again(tmp_path: Path) -> None:
    examples = _copy(tmp_path)
    built = load_bank(examples, tmp_path / "cache")
    [entry] = (tmp_path / "cache").iterdir()
    (entry / "weights.npy").write_bytes(b"not an array")
    again = load_bank(examples, tmp_path / "cache")
    assert _readings(again) == _readings(built)
    assert _mapped(load_bank(examples, tmp_path / "cache").index.weights)
    meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    (entry / "meta.json").write_text(json.dumps({**meta, "format": -1}), encoding="utf-8")
    assert _readings(load_bank(examples, tmp_path / "cache")) == _readings(built)


def test_an_entry_another_process_stored_first_is_kept(tmp_path: Path) -> None:
    examples = _copy(tmp_path)
    bank = load_bank(examples, tmp_path / "cache")
    [entry] = (tmp_path / "cache").iterdir()
    stored = (entry / "weights.npy").stat().st_ino
    example_cache._store(bank.index, entry)  # a second process, a moment later
    assert (entry / "weights.npy").stat().st_ino == stored
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [entry.name]


def test_a_cache_that_cannot_be_written_only_costs_the_build(tmp_path: Path) -> None:
    examples = _copy(tmp_path)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory", encoding="utf-8")
    bank = load_bank(examples, blocked / "cache")
    assert _readings(bank) == _readings(ExampleBank(load_examples(examples)))


def test_the_cache_directory_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDGANG_CACHE_DIR", "/somewhere/else")
    assert cache_dir() == Path("/somewhere/else")
    monkeypatch.setenv("INDGANG_CACHE_DIR", "")
    assert cache_dir() is None
    monkeypatch.delenv("INDGANG_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/var/cache/me")
    assert cache_dir() == Path("/var/cache/me/indgang")


def test_the_shipped_screen_holds_every_shipped_example() -> None:
    shipped = load_screener()
    assert shipped.examples is not None
    assert shipped.examples.examples == ExampleBank(load_examples(SHIPPED)).examples
