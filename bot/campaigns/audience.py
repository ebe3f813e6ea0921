"""A campaign's audience as one SQL condition on young people, streamed in pages.

The filter runs in the database (never every young person in memory), and the same
condition counts the audience while staff build it and picks the recipients at send time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, false, func, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.campaigns.spec import AgeRange, Condition, MilestoneTag
from bot.database import Database
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans.models import Appointment, Milestone, Plan
from bot.staff.models import StaffMember

LIVE_APPOINTMENT = ("planned", "confirmed")


def where(condition: Condition, *, now: datetime, zone: ZoneInfo) -> ColumnElement[bool]:
    """The SQL condition on `young_person` for one audience condition."""
    today = now.astimezone(zone).date()
    if condition.all is not None:
        return and_(true(), *(where(c, now=now, zone=zone) for c in condition.all))
    if condition.any is not None:
        return or_(false(), *(where(c, now=now, zone=zone) for c in condition.any))
    if condition.not_ is not None:
        return not_(where(condition.not_, now=now, zone=zone))
    if condition.age is not None:
        return _age(condition.age, today)
    if condition.status is not None:
        return col(YoungPerson.status).in_(condition.status)
    if condition.language is not None:
        return col(YoungPerson.language).in_(condition.language)
    if condition.channel is not None:
        return exists().where(
            col(ChannelIdentity.young_person_id) == YoungPerson.id,
            col(ChannelIdentity.channel).in_(condition.channel),
        )
    if condition.team is not None:
        return exists().where(
            col(StaffMember.id) == YoungPerson.contact_person_id,
            col(StaffMember.team) == condition.team,
        )
    if condition.contact_person is not None:
        return exists().where(
            col(StaffMember.id) == YoungPerson.contact_person_id,
            func.lower(col(StaffMember.email)) == condition.contact_person.strip().lower(),
        )
    if condition.milestone is not None:
        return _milestone(condition.milestone, today)
    if condition.appointment_within_days is not None:
        return exists().where(
            col(Plan.young_person_id) == YoungPerson.id,
            col(Appointment.plan_id) == Plan.id,
            col(Appointment.status).in_(LIVE_APPOINTMENT),
            col(Appointment.starts_at) >= now,
            col(Appointment.starts_at) < now + timedelta(days=condition.appointment_within_days),
        )
    if condition.risk_flag is not None:
        flagged = col(YoungPerson.risk_flag_at).is_not(None)
        return flagged if condition.risk_flag else not_(flagged)
    if condition.no_contact_days is not None:
        since = now - timedelta(days=condition.no_contact_days)
        return not_(
            exists().where(
                col(ChannelIdentity.young_person_id) == YoungPerson.id,
                col(ChannelIdentity.last_inbound_at) >= since,
            )
        )
    raise ValueError("an audience condition with no test")  # the spec refuses this


def _age(band: AgeRange, today: date) -> ColumnElement[bool]:
    # With only a birth year a person is one of two ages; the band includes either (errs wide).
    tests: list[ColumnElement[bool]] = []
    exact = col(YoungPerson.birth_date).is_not(None)
    by_year = and_(col(YoungPerson.birth_date).is_(None), col(YoungPerson.birth_year).is_not(None))
    if band.min is not None:
        latest_birth = _years_before(today, band.min)
        tests.append(
            or_(
                and_(exact, col(YoungPerson.birth_date) <= latest_birth),
                and_(by_year, col(YoungPerson.birth_year) <= today.year - band.min),
            )
        )
    if band.max is not None:
        earliest_birth = _years_before(today, band.max + 1) + timedelta(days=1)
        tests.append(
            or_(
                and_(exact, col(YoungPerson.birth_date) >= earliest_birth),
                and_(by_year, col(YoungPerson.birth_year) >= today.year - band.max - 1),
            )
        )
    return and_(or_(exact, by_year), *tests)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _milestone(test: MilestoneTag, today: date) -> ColumnElement[bool]:
    state: list[ColumnElement[bool]]
    if test.state == "done":
        state = [col(Milestone.status) == "done"]
    elif test.state == "overdue":
        state = [col(Milestone.status) == "open", col(Milestone.due_date) < today]
    else:
        state = [col(Milestone.status) == "open"]
    return exists().where(
        col(Plan.young_person_id) == YoungPerson.id,
        col(Milestone.plan_id) == Plan.id,
        col(Milestone.tag) == test.tag,
        *state,
    )


def audience_query(
    condition: Condition, *, municipality_id: int, now: datetime, zone: ZoneInfo
) -> Any:
    """Select the ids of the young people of a municipality that the condition picks."""
    return select(YoungPerson.id).where(
        col(YoungPerson.municipality_id) == municipality_id, where(condition, now=now, zone=zone)
    )


async def count(
    session: AsyncSession,
    condition: Condition,
    *,
    municipality_id: int,
    now: datetime,
    zone: ZoneInfo,
) -> int:
    """How many young people the audience holds now (for the count beside the filter)."""
    ids = audience_query(condition, municipality_id=municipality_id, now=now, zone=zone)
    return int((await session.exec(select(func.count()).select_from(ids.subquery()))).one())


async def pages(
    db: Database,
    condition: Condition,
    *,
    municipality_id: int,
    now: datetime,
    zone: ZoneInfo,
    size: int = 1000,
) -> AsyncIterator[list[int]]:
    """The audience's ids in ascending pages (keyset), each read in its own short session."""
    after = 0
    while True:
        query = (
            audience_query(condition, municipality_id=municipality_id, now=now, zone=zone)
            .where(col(YoungPerson.id) > after)
            .order_by(col(YoungPerson.id))
            .limit(size)
        )
        async with db.session() as session:
            ids = [int(i) for i in (await session.exec(query)).all()]
        if not ids:
            return
        yield ids
        after = ids[-1]
        if len(ids) < size:
            return
