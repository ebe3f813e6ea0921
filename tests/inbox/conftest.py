"""Two municipalities with staff and young people, and signed-in HTTP clients for the inbox."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from bot.app import create_app
from bot.database import Database
from bot.handoff.models import Handoff
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans.models import Appointment, Milestone, Plan
from bot.settings import Settings
from bot.staff.service import hash_password
from bot.tenants.models import Municipality, StaffMember

PASSWORD = "rigtig-kode-1234"
_HASH = hash_password(PASSWORD)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    """Ids of everything the inbox tests use."""

    staff: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    towns: dict[str, int] = field(default_factory=dict)
    milestone_b: int = 0
    appointment_b: int = 0


async def build_world(db: Database, now: datetime) -> World:
    """Town A (Aby: Mette and Nora in team Nord, Jonas in Syd, Ali leads) and town B (Bby)."""
    world = World()
    async with db.session() as session:
        aby = Municipality(name="Aby Kommune", code="aby", sms_number="+4550000001")
        bby = Municipality(name="Bby Kommune", code="bby", sms_number="+4550000002")
        session.add_all([aby, bby])
        await session.flush()
        world.towns = {"aby": aby.id, "bby": bby.id}  # type: ignore[dict-item]
        staff = {
            "mette": StaffMember(municipality_id=aby.id, name="Mette Hansen",
                                 email="mette@aby.dk", team="Nord", password_hash=_HASH),
            "nora": StaffMember(municipality_id=aby.id, name="Nora Berg", email="nora@aby.dk",
                                team="Nord", password_hash=_HASH),
            "jonas": StaffMember(municipality_id=aby.id, name="Jonas Lund",
                                 email="jonas@aby.dk", team="Syd", password_hash=_HASH),
            "ali": StaffMember(municipality_id=aby.id, name="Ali Khan", email="ali@aby.dk",
                               role="team_lead", team="Nord", department="employment",
                               password_hash=_HASH),
            "berit": StaffMember(municipality_id=bby.id, name="Berit Bo", email="berit@bby.dk",
                                 team="Vest", password_hash=_HASH),
        }
        session.add_all(staff.values())
        await session.flush()
        world.staff = {k: v.id for k, v in staff.items()}  # type: ignore[misc]
        for key, town, contact, phone in (("sofie", aby, "mette", "+4520000001"),
                                          ("bo", bby, "berit", "+4520000002")):
            person = YoungPerson(municipality_id=town.id, first_name=key.title(),
                                 birth_year=2007, contact_person_id=world.staff[contact])
            session.add(person)
            await session.flush()
            assert person.id is not None
            world.people[key] = person.id
            session.add(ChannelIdentity(young_person_id=person.id, channel="sms",
                                        address=phone, verified=True, last_inbound_at=now))
            plan = Plan(young_person_id=person.id, goal="Komme i lære")
            session.add(plan)
            await session.flush()
            milestone = Milestone(plan_id=plan.id, title="Skriv CV", due_date=date(2026, 4, 1))
            appointment = Appointment(plan_id=plan.id, starts_at=now + timedelta(days=2),
                                      place="Torvet 1")
            session.add_all([milestone, appointment])
            session.add(Handoff(young_person_id=person.id, reason="asked",
                                assignee_id=world.staff[contact],
                                opened_at=now - timedelta(hours=2)))
            await session.flush()
            if key == "bo":
                world.milestone_b, world.appointment_b = milestone.id, appointment.id  # type: ignore[assignment]
    return world


@pytest.fixture
async def world(db: Database, frozen_clock: datetime) -> World:
    """The two towns, built once per test."""
    return await build_world(db, frozen_clock)


def inbox_settings(db: Database, public_url: str = "https://indgang.example.dk") -> Settings:
    """Settings for an app on the test database, without demo data or channels."""
    return Settings(database_url=db.url, public_url=public_url, demo_data=False,  # type: ignore[arg-type]
                    secret_key="k" * 40)


@pytest.fixture
async def app(db: Database) -> AsyncIterator[FastAPI]:
    """The real app on the test database (web requests only; no lifespan with ASGITransport)."""
    application = create_app(inbox_settings(db), run_workers=False)
    yield application
    await application.state.db.dispose()


class Staff(httpx.AsyncClient):
    """An HTTP client signed in as one staff member, knowing its CSRF token."""

    csrf: str = ""

    async def form(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        """POST a form with the CSRF token."""
        return await self.post(path, data={"csrf_token": self.csrf, **(data or {})})


def client(app: FastAPI) -> Staff:
    """A client talking to the app in-process over https."""
    return Staff(transport=httpx.ASGITransport(app=app), base_url="https://indgang.example.dk")


async def sign_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """GET the sign-in page (CSRF cookie) and post the form."""
    page = await http.get("/inbox/login")
    token = CSRF.search(page.text)
    assert token is not None
    return await http.post("/inbox/login", data={"email": email, "password": password,
                                                 "csrf_token": token.group(1)})


@pytest.fixture
async def signed_in(app: FastAPI, world: World) -> AsyncIterator[Callable[[str], Awaitable[Staff]]]:
    """Make clients signed in as a named staff member of the world."""
    made: list[Staff] = []

    async def make(name: str) -> Staff:
        http = client(app)
        made.append(http)
        answer = await sign_in(http, f"{name}@{'bby' if name == 'berit' else 'aby'}.dk")
        assert answer.status_code == 303, answer.text
        page = await http.get("/inbox/me")
        found = CSRF.search(page.text)
        assert found is not None
        http.csrf = found.group(1)
        return http

    yield make
    for http in made:
        await http.aclose()


def at(hour: int, minute: int = 0, day: int = 3) -> datetime:
    """A UTC time in March 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)
