"""A municipality's working hours: whether staff are at work, and when they next will be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.content.texts import system_text
from bot.i18n import babel_locale
from bot.municipalities.models import Municipality


def in_working_hours(municipality: Municipality, now: datetime) -> bool:
    """True on weekdays between the municipality's work start and end (local time)."""
    local = now.astimezone(ZoneInfo(municipality.timezone))
    return local.weekday() < 5 and municipality.work_start <= local.time() < municipality.work_end


def next_work_start(municipality: Municipality, now: datetime) -> datetime:
    """When staff are next at work: now if they are, else the next weekday's start (UTC)."""
    if in_working_hours(municipality, now):
        return now
    zone = ZoneInfo(municipality.timezone)
    local = now.astimezone(zone)
    day = local.date()
    if local.time() >= municipality.work_start:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, municipality.work_start, tzinfo=zone).astimezone(UTC)


def urgent_reply_due(municipality: Municipality, since: datetime) -> datetime:
    """When a reply to an urgent handoff waiting since `since` is due: the urgent target
    after staff are next at work (at night the young person already has the help lines)."""
    target = timedelta(minutes=municipality.urgent_reply_target_minutes)
    return next_work_start(municipality, since) + target


def next_working_day_start(municipality: Municipality, now: datetime) -> datetime:
    """The start of the next working day after today (e.g. tomorrow 08:00), in UTC."""
    zone = ZoneInfo(municipality.timezone)
    day = now.astimezone(zone).date() + timedelta(days=1)
    first = datetime.combine(day, municipality.work_start, tzinfo=zone)
    return next_work_start(municipality, first).astimezone(UTC)


def when_staff_see_it(now: datetime, municipality: Municipality, language: str) -> str:
    """'i morgen kl. 08.00' or 'mandag kl. 08.00': when a message sent now will be read."""
    opens = next_work_start(municipality, now).astimezone(ZoneInfo(municipality.timezone))
    local_today = now.astimezone(opens.tzinfo).date()
    clock = opens.strftime("%H.%M") if language == "da" else opens.strftime("%H:%M")
    if opens.date() == local_today:
        return system_text("today_at", language, time=clock)
    if opens.date() == local_today + timedelta(days=1):
        return system_text("tomorrow_at", language, time=clock)
    weekday = format_date(opens.date(), "EEEE", locale=babel_locale(language))
    return system_text("weekday_at", language, weekday=weekday, time=clock)
