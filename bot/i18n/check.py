"""Fail when the catalogs are stale or a shipped language misses a translation.

Run as `python -m bot.i18n.check`; CI does.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALES_DIR, SOURCE_LANGUAGE
from bot.paths import REPO_ROOT

EXTRACT = [
    sys.executable,
    "-m",
    "babel.messages.frontend",
    "extract",
    "-F",
    "locales/babel.cfg",
    "-k",
    "tr:2",
    "-k",
    "N_",
    "--no-location",
    "--sort-output",
    "--omit-header",
    "-o",
]


def msgids(path: Path) -> set[str]:
    """The message ids in a catalog or template."""
    with path.open("rb") as handle:
        return {str(m.id) for m in read_po(handle) if m.id}


def problems() -> list[str]:
    """What is out of date or missing, one line each."""
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "messages.pot"
        subprocess.run(  # noqa: S603
            [*EXTRACT, str(fresh), "."],
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
        )
        current = msgids(fresh)
    if current != msgids(LOCALES_DIR / "messages.pot"):
        found.append("locales/messages.pot is stale: re-extract (see content/README.md)")
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle)
        done = {str(m.id) for m in catalog if m.id and m.string and not m.fuzzy}
        for msgid in sorted(current - done):
            found.append(f"{language}: no reviewed translation for {msgid[:60]!r}")
    return found


def main() -> int:
    """Print the problems; exit 1 if there are any."""
    found = problems()
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
