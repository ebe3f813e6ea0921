"""Staff JSON API for a young person's plan: goal, milestones, appointments, history."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, HTTPException, Request
from pydantic import AwareDatetime, BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.clock import utcnow
from bot.people.models import YoungPerson
from bot.plans import changes
from bot.plans.models import Appointment, Milestone, PlanEvent
from bot.plans.service import get_plan
from bot.reminders import notices
from bot.staff import access
from bot.staff.deps import CurrentStaff, SessionDep
from bot.staff.models import StaffMember

router = APIRouter(prefix="/api/young", tags=["plans"])


class GoalIn(BaseModel):
    """The plan's goal."""

    goal: str = Field(min_length=1, max_length=300)


class MilestoneIn(BaseModel):
    """A new milestone."""

    title: str = Field(min_length=1, max_length=200)
    due_date: date | None = None


class MilestoneChange(BaseModel):
    """Fields to change on a milestone; leave out what stays."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    due_date: date | None = None
    clear_due_date: bool = False
    status: str | None = Field(default=None, pattern="^(open|done|dropped)$")


class AppointmentIn(BaseModel):
    """A new appointment; `starts_at` must carry its UTC offset."""

    starts_at: AwareDatetime
    place: str = Field(min_length=1, max_length=200)
    with_whom: str = Field(default="", max_length=100)
    bring: str = Field(default="", max_length=200)


class AppointmentChange(BaseModel):
    """Fields to change on an appointment; leave out what stays."""

    starts_at: AwareDatetime | None = None
    place: str | None = Field(default=None, min_length=1, max_length=200)
    with_whom: str | None = Field(default=None, max_length=100)
    bring: str | None = Field(default=None, max_length=200)
    status: str | None = Field(default=None, max_length=24)


class MilestoneOut(BaseModel):
    """A milestone as staff see it, with the overdue flag."""

    id: int
    title: str
    due_date: date | None
    status: str
    done_at: datetime | None
    overdue_flagged_at: datetime | None


class AppointmentOut(BaseModel):
    """An appointment as staff see it."""

    id: int
    starts_at: datetime
    place: str
    with_whom: str
    bring: str
    status: str
    missed_notice_at: datetime | None


class PlanEventOut(BaseModel):
    """One change in the plan's history: who, what, when."""

    id: int
    actor: str
    staff_id: int | None
    action: str
    detail: str
    at: datetime


class PlanOut(BaseModel):
    """The whole plan."""

    young_person_id: int
    goal: str
    milestones: list[MilestoneOut]
    appointments: list[AppointmentOut]
    history: list[PlanEventOut]


async def person_of(session: AsyncSession, staff: StaffMember, person_id: int) -> YoungPerson:
    """The young person if this staff member may see them (as in the inbox), else 404."""
    person = await access.visible_person(session, staff, person_id)
    if person is None:
        raise HTTPException(status_code=404, detail="Not found.")
    return person


def _milestone(m: Milestone) -> MilestoneOut:
    return MilestoneOut(
        id=m.id or 0,
        title=m.title,
        due_date=m.due_date,
        status=m.status,
        done_at=m.done_at,
        overdue_flagged_at=m.overdue_flagged_at,
    )


def _appointment(a: Appointment) -> AppointmentOut:
    return AppointmentOut(
        id=a.id or 0,
        starts_at=a.starts_at,
        place=a.place,
        with_whom=a.with_whom,
        bring=a.bring,
        status=a.status,
        missed_notice_at=a.missed_notice_at,
    )


def _event(e: PlanEvent) -> PlanEventOut:
    return PlanEventOut(
        id=e.id or 0, actor=e.actor, staff_id=e.staff_id, action=e.action, detail=e.detail, at=e.at
    )


async def _plan_out(session: AsyncSession, person: YoungPerson) -> PlanOut:
    plan = await get_plan(session, person_id=person.id or 0)
    if plan is None or plan.id is None:
        return PlanOut(
            young_person_id=person.id or 0, goal="", milestones=[], appointments=[], history=[]
        )
    return PlanOut(
        young_person_id=person.id or 0,
        goal=plan.goal,
        milestones=[_milestone(m) for m in await changes.all_milestones(session, plan_id=plan.id)],
        appointments=[
            _appointment(a) for a in await changes.all_appointments(session, plan_id=plan.id)
        ],
        history=[_event(e) for e in await changes.history(session, plan_id=plan.id)],
    )


@router.get("/{person_id}/plan", response_model=PlanOut)
async def read_plan(person_id: int, staff: CurrentStaff, session: SessionDep) -> PlanOut:
    """The plan with its history (the read is audited)."""
    person = await person_of(session, staff, person_id)
    await audit.record(session, staff=staff, young_person_id=person_id, action="read_plan")
    return await _plan_out(session, person)


@router.put("/{person_id}/plan/goal", response_model=PlanOut)
async def put_goal(
    person_id: int, body: GoalIn, staff: CurrentStaff, session: SessionDep
) -> PlanOut:
    """Set the goal."""
    person = await person_of(session, staff, person_id)
    await changes.set_goal(session, person=person, goal=body.goal, now=utcnow(), staff=staff)
    return await _plan_out(session, person)


@router.post("/{person_id}/plan/milestones", response_model=MilestoneOut, status_code=201)
async def post_milestone(
    person_id: int, body: MilestoneIn, staff: CurrentStaff, session: SessionDep
) -> MilestoneOut:
    """Add a milestone; its reminders are planned."""
    person = await person_of(session, staff, person_id)
    milestone = await changes.add_milestone(
        session, person=person, title=body.title, due_date=body.due_date, now=utcnow(), staff=staff
    )
    return _milestone(milestone)


@router.patch("/{person_id}/plan/milestones/{milestone_id}", response_model=MilestoneOut)
async def patch_milestone(
    person_id: int,
    milestone_id: int,
    body: MilestoneChange,
    staff: CurrentStaff,
    session: SessionDep,
) -> MilestoneOut:
    """Change a milestone; its reminders follow."""
    person = await person_of(session, staff, person_id)
    try:
        milestone = await changes.update_milestone(
            session,
            person=person,
            milestone_id=milestone_id,
            now=utcnow(),
            staff=staff,
            title=body.title,
            due_date=body.due_date,
            clear_due_date=body.clear_due_date,
            status=body.status,
        )
    except changes.NotFound:
        raise HTTPException(status_code=404, detail="Not found.") from None
    return _milestone(milestone)


@router.post("/{person_id}/plan/appointments", response_model=AppointmentOut, status_code=201)
async def post_appointment(
    request: Request, person_id: int, body: AppointmentIn, staff: CurrentStaff, session: SessionDep
) -> AppointmentOut:
    """Book an appointment; its reminders are planned and the young person is told once."""
    person = await person_of(session, staff, person_id)
    appointment = await notices.staff_book(
        session,
        person=person,
        staff=staff,
        engine=request.app.state.receiver.engine,
        now=utcnow(),
        starts_at=body.starts_at,
        place=body.place,
        with_whom=body.with_whom,
        bring=body.bring,
    )
    return _appointment(appointment)


@router.patch("/{person_id}/plan/appointments/{appointment_id}", response_model=AppointmentOut)
async def patch_appointment(
    request: Request,
    person_id: int,
    appointment_id: int,
    body: AppointmentChange,
    staff: CurrentStaff,
    session: SessionDep,
) -> AppointmentOut:
    """Move or change an appointment; its reminders follow, and a move or a cancellation is
    told to the young person once."""
    person = await person_of(session, staff, person_id)
    try:
        appointment = await notices.staff_change(
            session,
            person=person,
            appointment_id=appointment_id,
            staff=staff,
            engine=request.app.state.receiver.engine,
            now=utcnow(),
            starts_at=body.starts_at,
            place=body.place,
            with_whom=body.with_whom,
            bring=body.bring,
            status=body.status,
        )
    except changes.NotFound:
        raise HTTPException(status_code=404, detail="Not found.") from None
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return _appointment(appointment)
