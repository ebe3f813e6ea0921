"""The staff JSON API for plans and check-ins: own municipality only, every change recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import select

from bot.app import create_app
from bot.audit.models import AuditEvent
from bot.clock import clock
from bot.database import Database
from bot.plans.models import PlanEvent
from bot.reminders.models import Reminder
from bot.settings import Settings
from bot.staff.service import create_session
from tests.world import OnePerson, local, one_person


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    clock.set(local(2026, 3, 6, 12))
    app = create_app(
        Settings(_env_file=None, database_url=db.url, demo_data=False), run_workers=False
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
    await app.state.db.dispose()
    clock.reset()


async def _token(db: Database, world: OnePerson) -> dict[str, str]:
    async with db.session() as session:
        token, _row = await create_session(session, staff_id=world.staff_id, now=clock.now())
    return {"Authorization": f"Bearer {token}"}


async def test_staff_build_a_plan_and_every_change_is_recorded(
    db: Database, client: httpx.AsyncClient
) -> None:
    world = await one_person(db)
    auth = await _token(db, world)
    base = f"/api/young/{world.person_id}/plan"
    goal = await client.put(f"{base}/goal", json={"goal": "Starte på tømrer"}, headers=auth)
    assert goal.status_code == 200 and goal.json()["goal"] == "Starte på tømrer"
    milestone = await client.post(
        f"{base}/milestones", headers=auth, json={"title": "Søg ind", "due_date": "2026-03-20"}
    )
    assert milestone.status_code == 201
    meeting = await client.post(
        f"{base}/appointments",
        headers=auth,
        json={"starts_at": "2026-03-10T10:00:00+01:00", "place": "Torvet 1", "with_whom": "Mette"},
    )
    assert meeting.status_code == 201
    moved = await client.patch(
        f"{base}/appointments/{meeting.json()['id']}",
        headers=auth,
        json={"starts_at": "2026-03-11T09:00:00+01:00"},
    )
    assert moved.status_code == 200
    done = await client.patch(
        f"{base}/milestones/{milestone.json()['id']}", headers=auth, json={"status": "done"}
    )
    assert done.json()["status"] == "done" and done.json()["done_at"] is not None
    plan = (await client.get(base, headers=auth)).json()
    assert [a["starts_at"] for a in plan["appointments"]] == ["2026-03-11T08:00:00Z"]
    actions = [e["action"] for e in plan["history"]]
    assert actions == [
        "milestone.change",
        "appointment.change",
        "appointment.add",
        "milestone.add",
        "goal.set",
    ]
    assert {e["staff_id"] for e in plan["history"]} == {world.staff_id}
    async with db.session() as session:
        audit = [
            a.action for a in (await session.exec(select(AuditEvent).order_by(AuditEvent.id))).all()
        ]
        assert audit[-1] == "read_plan"
        assert audit.count("plan.appointment.change") == 1
        reminders = (
            await session.exec(select(Reminder).where(Reminder.kind == "appointment"))
        ).all()
        assert {r.offset_key: r.due_at for r in reminders} == {
            "3d@16:00": local(2026, 3, 8, 16),
            "1d@16:00": local(2026, 3, 10, 16),
        }


async def test_other_municipality_gets_404_and_nothing_changes(
    db: Database, client: httpx.AsyncClient
) -> None:
    ours = await one_person(db)
    theirs = await one_person(db, code="other", address="visitor-2")
    auth = await _token(db, theirs)
    base = f"/api/young/{ours.person_id}"
    for method, path, body in [
        ("GET", "/plan", None),
        ("PUT", "/plan/goal", {"goal": "x"}),
        ("POST", "/plan/milestones", {"title": "x"}),
        ("GET", "/checkins", None),
        ("POST", "/plan/appointments", {"starts_at": "2026-03-10T10:00:00Z", "place": "x"}),
    ]:
        response = await client.request(method, base + path, json=body, headers=auth)
        assert response.status_code == 404, (method, path)
    assert (await client.get(f"{base}/plan")).status_code == 401
    async with db.session() as session:
        assert (await session.exec(select(PlanEvent))).first() is None
        assert (await session.exec(select(AuditEvent))).first() is None


async def test_naive_time_is_refused(db: Database, client: httpx.AsyncClient) -> None:
    world = await one_person(db)
    auth = await _token(db, world)
    response = await client.post(
        f"/api/young/{world.person_id}/plan/appointments",
        headers=auth,
        json={"starts_at": "2026-03-10T10:00:00", "place": "Torvet 1"},
    )
    assert response.status_code == 422


async def test_openapi_describes_the_models(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "/api/young/{person_id}/plan/appointments" in spec["paths"]
    assert "/api/young/{person_id}/checkins" in spec["paths"]
    schemas = spec["components"]["schemas"]
    assert {"PlanOut", "AppointmentIn", "MilestoneOut", "CheckinsOut", "ScheduleIn"} <= set(schemas)
