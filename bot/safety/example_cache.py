"""The example index, built once per content and code, and memory-mapped by every later start.

Building the index of a few thousand examples takes about two seconds and, while it runs,
several times the index's size. The built arrays are written to the cache directory under a
key of everything they are made from: the example files' names and bytes, the code that reads
them (this module, examples.py, example_index.py, normalise.py) and the labels and categories.
A start that finds its key maps the files read-only (the pages are shared and the kernel
may drop them; they are read back on use). Any other content, code or a broken entry builds
the index afresh; so does a start that cannot write the cache, which then only logs it.

The directory is $INDGANG_CACHE_DIR, else $XDG_CACHE_HOME/indgang, else ~/.cache/indgang;
INDGANG_CACHE_DIR set to the empty string turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Final

import structlog

from bot.safety import example_index
from bot.safety.concepts import CATEGORIES
from bot.safety.example_index import ExampleIndex
from bot.safety.examples import LABELS, ExampleBank, load_examples

log = structlog.get_logger(__name__)

ENV_VAR = "INDGANG_CACHE_DIR"
_PREFIX = "examples-"
KEEP: Final = 4
"""Entries kept (the most recently used): other content versions in a shared cache."""
_CODE = tuple(
    Path(__file__).with_name(name)
    for name in ("example_cache.py", "examples.py", "example_index.py", "normalise.py")
)


def cache_dir() -> Path | None:
    """Where built indexes are kept; None when the cache is turned off."""
    given = os.environ.get(ENV_VAR)
    if given is not None:
        return Path(given) if given else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory to be found
            return None
    return Path(base) / "indgang"


def content_key(directory: Path) -> str:
    """A digest of the example files and of everything that turns them into an index."""
    digest = hashlib.sha256()
    digest.update(f"{example_index.FORMAT}|{'|'.join(LABELS)}|{'|'.join(CATEGORIES)}".encode())
    for path in _CODE:
        digest.update(path.read_bytes())
    if directory.is_dir():
        for path in sorted(directory.glob("*.yaml")):
            data = path.read_bytes()
            digest.update(f"\0{path.name}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()[:32]


def load_bank(directory: Path, cache: Path | None = None) -> ExampleBank:
    """The bank of the example files in `directory`: from the cache, else built (and kept)."""
    if cache is None:
        return ExampleBank(load_examples(directory))
    entry = cache / f"{_PREFIX}{content_key(directory)}"
    try:
        bank = ExampleBank.of_index(ExampleIndex.read(entry))
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError) as error:
        log.warning("safety.example_cache_unreadable", entry=entry.name, error=repr(error))
    else:
        _touch(entry)
        return bank
    bank = ExampleBank(load_examples(directory))
    try:
        _store(bank.index, entry)
    except OSError as error:
        log.warning("safety.example_cache_not_written", cache=str(cache), error=repr(error))
    else:
        _prune(cache)
    return bank


def _store(index: ExampleIndex, entry: Path) -> None:
    """Write the entry whole or not at all: built aside, then renamed into place. Another
    process may have stored the same entry meanwhile; a broken one is replaced."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        index.write(building)
        try:
            building.rename(entry)
        except OSError:
            if _readable(entry):
                return
            shutil.rmtree(entry, ignore_errors=True)
            building.rename(entry)
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _readable(entry: Path) -> bool:
    try:
        ExampleIndex.read(entry)
    except (OSError, ValueError, KeyError):
        return False
    return True


def _touch(entry: Path) -> None:
    with suppress(OSError):
        os.utime(entry)


def _prune(cache: Path) -> None:
    """Forget all but the KEEP most recently used entries."""
    entries = sorted(
        (p for p in cache.glob(f"{_PREFIX}*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
