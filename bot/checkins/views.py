"""Staff JSON API for check-ins: the cadence, and the answers as numbers over time."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from bot.audit import service as audit
from bot.checkins import service
from bot.checkins.models import CheckinSchedule
from bot.clock import utcnow
from bot.municipalities.models import Municipality
from bot.plans.views import person_of
from bot.staff.deps import CurrentStaff, SessionDep

router = APIRouter(prefix="/api/young", tags=["checkins"])


class ScheduleIn(BaseModel):
    """The cadence the contact person sets; leave out what stays."""

    cadence_days: int | None = Field(default=None, ge=1, le=60)
    weekday: int | None = Field(default=None, ge=0, le=6)
    hour: int | None = Field(default=None, ge=8, le=20)
    paused: bool | None = None


class ScheduleOut(BaseModel):
    """The cadence and when the next check-in goes out."""

    cadence_days: int
    weekday: int
    hour: int
    paused: bool
    next_at: datetime | None


class CheckinOut(BaseModel):
    """One check-in: when it was asked, the 1-5 answer and the optional text."""

    id: int
    sent_at: datetime
    score: int | None
    text: str | None
    answered_at: datetime | None


class CheckinsOut(BaseModel):
    """The schedule, the risk flag and the answers, oldest first."""

    young_person_id: int
    schedule: ScheduleOut | None
    risk_flag_at: datetime | None
    risk_reason: str | None
    checkins: list[CheckinOut]


def _schedule(s: CheckinSchedule | None) -> ScheduleOut | None:
    if s is None:
        return None
    return ScheduleOut(
        cadence_days=s.cadence_days,
        weekday=s.weekday,
        hour=s.hour,
        paused=s.paused,
        next_at=s.next_at,
    )


@router.get("/{person_id}/checkins", response_model=CheckinsOut)
async def read_checkins(person_id: int, staff: CurrentStaff, session: SessionDep) -> CheckinsOut:
    """The check-in history (the read is audited)."""
    person = await person_of(session, staff, person_id)
    await audit.record(session, staff=staff, young_person_id=person_id, action="read_checkins")
    rows = await service.history(session, person_id=person_id)
    return CheckinsOut(
        young_person_id=person_id,
        schedule=_schedule(await session.get(CheckinSchedule, person_id)),
        risk_flag_at=person.risk_flag_at,
        risk_reason=person.risk_reason,
        checkins=[
            CheckinOut(
                id=c.id or 0,
                sent_at=c.sent_at,
                score=c.score,
                text=c.text,
                answered_at=c.answered_at,
            )
            for c in rows
        ],
    )


@router.put("/{person_id}/checkins/schedule", response_model=ScheduleOut)
async def put_schedule(
    person_id: int, body: ScheduleIn, staff: CurrentStaff, session: SessionDep
) -> ScheduleOut:
    """Set the cadence (and audit the change)."""
    person = await person_of(session, staff, person_id)
    municipality = await session.get(Municipality, person.municipality_id)
    assert municipality is not None
    schedule = await service.set_schedule(
        session,
        person=person,
        municipality=municipality,
        now=utcnow(),
        **body.model_dump(exclude_none=True),
    )
    await audit.record(
        session,
        staff=staff,
        young_person_id=person_id,
        action="checkins.schedule",
        detail=body.model_dump_json(exclude_none=True),
    )
    result = _schedule(schedule)
    assert result is not None
    return result
