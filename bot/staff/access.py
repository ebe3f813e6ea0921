"""Which young people a staff member may see: one rule for the inbox pages and the JSON API."""

from __future__ import annotations

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handoff.models import OPEN_STATUSES, Handoff
from bot.people.models import YoungPerson
from bot.staff.models import StaffMember

LEAD_ROLES = ("team_lead", "admin")


def team_ids(staff: StaffMember):  # type: ignore[no-untyped-def]
    """Staff ids in the staff member's team (just them when they have no team)."""
    if not staff.team:
        return select(StaffMember.id).where(StaffMember.id == staff.id)
    return select(StaffMember.id).where(
        StaffMember.municipality_id == staff.municipality_id, StaffMember.team == staff.team
    )


def open_for_team(staff: StaffMember):  # type: ignore[no-untyped-def]
    """Young people with an open handoff the staff member's team may answer."""
    team = team_ids(staff)
    return (
        select(Handoff.young_person_id)
        .join(YoungPerson, col(YoungPerson.id) == Handoff.young_person_id)
        .where(
            col(Handoff.status).in_(OPEN_STATUSES),
            or_(
                col(Handoff.assignee_id).is_(None),
                col(Handoff.assignee_id).in_(team),
                col(YoungPerson.contact_person_id).in_(team),
            ),
        )
    )


def visible_people(staff: StaffMember):  # type: ignore[no-untyped-def]
    """A WHERE clause: own municipality; contact persons only their own and the team's open."""
    same_town = col(YoungPerson.municipality_id) == staff.municipality_id
    if staff.role in LEAD_ROLES:
        return same_town
    return and_(
        same_town,
        or_(
            col(YoungPerson.contact_person_id) == staff.id,
            col(YoungPerson.id).in_(open_for_team(staff)),
        ),
    )


async def visible_person(
    session: AsyncSession, staff: StaffMember, person_id: int
) -> YoungPerson | None:
    """The young person if this staff member may see them, else None (callers answer 404)."""
    result = await session.exec(
        select(YoungPerson).where(YoungPerson.id == person_id, visible_people(staff))
    )
    return result.first()
