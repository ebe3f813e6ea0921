"""Every route that takes a young person's id answers 404 to another municipality.

The routes are discovered from the app itself, so a route added later is checked without
anyone remembering to add it to a list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import select

from bot.audit.models import AuditEvent
from bot.clock import utcnow
from bot.conversation.models import Message
from bot.database import Database
from bot.plans.models import Appointment, Milestone, Plan, PlanEvent
from bot.staff.service import create_session
from tests.fixtures.inbox import Staff
from tests.security.routes import call_person_route, person_routes
from tests.world import TwoTowns

SignedIn = Callable[[str], Awaitable[Staff]]


async def _snapshot(db: Database, person_id: int) -> tuple[Any, ...]:
    async with db.session() as session:

        def count(model: Any, *where: Any) -> Any:
            return session.exec(select(func.count()).select_from(model).where(*where))

        return (
            (await count(AuditEvent, AuditEvent.young_person_id == person_id)).one(),
            (await count(Message, Message.young_person_id == person_id)).one(),
            (await count(PlanEvent)).one(),
            (await count(Milestone)).one(),
            (await count(Appointment)).one(),
            (await session.exec(select(Plan.goal).where(Plan.young_person_id == person_id))).all(),
        )


def test_the_route_discovery_finds_the_inbox_and_the_api(app: FastAPI) -> None:
    found = person_routes(app)
    assert len(found) >= 25
    assert ("GET", "/inbox/people/{person_id}/conversation") in found
    assert ("PUT", "/api/young/{person_id}/plan/goal") in found


@pytest.mark.parametrize("who", ["mette", "ali"])  # a contact person and a team lead of Aby
async def test_every_person_route_is_404_for_another_municipality(
    app: FastAPI, world: TwoTowns, db: Database, signed_in: SignedIn, who: str
) -> None:
    bo = world.people["bo"]  # a young person in Bby
    staff = await signed_in(who)
    async with db.session() as session:
        token, _ = await create_session(session, staff_id=world.staff[who], now=utcnow())
    bearer = {"Authorization": f"Bearer {token}"}
    before = await _snapshot(db, bo)
    answers = {}
    for method, template in person_routes(app):
        path = template.format(
            person_id=bo,
            milestone_id=world.milestone_b,
            appointment_id=world.appointment_b,
            message_id=1,
        )
        answers[(method, template)] = await call_person_route(staff, method, template, path, bearer)
    assert {route: status for route, status in answers.items() if status != 404} == {}
    assert await _snapshot(db, bo) == before, "nothing read into the audit trail or changed"
