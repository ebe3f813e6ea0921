"""Translations: Danish source text, catalogs in locales/ read with Babel."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

from bot.paths import REPO_ROOT

SOURCE_LANGUAGE = "da"
# Languages a young person can choose; a catalog must exist for every one but Danish.
LANGUAGES = ("da", "en")
LOCALES_DIR = REPO_ROOT / "locales"


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, for its reader."""
    return message


@lru_cache(maxsize=32)
def _catalog(language: str, locales_dir: Path = LOCALES_DIR) -> dict[str, str]:
    path = locales_dir / language / "LC_MESSAGES" / "messages.po"
    if language == SOURCE_LANGUAGE or not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    # Fuzzy entries are machine drafts nobody has reviewed: fall back to Danish.
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def tr(language: str, message: str, **values: Any) -> str:
    """Translate Danish `message` into `language`, then fill in `{placeholders}`."""
    text = _catalog(normalise_language(language)).get(message, message)
    return text.format(**values) if values else text


def normalise_language(value: str | None) -> str:
    """A supported language code for any tag ('en-GB' -> 'en'); Danish when unknown."""
    if not value:
        return SOURCE_LANGUAGE
    code = value.replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else SOURCE_LANGUAGE


def native_name(language: str) -> str:
    """The language's name in itself, capitalised ('dansk' -> 'Dansk')."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


def language_name(language: str, reader: str) -> str:
    """The language's name in the reader's language ('da' for an English reader: 'Danish';
    'ar' for a Danish one: 'arabisk'), for running text and tables staff read."""
    try:
        return Locale.parse(language).get_display_name(babel_locale(reader)) or language
    except (ValueError, TypeError, UnknownLocaleError):
        return language


def babel_locale(language: str) -> Locale:
    """Babel's locale for formatting dates and numbers."""
    return Locale.parse(normalise_language(language))
