"""How the inbox shows dates, durations and numbers: in the reader's language and time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_currency, format_decimal, format_percent

from bot.i18n import babel_locale
from bot.plans.service import format_when


class Formatter:
    """Dates and durations in the municipality's time zone and the reader's language."""

    def __init__(self, language: str, timezone: str) -> None:
        self.language = language
        self.zone = ZoneInfo(timezone)
        self.locale = babel_locale(language)

    def when(self, moment: datetime | None, style: str = "short") -> str:
        """A local date and time, e.g. '04.03.2026 16.30'."""
        if moment is None:
            return ""
        return format_datetime(moment.astimezone(self.zone), style, locale=self.locale)

    def day(self, value: date | None) -> str:
        """A date, e.g. '04.03.2026'."""
        return format_date(value, "short", locale=self.locale) if value else ""

    def long(self, moment: datetime | None) -> str:
        """'torsdag den 5. marts 2026 kl. 10.30', as young people read it too."""
        if moment is None:
            return ""
        return format_when(moment, language=self.language, timezone=str(self.zone))

    def iso_local(self, moment: datetime | None) -> str:
        """The local time for a datetime-local input."""
        return moment.astimezone(self.zone).strftime("%Y-%m-%dT%H:%M") if moment else ""

    def ago(self, seconds: float) -> str:
        """A rounded duration, e.g. '3 timer'."""
        return format_timedelta(timedelta(seconds=seconds), locale=self.locale, threshold=1.5)

    def money(self, amount: float) -> str:
        """Danish kroner, e.g. '12,50 kr.'."""
        return format_currency(amount, "DKK", locale=self.locale)

    def percent(self, share: float, signed: bool = False) -> str:
        """A share as a percentage with one decimal, e.g. '12,3 %' (or '+12,3 %')."""
        text = format_percent(share, "#,##0.0 %", locale=self.locale)
        return f"+{text}" if signed and share > 0 else text

    def number(self, value: float) -> str:
        """A number as the reader writes it, e.g. '2,5'."""
        return format_decimal(value, locale=self.locale)
