"""Demo data: a municipality, a contact person login, two young people with plans."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import utcnow
from bot.conversation.models import ConversationState
from bot.database import Database
from bot.municipalities.models import Municipality
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans.models import Appointment, FreeSlot, Milestone, Plan
from bot.reminders import planning as reminders
from bot.staff.models import StaffMember

DEMO_CODE = "demo"
DEMO_LOGIN = ("mette@demo.indgang.dk", "demo-kode-1234")
DEMO_VISITORS = {"demo-sofie": "Sofie", "demo-ahmed": "Ahmed"}


async def ensure_demo(db: Database) -> bool:
    """Create the demo data once, on an empty database. Returns True if it was created."""
    async with db.session() as session:
        if (await session.exec(select(Municipality))).first() is not None:
            return False
        await _create(session, utcnow())
        return True


async def _create(session: AsyncSession, now: datetime) -> None:
    zone = ZoneInfo("Europe/Copenhagen")
    municipality = Municipality(name="Demo Kommune", code=DEMO_CODE)
    session.add(municipality)
    await session.flush()
    assert municipality.id is not None
    hasher = PasswordHasher()
    mette = StaffMember(
        municipality_id=municipality.id,
        name="Mette Hansen",
        email=DEMO_LOGIN[0],
        role="contact_person",
        team="Ungeteam Nord",
        password_hash=hasher.hash(DEMO_LOGIN[1]),
    )
    ali = StaffMember(
        municipality_id=municipality.id,
        name="Ali Khan",
        email="ali@demo.indgang.dk",
        role="team_lead",
        team="Ungeteam Nord",
        department="employment",
        password_hash=hasher.hash(DEMO_LOGIN[1]),
    )
    session.add_all([mette, ali])
    await session.flush()
    today = now.astimezone(zone).date()
    people = [
        (
            "Sofie",
            2008,
            "demo-sofie",
            "Starte på tømreruddannelsen i august",
            [
                ("Søg ind på optagelse.dk", today + timedelta(days=20)),
                ("Besøg skolen til åbent hus", today + timedelta(days=9)),
            ],
        ),
        (
            "Ahmed",
            2005,
            "demo-ahmed",
            "Få et fast job på et lager",
            [
                ("Skriv dit CV færdigt", today + timedelta(days=5)),
                ("Tag truckcertifikat", today + timedelta(days=45)),
            ],
        ),
    ]
    for index, (name, born, visitor, goal, milestones) in enumerate(people):
        person = YoungPerson(
            municipality_id=municipality.id,
            first_name=name,
            birth_year=born,
            contact_person_id=mette.id,
        )
        session.add(person)
        await session.flush()
        assert person.id is not None
        session.add(
            ChannelIdentity(
                young_person_id=person.id, channel="web", address=visitor, verified=True
            )
        )
        session.add(ConversationState(young_person_id=person.id, flow="onboarding", step=""))
        plan = Plan(young_person_id=person.id, goal=goal)
        session.add(plan)
        await session.flush()
        assert plan.id is not None
        for title, due in milestones:
            tag = "ansogning" if title.startswith("Søg ind") else None
            session.add(Milestone(plan_id=plan.id, title=title, due_date=due, tag=tag))
        meeting_day = today + timedelta(days=3 + index)
        starts = datetime.combine(meeting_day, time(10, 0), tzinfo=zone).astimezone(UTC)
        meeting = Appointment(
            plan_id=plan.id,
            starts_at=starts,
            place="Ungeindsatsen, Torvet 1",
            with_whom="Mette",
            bring="dit sundhedskort" if name == "Sofie" else "dit CV",
        )
        session.add(meeting)
        await session.flush()
        # Its reminders (3 and 1 days before at 16:00): "Jeg kan ikke komme" can be tried.
        await reminders.plan_appointment(
            session, appointment=meeting, person=person, municipality=municipality, now=now
        )
        if name == "Ahmed":
            # A meeting yesterday nobody marked held: "Vi savnede dig" goes out at 10:00 today
            # (or at once, after 10:00), and it is on Mette's meeting list.
            yesterday = datetime.combine(today - timedelta(days=1), time(13, 0), tzinfo=zone)
            session.add(
                Appointment(
                    plan_id=plan.id,
                    starts_at=yesterday.astimezone(UTC),
                    place="Jobcentret, Vestergade 2",
                    with_whom="Mette",
                    created_at=now - timedelta(days=7),
                )
            )
    # Mette's free times, on working days: a young person who cannot come is offered three.
    working_days = [
        day for day in (today + timedelta(days=n) for n in range(4, 16)) if day.weekday() < 5
    ]
    for day, hour in zip(working_days[::2], (9, 13, 10, 14), strict=False):
        moment = datetime.combine(day, time(hour, 0), tzinfo=zone)
        session.add(
            FreeSlot(
                staff_id=mette.id or 0,
                starts_at=moment.astimezone(UTC),
                place="Ungeindsatsen, Torvet 1",
                created_at=now,
            )
        )
