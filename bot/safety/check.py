"""Checks of the safety content that `indgang content check` runs."""

from __future__ import annotations

from datetime import date

from bot.safety.concepts import ConceptFileError
from bot.safety.helplines import HelplineFileError, load_helplines
from bot.safety.screen import load_screener


def problems() -> list[str]:
    """Safety content that cannot be loaded: the screen or the help lines would fail."""
    found = []
    try:
        load_screener()
    except (ConceptFileError, OSError) as exc:
        found.append(f"safety/concepts: {exc}")
    try:
        load_helplines()
    except (HelplineFileError, OSError) as exc:
        found.append(f"safety/helplines.yaml: {exc}")
    return found


def warnings(today: date) -> list[str]:
    """Help lines whose facts were not checked within a year, and unreviewed concept files."""
    found = []
    try:
        lines = load_helplines()
    except (HelplineFileError, OSError):
        lines = ()
    for line in lines:
        if not line.verified_since(today):
            when = line.last_verified.isoformat() if line.last_verified else "never"
            found.append(
                f"warning: help line {line.id} not verified within a year "
                f"(last verified: {when}); check number, hours and ages"
            )
    try:
        files = load_screener().files
    except (ConceptFileError, OSError):
        files = ()
    for f in files:
        if not f.reviewed:
            found.append(
                f"warning: safety/concepts/{f.language}.yaml is not reviewed by a "
                "native speaker and a professional"
            )
    return found
