"""The staff JSON API follows the inbox's rules: a contact person sees only their own young
people and their team's open handoffs; team leads see the municipality; cookies need CSRF."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from fastapi import FastAPI
from sqlmodel import select

from bot.audit.models import AuditEvent
from bot.clock import utcnow
from bot.database import Database
from bot.plans.models import Plan
from bot.staff.service import create_session
from tests.fixtures.inbox import Staff, client
from tests.world import TwoTowns

SignedIn = Callable[[str], Awaitable[Staff]]


async def _bearer(db: Database, staff_id: int) -> dict[str, str]:
    async with db.session() as session:
        token, _ = await create_session(session, staff_id=staff_id, now=utcnow())
    return {"Authorization": f"Bearer {token}"}


async def _audited(db: Database, person_id: int, staff_id: int) -> list[str]:
    async with db.session() as session:
        return list(
            (
                await session.exec(
                    select(AuditEvent.action).where(
                        AuditEvent.young_person_id == person_id, AuditEvent.staff_id == staff_id
                    )
                )
            ).all()
        )


# Sofie's contact person is Mette (team Nord); her open handoff is assigned to Mette.
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("mette", 200),  # her own young person
        ("nora", 200),  # same team, open handoff
        ("ali", 200),  # team lead
        ("jonas", 404),  # contact person in another team
        ("berit", 404),  # another municipality
    ],
)
@pytest.mark.parametrize("path", ["plan", "checkins", "channels"])
async def test_reads_follow_the_inbox_visibility(
    app: FastAPI, world: TwoTowns, db: Database, who: str, status: int, path: str
) -> None:
    sofie = world.people["sofie"]
    auth = await _bearer(db, world.staff[who])
    async with client(app) as http:
        answer = await http.get(f"/api/young/{sofie}/{path}", headers=auth)
    assert answer.status_code == status
    assert bool(await _audited(db, sofie, world.staff[who])) is (status == 200)


async def test_contact_person_of_another_team_cannot_change_the_plan(
    app: FastAPI, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    auth = await _bearer(db, world.staff["jonas"])
    async with client(app) as http:
        goal = await http.put(
            f"/api/young/{sofie}/plan/goal", json={"goal": "Noget andet"}, headers=auth
        )
        milestone = await http.post(
            f"/api/young/{sofie}/plan/milestones", json={"title": "Nyt"}, headers=auth
        )
    assert (goal.status_code, milestone.status_code) == (404, 404)
    async with db.session() as session:
        plan = (await session.exec(select(Plan).where(Plan.young_person_id == sofie))).one()
    assert plan.goal == "Komme i lære"


async def test_cookie_session_needs_the_csrf_header_to_change_anything(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    url = f"/api/young/{sofie}/plan/goal"
    forged = await mette.put(url, json={"goal": "Forfalsket"})
    wrong = await mette.put(url, json={"goal": "Forfalsket"}, headers={"X-CSRF-Token": "x"})
    read = await mette.get(f"/api/young/{sofie}/plan")
    assert (forged.status_code, wrong.status_code, read.status_code) == (403, 403, 200)
    assert read.json()["goal"] == "Komme i lære"
    honest = await mette.put(url, json={"goal": "Tømrer"}, headers={"X-CSRF-Token": mette.csrf})
    assert honest.status_code == 200 and honest.json()["goal"] == "Tømrer"
