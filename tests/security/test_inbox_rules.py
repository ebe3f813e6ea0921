"""Inbox gaps: unaudited reads of the conversation, inactive colleagues as contact or stand-in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlmodel import func, select

from bot.audit.models import AuditEvent
from bot.database import Database
from bot.people.models import YoungPerson
from bot.staff.models import StaffMember
from tests.fixtures.inbox import Staff
from tests.world import TwoTowns

SignedIn = Callable[[str], Awaitable[Staff]]


async def test_reading_the_message_list_is_audited(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    assert (await mette.get(f"/inbox/people/{sofie}/messages")).status_code == 200
    async with db.session() as session:
        events = (
            await session.exec(select(AuditEvent).where(AuditEvent.young_person_id == sofie))
        ).all()
    assert [(e.staff_id, e.action) for e in events] == [(world.staff["mette"], "view_messages")]


async def _deactivate(db: Database, staff_id: int) -> None:
    async with db.session() as session:
        staff = await session.get(StaffMember, staff_id)
        assert staff is not None
        staff.active = False
        session.add(staff)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/inbox/me/absence",
            {
                "absent_from": "2026-03-09T08:00",
                "absent_until": "2026-03-13T16:00",
                "stand_in_id": "{nora}",
            },
        ),
        (
            "/inbox/people",
            {
                "first_name": "Yasmin",
                "birth_year": "2008",
                "language": "da",
                "contact_person_id": "{nora}",
            },
        ),
    ],
)
async def test_an_inactive_colleague_cannot_be_picked(
    signed_in: SignedIn, world: TwoTowns, db: Database, path: str, data: dict[str, str]
) -> None:
    mette = await signed_in("mette")
    await _deactivate(db, world.staff["nora"])
    answer = await mette.form(
        path, {k: v.format(nora=world.staff["nora"]) for k, v in data.items()}
    )
    assert answer.status_code == 400
    async with db.session() as session:
        mette_row = await session.get(StaffMember, world.staff["mette"])
        created = (
            await session.exec(
                select(func.count())
                .select_from(YoungPerson)
                .where(YoungPerson.first_name == "Yasmin")
            )
        ).one()
    assert mette_row is not None and mette_row.stand_in_id is None and created == 0
