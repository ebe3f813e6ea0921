"""How the inbox shows things: labels for stored keys, and dates in the reader's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_currency, format_decimal, format_percent

from bot.i18n import N_, babel_locale
from bot.plans.service import format_when

REASON_LABELS = {
    "asked": N_("Bad om et menneske"),
    "crisis": N_("Krise"),
    "not_understood": N_("Botten forstod ikke"),
    "risk": N_("Risikosvar i check-in"),
    "plan_change": N_("Ændring i planen"),
    "reschedule": N_("Vil flytte et møde"),
    "staff": N_("Medarbejder skrev først"),
}
STATUS_LABELS = {
    "received": N_("Modtaget"),
    "queued": N_("I kø"),
    "accepted": N_("Afsendt"),
    "sent": N_("Afsendt"),
    "delivered": N_("Leveret"),
    "read": N_("Læst"),
    "undelivered": N_("Ikke leveret"),
    "failed": N_("Fejlet"),
    "cancelled": N_("Annulleret"),
    "note": N_("Intern note"),
}
# An open handoff's place in the conversation (bot/handoff/status.py).
HANDOFF_STATUS_LABELS = {
    "waiting_on_us": N_("Venter på os"),
    "waiting_on_young": N_("Venter på den unge"),
    "scheduled": N_("Planlagt svar"),
}
# Audit events (bot/audit) as the audit list names them.
AUDIT_LABELS = {"search_messages": N_("Så beskeder i en søgning")}
AUTHOR_LABELS = {"young_person": N_("Den unge"), "bot": N_("Chatbot"), "staff": N_("Medarbejder")}


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
