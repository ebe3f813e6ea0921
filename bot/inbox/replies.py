"""Content the inbox reads: canned replies and the confidentiality guard's terms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.content.flows import CONTENT_DIR
from bot.content.yaml_files import load_yaml
from bot.i18n import tr
from bot.safety.cpr import contains_cpr

CPR_HIT = "CPR"


@dataclass(frozen=True)
class CannedReply:
    """A ready-made reply: a label for staff and the Danish text to send."""

    key: str
    label: str
    reply: str


@lru_cache
def canned_replies(content_dir: Path = CONTENT_DIR) -> tuple[CannedReply, ...]:
    """Every canned reply in content/replies/*.yaml, in file order."""
    found: list[CannedReply] = []
    for path in sorted((content_dir / "replies").glob("*.yaml")):
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
        for entry in data.get("replies", []):
            found.append(CannedReply(str(entry["key"]), str(entry["label"]), str(entry["reply"])))
    return tuple(found)


def canned_for(staff_language: str, person_language: str) -> list[dict[str, str]]:
    """Canned replies with the label in the staff's and the text in the young person's language."""
    return [
        {"key": c.key, "label": tr(staff_language, c.label), "reply": tr(person_language, c.reply)}
        for c in canned_replies()
    ]


@lru_cache
def confidential_terms(content_dir: Path = CONTENT_DIR) -> tuple[str, ...]:
    """The configured health and social-case terms (content/safety/confidential_terms.yaml)."""
    path = content_dir / "safety" / "confidential_terms.yaml"
    data = load_yaml(path.read_text(encoding="utf-8")) or {}
    return tuple(str(term).strip().casefold() for term in data.get("terms", []) if term)


@lru_cache
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})", re.IGNORECASE)


def confidential_hits(text: str) -> list[str]:
    """Why a reply must not go over SMS or Telegram unconfirmed: 'CPR' and matched terms."""
    hits: list[str] = []
    if contains_cpr(text):
        hits.append(CPR_HIT)
    pattern = _pattern(confidential_terms())
    if pattern is not None:
        for match in pattern.finditer(text):
            term = match.group(1).casefold()
            if term not in hits:
                hits.append(term)
    return hits
