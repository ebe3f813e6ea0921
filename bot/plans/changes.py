"""Changing a plan: every change is a PlanEvent (who, when) and re-plans its reminders."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.municipalities.models import Municipality
from bot.people.models import YoungPerson
from bot.plans.models import Appointment, Milestone, Plan, PlanEvent
from bot.plans.service import get_plan
from bot.reminders import planning as reminders
from bot.staff.models import StaffMember

MILESTONE_STATUSES = ("open", "done", "dropped")
APPOINTMENT_STATUSES = (
    "planned",
    "confirmed",
    "cancelled",
    "done",
    "missed",
    "reschedule_requested",
)


class NotFound(LookupError):
    """The plan item is not this young person's."""


async def ensure_plan(session: AsyncSession, *, person: YoungPerson, now: datetime) -> Plan:
    """The young person's plan, created empty if staff have not made one yet."""
    assert person.id is not None
    plan = await get_plan(session, person_id=person.id)
    if plan is None:
        plan = Plan(young_person_id=person.id, updated_at=now)
        session.add(plan)
        await session.flush()
    return plan


async def record(
    session: AsyncSession,
    *,
    plan: Plan,
    person: YoungPerson,
    action: str,
    detail: str,
    now: datetime,
    staff: StaffMember | None = None,
    actor: str | None = None,
) -> PlanEvent:
    """Write the history entry (and, for staff, the audit event) for one change."""
    assert plan.id is not None
    event = PlanEvent(
        plan_id=plan.id,
        actor=actor or ("staff" if staff else "system"),
        staff_id=staff.id if staff else None,
        action=action,
        detail=detail[:300],
        at=now,
    )
    plan.updated_at = now
    session.add_all([event, plan])
    if staff is not None:
        await audit.record(
            session,
            staff=staff,
            young_person_id=person.id,
            action=f"plan.{action}"[:40],
            detail=detail[:300],
            now=now,
        )
    await session.flush()
    return event


async def set_goal(
    session: AsyncSession,
    *,
    person: YoungPerson,
    goal: str,
    now: datetime,
    staff: StaffMember | None = None,
) -> Plan:
    """Set the plan's goal."""
    plan = await ensure_plan(session, person=person, now=now)
    plan.goal = goal.strip()[:300]
    await record(
        session, plan=plan, person=person, action="goal.set", detail=plan.goal, now=now, staff=staff
    )
    return plan


async def add_milestone(
    session: AsyncSession,
    *,
    person: YoungPerson,
    title: str,
    due_date: date | None,
    now: datetime,
    staff: StaffMember | None = None,
) -> Milestone:
    """Add a milestone and plan its reminders."""
    plan = await ensure_plan(session, person=person, now=now)
    assert plan.id is not None
    milestone = Milestone(
        plan_id=plan.id, title=title.strip()[:200], due_date=due_date, created_at=now
    )
    session.add(milestone)
    await session.flush()
    await record(
        session,
        plan=plan,
        person=person,
        action="milestone.add",
        detail=_milestone_detail(milestone),
        now=now,
        staff=staff,
    )
    await _replan(session, milestone, person, now)
    return milestone


async def update_milestone(
    session: AsyncSession,
    *,
    person: YoungPerson,
    milestone_id: int,
    now: datetime,
    staff: StaffMember | None = None,
    title: str | None = None,
    due_date: date | None = None,
    clear_due_date: bool = False,
    status: str | None = None,
) -> Milestone:
    """Change a milestone's title, due date or status."""
    plan, milestone = await milestone_of(session, person=person, milestone_id=milestone_id)
    if title is not None:
        milestone.title = title.strip()[:200]
    if due_date is not None or clear_due_date:
        milestone.due_date = due_date
        milestone.overdue_flagged_at = None
    if status is not None:
        if status not in MILESTONE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(MILESTONE_STATUSES)}")
        milestone.status = status
        milestone.done_at = now if status == "done" else None
    session.add(milestone)
    await record(
        session,
        plan=plan,
        person=person,
        action="milestone.change",
        detail=_milestone_detail(milestone),
        now=now,
        staff=staff,
    )
    await _replan(session, milestone, person, now)
    return milestone


async def mark_done(
    session: AsyncSession,
    *,
    person: YoungPerson,
    milestone: Milestone,
    now: datetime,
    actor: str = "young_person",
    staff: StaffMember | None = None,
) -> Milestone:
    """Mark a milestone done (from the chat or by staff); its reminders stop."""
    plan = await session.get(Plan, milestone.plan_id)
    assert plan is not None
    milestone.status = "done"
    milestone.done_at = now
    session.add(milestone)
    await record(
        session,
        plan=plan,
        person=person,
        action="milestone.done",
        detail=milestone.title,
        now=now,
        staff=staff,
        actor=actor,
    )
    await _replan(session, milestone, person, now)
    return milestone


async def add_appointment(
    session: AsyncSession,
    *,
    person: YoungPerson,
    starts_at: datetime,
    place: str,
    with_whom: str = "",
    bring: str = "",
    now: datetime,
    staff: StaffMember | None = None,
) -> Appointment:
    """Book an appointment and plan its reminders."""
    plan = await ensure_plan(session, person=person, now=now)
    assert plan.id is not None
    appointment = Appointment(
        plan_id=plan.id,
        starts_at=starts_at,
        place=place.strip()[:200],
        with_whom=with_whom.strip()[:100],
        bring=bring.strip()[:200],
        created_at=now,
    )
    session.add(appointment)
    await session.flush()
    await record(
        session,
        plan=plan,
        person=person,
        action="appointment.add",
        detail=_appointment_detail(appointment),
        now=now,
        staff=staff,
    )
    await _replan(session, appointment, person, now)
    return appointment


async def update_appointment(
    session: AsyncSession,
    *,
    person: YoungPerson,
    appointment_id: int,
    now: datetime,
    staff: StaffMember | None = None,
    actor: str | None = None,
    starts_at: datetime | None = None,
    place: str | None = None,
    with_whom: str | None = None,
    bring: str | None = None,
    status: str | None = None,
    action: str = "appointment.change",
    note: str = "",
) -> Appointment:
    """Move, re-place or change the status of an appointment; reminders follow.

    `action` names the history entry ('appointment.moved' when a young person took a free time).
    """
    plan, appointment = await appointment_of(session, person=person, appointment_id=appointment_id)
    if starts_at is not None:
        if starts_at != appointment.starts_at:
            # A new time may be missed again: "Vi savnede dig" may go out once for it.
            appointment.missed_notice_at = None
        appointment.starts_at = starts_at
    if place is not None:
        appointment.place = place.strip()[:200]
    if with_whom is not None:
        appointment.with_whom = with_whom.strip()[:100]
    if bring is not None:
        appointment.bring = bring.strip()[:200]
    if status is not None:
        if status not in APPOINTMENT_STATUSES:
            raise ValueError(f"status must be one of {', '.join(APPOINTMENT_STATUSES)}")
        appointment.status = status
    session.add(appointment)
    await record(
        session,
        plan=plan,
        person=person,
        action=action,
        detail=f"{_appointment_detail(appointment)} {note}".strip(),
        now=now,
        staff=staff,
        actor=actor,
    )
    await _replan(session, appointment, person, now)
    return appointment


async def milestone_of(
    session: AsyncSession, *, person: YoungPerson, milestone_id: int
) -> tuple[Plan, Milestone]:
    """A milestone of this young person's plan, or NotFound."""
    plan = await get_plan(session, person_id=person.id or 0)
    milestone = await session.get(Milestone, milestone_id)
    if plan is None or milestone is None or milestone.plan_id != plan.id:
        raise NotFound("milestone")
    return plan, milestone


async def appointment_of(
    session: AsyncSession, *, person: YoungPerson, appointment_id: int
) -> tuple[Plan, Appointment]:
    """An appointment of this young person's plan, or NotFound."""
    plan = await get_plan(session, person_id=person.id or 0)
    appointment = await session.get(Appointment, appointment_id)
    if plan is None or appointment is None or appointment.plan_id != plan.id:
        raise NotFound("appointment")
    return plan, appointment


async def history(session: AsyncSession, *, plan_id: int, limit: int = 200) -> list[PlanEvent]:
    """The plan's changes, newest first."""
    result = await session.exec(
        select(PlanEvent)
        .where(PlanEvent.plan_id == plan_id)
        .order_by(col(PlanEvent.at).desc(), col(PlanEvent.id).desc())
        .limit(limit)
    )
    return list(result.all())


async def all_milestones(session: AsyncSession, *, plan_id: int) -> list[Milestone]:
    """Every milestone of a plan, by due date."""
    result = await session.exec(
        select(Milestone)
        .where(Milestone.plan_id == plan_id)
        .order_by(col(Milestone.due_date).asc().nulls_last(), col(Milestone.id))
    )
    return list(result.all())


async def all_appointments(session: AsyncSession, *, plan_id: int) -> list[Appointment]:
    """Every appointment of a plan, by time."""
    result = await session.exec(
        select(Appointment)
        .where(Appointment.plan_id == plan_id)
        .order_by(col(Appointment.starts_at), col(Appointment.id))
    )
    return list(result.all())


async def _municipality(session: AsyncSession, person: YoungPerson) -> Municipality:
    municipality = await session.get(Municipality, person.municipality_id)
    assert municipality is not None
    return municipality


async def _replan(
    session: AsyncSession, item: Milestone | Appointment, person: YoungPerson, now: datetime
) -> None:
    """Plan the reminders of a milestone or an appointment again after it changed."""
    municipality = await _municipality(session, person)
    if isinstance(item, Milestone):
        await reminders.plan_milestone(
            session, milestone=item, person=person, municipality=municipality, now=now
        )
    else:
        await reminders.plan_appointment(
            session, appointment=item, person=person, municipality=municipality, now=now
        )


def _milestone_detail(milestone: Milestone) -> str:
    due = milestone.due_date.isoformat() if milestone.due_date else "-"
    return f"#{milestone.id} {milestone.title} (due {due}, {milestone.status})"


def _appointment_detail(appointment: Appointment) -> str:
    return (
        f"#{appointment.id} {appointment.starts_at.isoformat()} {appointment.place}"
        f" ({appointment.status})"
    )
