"""What a reminder says, and the answers it offers (from content/flows/reminder.yaml)."""

from __future__ import annotations

from babel.dates import format_date

from bot.content.flows import flows
from bot.content.texts import system_text
from bot.i18n import babel_locale, tr
from bot.plans.models import Appointment, Milestone
from bot.plans.service import format_when
from channels.base import Choice

APPOINTMENT_STEP = "reminder.appointment"
MILESTONE_STEP = "reminder.milestone"


def step_choices(ref: str, language: str) -> tuple[Choice, ...]:
    """A flow step's choices in `language`, plus the way back to the menu."""
    step = flows().step(ref)
    choices = [Choice(c.key, tr(language, c.label)) for c in step.choices]
    if not any(c.key == "menu" for c in choices):
        choices.append(Choice("menu", system_text("menu_choice", language)))
    return tuple(choices)


def appointment_text(appointment: Appointment, *, language: str, timezone: str) -> str:
    """'Husk dit møde tirsdag den 10. marts 2026 kl. 10.00. Sted: …. Kommer du?'"""
    when = format_when(appointment.starts_at, language=language, timezone=timezone)
    if appointment.with_whom:
        return system_text(
            "reminder_appointment_with",
            language,
            when=when,
            who=appointment.with_whom,
            place=appointment.place,
        )
    return system_text("reminder_appointment", language, when=when, place=appointment.place)


def milestone_text(milestone: Milestone, *, overdue: bool, language: str) -> str:
    """A reminder before a milestone is due, or a gentle question when it is overdue."""
    if milestone.due_date is None:
        return system_text("reminder_milestone_nodate", language, title=milestone.title)
    due = format_date(milestone.due_date, "long", locale=babel_locale(language))
    name = "reminder_milestone_overdue" if overdue else "reminder_milestone"
    return system_text(name, language, title=milestone.title, date=due)
