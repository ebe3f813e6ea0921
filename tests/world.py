"""The test world: small factories for its rows, and the few shapes tests start from.

Factories add one row each to an open session and flush it, so it has its id:

    async with db.session() as session:
        town = await municipality(session)
        mette = await staff_member(session, town)
        sofie = await young_person(session, town, contact=mette)
        await channel_identity(session, sofie, channel="sms", address="+4520000001")
        await plan(session, sofie, goal="Blive tømrer", milestones=[("Skriv CV", date(...))])

Every argument has a plain default and any other column can be given by name. The shapes
built from them:

- `one_person`: a municipality, a contact person and a young person at the menu on one channel
  (plans, reminders, check-ins, intents).
- `youth_service`: a municipality shaped like the demo (Mette, contact person; Ali, team lead;
  Sofie and Ahmed, new, with plans and meetings) but defined here, so tests of the engine,
  routing and privacy do not change when the demo does. Only tests of the demo itself
  (the simulator) use `bot.demo`.
- `two_towns`: two municipalities with staff who sign in, young people with handoffs (the
  inbox and the security tests).
- `service_town`: the municipality the running app serves on SMS and Telegram (end to end).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import utcnow
from bot.conversation.models import ConversationState
from bot.database import Database
from bot.handoff.models import Handoff
from bot.municipalities.models import Municipality
from bot.outbox.models import OutboxItem
from bot.people import service as people
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans.models import Appointment, Milestone, Plan
from bot.staff.models import StaffMember
from bot.staff.service import hash_password

CPH = ZoneInfo("Europe/Copenhagen")
PASSWORD = "rigtig-kode-1234"
_hashes: dict[str, str] = {}  # argon2 is slow on purpose: hash each password once per run


def local(*args: int) -> datetime:
    """A Copenhagen wall-clock time as UTC."""
    return datetime(*args, tzinfo=CPH).astimezone(UTC)  # type: ignore[misc]


def password_hash(password: str = PASSWORD) -> str:
    """The argon2 hash of a password, computed once."""
    if password not in _hashes:
        _hashes[password] = hash_password(password)
    return _hashes[password]


# --- factories: one row each ---------------------------------------------------------------


async def _added(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    assert row.id is not None
    return row


async def without_flood_limit(session: AsyncSession) -> None:
    """Turn every municipality's messages-a-minute limit off (bot/conversation/flood.py), for
    tests that send a table or a walk of messages from one young person, not a flood."""
    for town in (await session.exec(select(Municipality))).all():
        town.inbound_per_minute = 0
        session.add(town)


async def municipality(
    session: AsyncSession, *, name: str = "Testby Kommune", code: str = "test", **fields: Any
) -> Municipality:
    """A municipality (tenant)."""
    town: Municipality = await _added(session, Municipality(name=name, code=code, **fields))
    return town


async def staff_member(
    session: AsyncSession,
    town: Municipality,
    *,
    name: str = "Mette Hansen",
    email: str | None = None,
    password: str | None = None,
    **fields: Any,
) -> StaffMember:
    """A staff member (contact person unless `role` says otherwise); `password` lets them sign in.

    The e-mail defaults to <first name>@<municipality code>.dk.
    """
    email = email or f"{name.split()[0].lower()}@{town.code}.dk"
    if password is not None:
        fields["password_hash"] = password_hash(password)
    staff: StaffMember = await _added(
        session, StaffMember(municipality_id=town.id, name=name, email=email, **fields)
    )
    return staff


async def young_person(
    session: AsyncSession,
    town: Municipality,
    *,
    first_name: str | None = "Sofie",
    contact: StaffMember | None = None,
    **fields: Any,
) -> YoungPerson:
    """A young person of the municipality, with a contact person when given."""
    person: YoungPerson = await _added(
        session,
        YoungPerson(
            municipality_id=town.id,
            first_name=first_name,
            contact_person_id=contact.id if contact is not None else None,
            **fields,
        ),
    )
    return person


async def channel_identity(
    session: AsyncSession,
    person: YoungPerson,
    *,
    channel: str = "web",
    address: str = "visitor-1",
    verified: bool = True,
    **fields: Any,
) -> ChannelIdentity:
    """A chat, phone number or web visitor the young person writes from."""
    identity: ChannelIdentity = await _added(
        session,
        ChannelIdentity(
            young_person_id=person.id, channel=channel, address=address, verified=verified, **fields
        ),
    )
    return identity


async def conversation(
    session: AsyncSession,
    person: YoungPerson,
    *,
    flow: str = "menu",
    step: str = "main",
    **fields: Any,
) -> ConversationState:
    """Where the young person is in the conversation (default: the main menu)."""
    state = ConversationState(young_person_id=person.id, flow=flow, step=step, **fields)
    session.add(state)
    await session.flush()
    return state


async def plan(
    session: AsyncSession,
    person: YoungPerson,
    *,
    goal: str = "Komme i lære",
    milestones: Iterable[tuple[str, date | None]] = (),
    appointments: Iterable[dict[str, Any]] = (),
) -> Plan:
    """An education plan with milestones (title, due date) and appointments (columns)."""
    made: Plan = await _added(session, Plan(young_person_id=person.id, goal=goal))
    for title, due in milestones:
        await milestone(session, made, title=title, due_date=due)
    for columns in appointments:
        await appointment(session, made, **columns)
    return made


async def milestone(
    session: AsyncSession,
    of: Plan,
    *,
    title: str = "Skriv CV",
    due_date: date | None = None,
    **fields: Any,
) -> Milestone:
    """A step of a plan."""
    step: Milestone = await _added(
        session, Milestone(plan_id=of.id, title=title, due_date=due_date, **fields)
    )
    return step


async def appointment(
    session: AsyncSession, of: Plan, *, starts_at: datetime, place: str = "Torvet 1", **fields: Any
) -> Appointment:
    """A meeting of a plan."""
    meeting: Appointment = await _added(
        session, Appointment(plan_id=of.id, starts_at=starts_at, place=place, **fields)
    )
    return meeting


async def handoff(
    session: AsyncSession,
    person: YoungPerson,
    *,
    reason: str = "asked",
    assignee: StaffMember | None = None,
    **fields: Any,
) -> Handoff:
    """A conversation handed to a human."""
    made: Handoff = await _added(
        session,
        Handoff(
            young_person_id=person.id,
            reason=reason,
            assignee_id=assignee.id if assignee is not None else None,
            **fields,
        ),
    )
    return made


async def invite(
    session: AsyncSession, person: YoungPerson, *, now: datetime, staff: StaffMember | None = None
) -> str:
    """A single-use invite code for the young person, as staff make them."""
    return await people.create_invite(
        session, person_id=person.id or 0, now=now, staff_id=staff.id if staff is not None else None
    )


# --- one young person ------------------------------------------------------------------------


@dataclass
class OnePerson:
    """One municipality, a contact person and a young person on one channel."""

    town_id: int
    staff_id: int
    person_id: int
    address: str


async def one_person(
    db: Database,
    *,
    channel: str = "web",
    address: str = "visitor-1",
    code: str = "test",
    language: str = "da",
) -> OnePerson:
    """Create the rows; the young person has talked before, so reminders have a channel."""
    async with db.session() as session:
        town = await municipality(session, code=code)
        mette = await staff_member(session, town, team="Nord")
        person = await young_person(session, town, contact=mette, language=language)
        await channel_identity(session, person, channel=channel, address=address)
        await conversation(session, person)  # past onboarding: at the menu
        return OnePerson(town.id, mette.id, person.id, address)  # type: ignore[arg-type]


async def outbox_count(db: Database) -> int:
    """How many outbox rows exist."""
    async with db.session() as session:
        return int((await session.exec(select(func.count()).select_from(OutboxItem))).one())


# --- a youth service like the demo -------------------------------------------------------------

SERVICE = "Ungeby Kommune"
METTE = "mette@ungeby.dk"
ALI = "ali@ungeby.dk"
SOFIE = "web-sofie"  # web chat visitor ids
AHMED = "web-ahmed"
PLACE = "Ungeindsatsen, Torvet 1"
SOFIE_GOAL = "Starte på tømreruddannelsen i august"
AHMED_GOAL = "Få et fast job på et lager"


@dataclass
class YouthService:
    """Ids in the demo-shaped municipality."""

    town_id: int
    staff: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)


async def youth_service(
    db: Database, *, now: datetime | None = None, at: tuple[str, str] = ("onboarding", "")
) -> YouthService:
    """Mette (contact person) and Ali (team lead, employment) in team Ungeteam Nord; Sofie
    (born 2008) and Ahmed (born 2005) on the web chat, new (`at` onboarding), each with a goal,
    two milestones and a meeting at 10:00 three and four days from `now` (default: the clock).
    """
    now = now or utcnow()
    today = now.astimezone(CPH).date()
    async with db.session() as session:
        town = await municipality(session, name=SERVICE, code="ungeby")
        mette = await staff_member(session, town, email=METTE, team="Ungeteam Nord")
        ali = await staff_member(
            session,
            town,
            name="Ali Khan",
            email=ALI,
            role="team_lead",
            team="Ungeteam Nord",
            department="employment",
        )
        world = YouthService(town.id, staff={"mette": mette.id, "ali": ali.id})  # type: ignore[arg-type, dict-item]
        young: Sequence[tuple[str, int, str, str, list[tuple[str, date]]]] = (
            (
                "Sofie",
                2008,
                SOFIE,
                SOFIE_GOAL,
                [
                    ("Søg ind på optagelse.dk", today + timedelta(days=20)),
                    ("Besøg skolen til åbent hus", today + timedelta(days=9)),
                ],
            ),
            (
                "Ahmed",
                2005,
                AHMED,
                AHMED_GOAL,
                [
                    ("Skriv dit CV færdigt", today + timedelta(days=5)),
                    ("Tag truckcertifikat", today + timedelta(days=45)),
                ],
            ),
        )
        for index, (name, born, visitor, goal, steps) in enumerate(young):
            person = await young_person(
                session, town, first_name=name, birth_year=born, contact=mette
            )
            world.people[name.lower()] = person.id  # type: ignore[assignment]
            await channel_identity(session, person, address=visitor)
            await conversation(session, person, flow=at[0], step=at[1])
            meeting = datetime.combine(
                today + timedelta(days=3 + index), time(10, 0), tzinfo=CPH
            ).astimezone(UTC)
            await plan(
                session,
                person,
                goal=goal,
                milestones=steps,
                appointments=[{"starts_at": meeting, "place": PLACE, "with_whom": "Mette"}],
            )
    return world


# --- two municipalities for the inbox -----------------------------------------------------------


@dataclass
class TwoTowns:
    """Ids of everything the inbox tests use."""

    staff: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    towns: dict[str, int] = field(default_factory=dict)
    milestone_b: int = 0
    appointment_b: int = 0


def email_of(name: str) -> str:
    """A two-towns staff member's sign-in e-mail."""
    return f"{name}@{'bby' if name == 'berit' else 'aby'}.dk"


async def two_towns(db: Database, now: datetime) -> TwoTowns:
    """Town A (Aby: Mette and Nora in team Nord, Jonas in Syd, Ali leads) and town B (Bby:
    Berit). Sofie (Aby, Mette's) and Bo (Bby, Berit's) write by SMS, have a plan with a
    milestone and a meeting in two days, and asked for a human two hours ago. Every staff
    member signs in with PASSWORD.
    """
    world = TwoTowns()
    async with db.session() as session:
        aby = await municipality(session, name="Aby Kommune", code="aby", sms_number="+4550000001")
        bby = await municipality(session, name="Bby Kommune", code="bby", sms_number="+4550000002")
        world.towns = {"aby": aby.id, "bby": bby.id}  # type: ignore[dict-item]
        staff = {
            "mette": await staff_member(
                session, aby, name="Mette Hansen", team="Nord", password=PASSWORD
            ),
            "nora": await staff_member(
                session, aby, name="Nora Berg", team="Nord", password=PASSWORD
            ),
            "jonas": await staff_member(
                session, aby, name="Jonas Lund", team="Syd", password=PASSWORD
            ),
            "ali": await staff_member(
                session,
                aby,
                name="Ali Khan",
                role="team_lead",
                team="Nord",
                department="employment",
                password=PASSWORD,
            ),
            "berit": await staff_member(
                session, bby, name="Berit Bo", team="Vest", password=PASSWORD
            ),
        }
        world.staff = {k: v.id for k, v in staff.items()}  # type: ignore[misc]
        for key, town, contact, phone in (
            ("sofie", aby, "mette", "+4520000001"),
            ("bo", bby, "berit", "+4520000002"),
        ):
            person = await young_person(
                session, town, first_name=key.title(), birth_year=2007, contact=staff[contact]
            )
            world.people[key] = person.id  # type: ignore[assignment]
            await channel_identity(
                session, person, channel="sms", address=phone, last_inbound_at=now
            )
            made = await plan(session, person)
            step = await milestone(session, made, title="Skriv CV", due_date=date(2026, 4, 1))
            meeting = await appointment(session, made, starts_at=now + timedelta(days=2))
            await handoff(
                session, person, assignee=staff[contact], opened_at=now - timedelta(hours=2)
            )
            if key == "bo":
                world.milestone_b, world.appointment_b = step.id, meeting.id  # type: ignore[assignment]
    return world


# --- the municipality the running app serves -------------------------------------------------


@dataclass
class ServiceTown:
    """Aarhus, answering on one SMS number and one Telegram bot, with Mette."""

    town_id: int
    contact_id: int


async def service_town(db: Database, *, sms_number: str, telegram_bot: str) -> ServiceTown:
    """The municipality behind the app's SMS number and Telegram bot, and its contact person."""
    async with db.session() as session:
        town = await municipality(
            session,
            name="Aarhus Kommune",
            code="751",
            sms_number=sms_number,
            telegram_bot=telegram_bot,
        )
        mette = await staff_member(session, town, email="mette@aarhus.example.dk")
        return ServiceTown(town.id, mette.id)  # type: ignore[arg-type]
