"""Check-in cadence, answers and risk flags."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkins.models import Checkin, CheckinSchedule
from bot.checkins.risk import rules
from bot.handoff import service as handoffs
from bot.handoff.models import Handoff
from bot.municipalities.models import Municipality
from bot.people.models import YoungPerson

log = structlog.get_logger(__name__)
WEEK = 7


def next_time(
    schedule: CheckinSchedule, *, after: datetime, zone: ZoneInfo, after_send: bool = False
) -> datetime:
    """The next local (weekday, hour) after `after`, as UTC; DST-safe wall-clock arithmetic."""
    local = after.astimezone(zone)
    at = time(schedule.hour, 0)
    if schedule.cadence_days % WEEK == 0:
        day = local.date() + timedelta(days=(schedule.weekday - local.weekday()) % WEEK)
        step = WEEK
    else:
        day, step = local.date(), 1
    candidate = datetime.combine(day, at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(day + timedelta(days=step), at, tzinfo=zone)
    if after_send and schedule.cadence_days > step:
        extra = datetime.combine(
            candidate.date() + timedelta(days=schedule.cadence_days - step), at, tzinfo=zone
        )
        candidate = extra
    return candidate.astimezone(ZoneInfo("UTC"))


async def ensure_schedule(
    session: AsyncSession, *, person: YoungPerson, municipality: Municipality, now: datetime
) -> CheckinSchedule:
    """The young person's schedule; a new one is weekly on the default afternoon."""
    assert person.id is not None
    schedule = await session.get(CheckinSchedule, person.id)
    if schedule is None:
        schedule = CheckinSchedule(young_person_id=person.id)
        schedule.next_at = next_time(schedule, after=now, zone=ZoneInfo(municipality.timezone))
        session.add(schedule)
        await session.flush()
    return schedule


async def set_schedule(
    session: AsyncSession,
    *,
    person: YoungPerson,
    municipality: Municipality,
    now: datetime,
    cadence_days: int | None = None,
    weekday: int | None = None,
    hour: int | None = None,
    paused: bool | None = None,
) -> CheckinSchedule:
    """Change the cadence (the contact person) or the day (the young person)."""
    schedule = await ensure_schedule(session, person=person, municipality=municipality, now=now)
    if cadence_days is not None:
        schedule.cadence_days = cadence_days
    if weekday is not None:
        schedule.weekday = weekday
    if hour is not None:
        schedule.hour = hour
    if paused is not None:
        schedule.paused = paused
    schedule.next_at = (
        None
        if schedule.paused
        else next_time(schedule, after=now, zone=ZoneInfo(municipality.timezone))
    )
    session.add(schedule)
    return schedule


async def current(
    session: AsyncSession, *, person_id: int, checkin_id: int | None
) -> Checkin | None:
    """The check-in being answered: the one the young person was asked last."""
    if checkin_id:
        found = await session.get(Checkin, checkin_id)
        if found is not None and found.young_person_id == person_id:
            return found
    return None


async def answer_score(
    session: AsyncSession,
    *,
    person: YoungPerson,
    checkin: Checkin | None,
    score: int,
    now: datetime,
) -> Checkin:
    """Store a 1-5 answer; a low streak raises the risk flag."""
    assert person.id is not None
    if checkin is None:
        checkin = Checkin(young_person_id=person.id, sent_at=now)
    checkin.score = max(1, min(5, score))
    checkin.answered_at = now
    session.add(checkin)
    await session.flush()
    scores = await recent_scores(session, person_id=person.id)
    if rules().low_streak(scores):
        await raise_risk(session, person=person, reason=rules().low_scores.reason, now=now)
    return checkin


async def answer_text(
    session: AsyncSession, *, person: YoungPerson, checkin: Checkin | None, text: str, now: datetime
) -> bool:
    """Store the optional free text; True when it raised the risk flag."""
    if checkin is not None:
        checkin.text = text[:500]
        checkin.answered_at = checkin.answered_at or now
        session.add(checkin)
    if rules().mentions_stopping(text):
        await raise_risk(session, person=person, reason=rules().words.reason, now=now)
        return True
    return False


async def recent_scores(
    session: AsyncSession, *, person_id: int, limit: int = 10
) -> list[int | None]:
    """The newest answered scores, newest first."""
    result = await session.exec(
        select(Checkin.score)
        .where(Checkin.young_person_id == person_id, col(Checkin.score).is_not(None))
        .order_by(col(Checkin.answered_at).desc(), col(Checkin.id).desc())
        .limit(limit)
    )
    return list(result.all())


async def raise_risk(
    session: AsyncSession, *, person: YoungPerson, reason: str, now: datetime
) -> Handoff:
    """Flag the young person and hand the conversation to the contact person, with the reason."""
    person.risk_flag_at = now
    person.risk_reason = reason[:200]
    session.add(person)
    log.info("checkin.risk", young_person_id=person.id)
    return await handoffs.open_handoff(session, person=person, reason="risk", detail=reason)


async def silent_streak(session: AsyncSession, *, person: YoungPerson) -> bool:
    """True when the newest check-ins all went unanswered and that is not yet flagged."""
    assert person.id is not None
    needed = rules().no_answer.in_a_row
    result = await session.exec(
        select(Checkin)
        .where(Checkin.young_person_id == person.id)
        .order_by(col(Checkin.sent_at).desc(), col(Checkin.id).desc())
        .limit(needed)
    )
    recent = list(result.all())
    if not rules().silent_streak([c.answered_at is not None for c in recent]):
        return False
    first = recent[-1].sent_at
    return person.risk_flag_at is None or person.risk_flag_at < first


async def history(session: AsyncSession, *, person_id: int, limit: int = 200) -> list[Checkin]:
    """The check-ins sent and their answers, oldest first (numbers over time)."""
    result = await session.exec(
        select(Checkin)
        .where(Checkin.young_person_id == person_id)
        .order_by(col(Checkin.sent_at).desc(), col(Checkin.id).desc())
        .limit(limit)
    )
    return list(reversed(result.all()))
