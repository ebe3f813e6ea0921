"""Small builders for plan, reminder and check-in tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import func, select

from bot.conversation.models import ConversationState
from bot.database import Database
from bot.outbox.models import OutboxItem
from bot.people.models import ChannelIdentity, YoungPerson
from bot.tenants.models import Municipality, StaffMember

CPH = ZoneInfo("Europe/Copenhagen")


def local(*args: int) -> datetime:
    """A Copenhagen wall-clock time as UTC."""
    return datetime(*args, tzinfo=CPH).astimezone(UTC)  # type: ignore[misc]


@dataclass
class World:
    """One municipality, a contact person and a young person on one channel."""

    town_id: int
    staff_id: int
    person_id: int
    address: str


async def make_world(db: Database, *, channel: str = "web", address: str = "visitor-1",
                     code: str = "test", language: str = "da") -> World:
    """Create the rows; the young person has talked before, so reminders have a channel."""
    async with db.session() as session:
        town = Municipality(name="Testby Kommune", code=code)
        session.add(town)
        await session.flush()
        assert town.id is not None
        staff = StaffMember(municipality_id=town.id, name="Mette Hansen",
                            email=f"mette@{code}.dk", team="Nord")
        session.add(staff)
        await session.flush()
        person = YoungPerson(municipality_id=town.id, first_name="Sofie", language=language,
                             contact_person_id=staff.id)
        session.add(person)
        await session.flush()
        assert person.id is not None and staff.id is not None
        session.add(ChannelIdentity(young_person_id=person.id, channel=channel, address=address,
                                    verified=True))
        # Past onboarding: they are at the menu.
        session.add(ConversationState(young_person_id=person.id, flow="menu", step="main"))
        return World(town.id, staff.id, person.id, address)


async def outbox_count(db: Database) -> int:
    """How many outbox rows exist."""
    async with db.session() as session:
        return int((await session.exec(select(func.count()).select_from(OutboxItem))).one())
