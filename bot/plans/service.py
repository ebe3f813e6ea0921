"""Reading and changing a young person's plan."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.texts import system_text
from bot.i18n import babel_locale
from bot.people.models import YoungPerson
from bot.plans.models import Appointment, Milestone, Plan

MILESTONES_SHOWN = 3


async def get_plan(session: AsyncSession, *, person_id: int) -> Plan | None:
    """The young person's plan, if staff have made one."""
    result = await session.exec(select(Plan).where(Plan.young_person_id == person_id))
    return result.first()


async def open_milestones(session: AsyncSession, *, plan_id: int) -> list[Milestone]:
    """Milestones not yet done, soonest first."""
    result = await session.exec(
        select(Milestone)
        .where(Milestone.plan_id == plan_id, Milestone.status == "open")
        .order_by(col(Milestone.due_date).asc(), col(Milestone.id).asc())
    )
    return list(result.all())


async def next_appointment(
    session: AsyncSession, *, person_id: int, now: datetime
) -> Appointment | None:
    """The next planned appointment."""
    result = await session.exec(
        select(Appointment)
        .join(Plan, col(Plan.id) == Appointment.plan_id)
        .where(
            Plan.young_person_id == person_id,
            Appointment.starts_at >= now,
            col(Appointment.status).in_(("planned", "confirmed")),
        )
        .order_by(col(Appointment.starts_at).asc())
    )
    return result.first()


def format_when(moment: datetime, *, language: str, timezone: str) -> str:
    """'tirsdag den 4. marts 2025 kl. 10.00' in the reader's language and local time."""
    local = moment.astimezone(ZoneInfo(timezone))
    locale = babel_locale(language)
    return system_text(
        "date_at_time",
        language,
        date=format_date(local.date(), "full", locale=locale),
        time=format_time(local.time(), "short", locale=locale),
    )


async def plan_text(
    session: AsyncSession, *, person: YoungPerson, language: str, timezone: str
) -> str:
    """The goal and the next milestones, short enough for one SMS where possible."""
    assert person.id is not None
    plan = await get_plan(session, person_id=person.id)
    if plan is None or not plan.goal:
        return system_text("no_plan", language)
    assert plan.id is not None
    lines = [system_text("plan_goal", language, goal=plan.goal)]
    milestones = await open_milestones(session, plan_id=plan.id)
    if not milestones:
        lines.append(system_text("plan_no_milestones", language))
        return "\n".join(lines)
    lines.append(system_text("plan_milestones", language))
    locale = babel_locale(language)
    for milestone in milestones[:MILESTONES_SHOWN]:
        if milestone.due_date is None:
            lines.append(system_text("plan_milestone_line_nodate", language, title=milestone.title))
        else:
            due = format_date(milestone.due_date, "long", locale=locale)
            lines.append(
                system_text("plan_milestone_line", language, title=milestone.title, date=due)
            )
    return "\n".join(lines)


async def next_appointment_text(
    session: AsyncSession, *, person: YoungPerson, language: str, timezone: str, now: datetime
) -> str:
    """When and where the next meeting is, or that there is none."""
    assert person.id is not None
    appointment = await next_appointment(session, person_id=person.id, now=now)
    if appointment is None:
        return system_text("no_appointment", language)
    when = format_when(appointment.starts_at, language=language, timezone=timezone)
    if appointment.with_whom:
        return system_text(
            "next_appointment_with",
            language,
            when=when,
            who=appointment.with_whom,
            place=appointment.place,
        )
    return system_text("next_appointment", language, when=when, place=appointment.place)
