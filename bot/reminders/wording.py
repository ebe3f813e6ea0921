"""What a reminder says (the views in bot/reminders/conversation.py say it)."""

from __future__ import annotations

from typing import Any

from babel.dates import format_date

from bot.content.texts import system_text
from bot.i18n import babel_locale
from bot.plans.models import Appointment, Milestone
from bot.plans.service import format_when


def meeting_text(appointment: Appointment, *, who: str, language: str, timezone: str) -> str:
    """'… tirsdag den 10. marts 2026 kl. 10.00 med Mette. Sted: …. Tag med: ….' (no question)."""
    when = format_when(appointment.starts_at, language=language, timezone=timezone)
    parts = [
        system_text("meeting_when_where", language, when=when, who=who, place=appointment.place)
    ]
    if appointment.bring:
        parts.append(system_text("meeting_bring", language, bring=appointment.bring))
    return " ".join(parts)


def appointment_text(appointment: Appointment, *, who: str, language: str, timezone: str) -> str:
    """'Husk dit møde tirsdag den 10. marts 2026 kl. 10.00 med Mette. Sted: …. Tag med: ….
    Kommer du?'"""
    meeting = meeting_text(appointment, who=who, language=language, timezone=timezone)
    return system_text("reminder_appointment", language, meeting=meeting)


def milestone_text(milestone: Milestone, *, overdue: bool, language: str) -> str:
    """A reminder before a milestone is due, or a gentle question when it is overdue."""
    if milestone.due_date is None:
        return system_text("reminder_milestone_nodate", language, title=milestone.title)
    due = format_date(milestone.due_date, "long", locale=babel_locale(language))
    name = "reminder_milestone_overdue" if overdue else "reminder_milestone"
    return system_text(name, language, title=milestone.title, date=due)


# What each text depends on besides the reader's language and municipality (its timezone):
# reminders alike in these read the same, so a sweep words them once. Keep them in step
# with the functions above.


def appointment_inputs(appointment: Any) -> tuple[Any, ...]:
    """What `appointment_text` reads of an appointment (or a row with its columns)."""
    return (appointment.starts_at, appointment.place, appointment.with_whom)


def milestone_inputs(milestone: Any, *, overdue: bool) -> tuple[Any, ...]:
    """What `milestone_text` reads of a milestone (or a row with its columns)."""
    return (milestone.title, milestone.due_date, overdue)
