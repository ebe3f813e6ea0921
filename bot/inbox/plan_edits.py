"""The inbox's plan and check-in edits: thin calls into bot.plans.changes and
bot.checkins.service (which write the PlanEvent, the AuditEvent and re-plan reminders)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.checkins import service as checkin_service
from bot.checkins.models import Checkin, CheckinSchedule
from bot.clock import utcnow
from bot.inbox.login import Login
from bot.people.models import YoungPerson
from bot.plans import changes
from bot.plans.models import Appointment, Milestone, Plan

NotFound = changes.NotFound


async def plan_of(session: AsyncSession, person: YoungPerson) -> Plan:
    """The young person's plan, created empty when there is none yet."""
    return await changes.ensure_plan(session, person=person, now=utcnow())


async def set_goal(session: AsyncSession, login: Login, person: YoungPerson, *, goal: str,
                   now: datetime) -> None:
    """Change the goal."""
    await changes.set_goal(session, person=person, goal=goal, now=now, staff=login.staff)


async def add_milestone(session: AsyncSession, login: Login, person: YoungPerson, *,
                        title: str, due: date | None, now: datetime) -> Milestone:
    """Add a milestone."""
    return await changes.add_milestone(session, person=person, title=title, due_date=due,
                                       now=now, staff=login.staff)


async def set_milestone_status(session: AsyncSession, login: Login, person: YoungPerson, *,
                               milestone_id: int, status: str, now: datetime) -> None:
    """Mark a milestone done or open again (only the young person's own milestones)."""
    if status not in ("open", "done"):
        raise NotFound("status")
    await changes.update_milestone(session, person=person, milestone_id=milestone_id, now=now,
                                   staff=login.staff, status=status)


async def add_appointment(session: AsyncSession, login: Login, person: YoungPerson, *,
                          starts_at: datetime, place: str, with_whom: str,
                          now: datetime) -> Appointment:
    """Book an appointment."""
    return await changes.add_appointment(session, person=person, starts_at=starts_at,
                                         place=place, with_whom=with_whom, now=now,
                                         staff=login.staff)


async def cancel_appointment(session: AsyncSession, login: Login, person: YoungPerson, *,
                             appointment_id: int, now: datetime) -> None:
    """Cancel one of the young person's appointments."""
    await changes.update_appointment(session, person=person, appointment_id=appointment_id,
                                     now=now, staff=login.staff, status="cancelled")


async def appointments(session: AsyncSession, *, plan_id: int, now: datetime) -> list[Appointment]:
    """Appointments from a day ago on that are not cancelled, soonest first."""
    return [a for a in await changes.all_appointments(session, plan_id=plan_id)
            if a.starts_at >= now - timedelta(days=1) and a.status != "cancelled"]


async def milestones(session: AsyncSession, *, plan_id: int) -> list[Milestone]:
    """Every milestone, by due date."""
    return await changes.all_milestones(session, plan_id=plan_id)


async def checkins(session: AsyncSession, *, person_id: int, limit: int = 20) -> list[Checkin]:
    """The latest answered check-ins, oldest first (for the chart)."""
    answered = [c for c in await checkin_service.history(session, person_id=person_id)
                if c.score is not None]
    return answered[-limit:]


async def cadence(session: AsyncSession, *, person_id: int) -> CheckinSchedule | None:
    """The young person's check-in schedule, if any."""
    return await session.get(CheckinSchedule, person_id)


async def set_cadence(session: AsyncSession, login: Login, person: YoungPerson, *,
                      cadence_days: int, weekday: int, hour: int, paused: bool,
                      now: datetime) -> CheckinSchedule:
    """Set how often and when the young person is asked how it is going."""
    schedule = await checkin_service.set_schedule(
        session, person=person, municipality=login.municipality, now=now,
        cadence_days=max(1, min(cadence_days, 60)), weekday=max(0, min(weekday, 6)),
        hour=max(0, min(hour, 23)), paused=paused)
    await audit.record(session, staff=login.staff, young_person_id=person.id,
                       action="checkin_cadence",
                       detail=f"every {schedule.cadence_days} days, paused={paused}", now=now)
    return schedule
