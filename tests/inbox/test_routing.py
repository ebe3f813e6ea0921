"""Who a new handoff goes to, and what the young person is told."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from bot.clock import clock
from bot.database import Database
from bot.handoff.models import Handoff
from bot.people.models import YoungPerson
from bot.staff.models import StaffMember
from tests.support import Harness
from tests.world import SOFIE, youth_service


async def _staff(db: Database) -> dict[str, StaffMember]:
    async with db.session() as session:
        return {s.name.split()[0]: s for s in (await session.exec(select(StaffMember))).all()}


async def _handoffs(db: Database) -> list[Handoff]:
    async with db.session() as session:
        return list((await session.exec(select(Handoff).order_by(col(Handoff.id)))).all())


async def test_absent_contact_person_hands_to_the_named_stand_in(
    db: Database, frozen_clock: datetime
) -> None:
    await youth_service(db)
    staff = await _staff(db)
    async with db.session() as session:
        mette = await session.get(StaffMember, staff["Mette"].id)
        assert mette is not None
        mette.absent_from = datetime(2026, 3, 2, 7, tzinfo=UTC)
        mette.absent_until = datetime(2026, 3, 9, 7, tzinfo=UTC)  # Monday 08:00 local
        mette.stand_in_id = staff["Ali"].id
        session.add(mette)
    chat = Harness(db, address=SOFIE)
    await chat.say("hej")
    told = await chat.say("kontakt")
    assert told[0].text.startswith("Mette er væk til mandag. Ali svarer i mellemtiden.")
    [handoff] = await _handoffs(db)
    assert handoff.assignee_id == staff["Ali"].id
    clock.set(datetime(2026, 3, 9, 8, tzinfo=UTC))
    # The human still holds the chat; after a week's silence the young person is told so.
    [ack] = await chat.say("hallo?")
    assert ack.text.startswith("Din besked er sendt til Ali.") and ack.choices == ()
    assert await chat.say("er du der?") == []  # a burst is not acknowledged line by line


async def test_without_contact_person_round_robin_respects_capacity(
    db: Database, frozen_clock: datetime
) -> None:
    await youth_service(db)
    async with db.session() as session:
        town_id = (await session.exec(select(StaffMember.municipality_id))).first()
        session.add_all(
            [
                StaffMember(
                    municipality_id=town_id,
                    name="Nora Berg",
                    email="nora@x.dk",
                    team="Ungeteam Nord",
                ),
                StaffMember(
                    municipality_id=town_id,
                    name="Ida Full",
                    email="ida@x.dk",
                    team="Ungeteam Nord",
                    capacity=0,
                ),
            ]
        )
    staff = await _staff(db)
    for number in range(3):
        chat = Harness(db, address=f"ny-{number}")
        await chat.say("hej")
        await chat.say("kontakt")
    assignees = [h.assignee_id for h in await _handoffs(db)]
    # Turns go round: whoever was handed a conversation longest ago goes next.
    # Ida is at capacity and never chosen; Ali is a team lead, not in the rota.
    assert assignees == [staff["Mette"].id, staff["Nora"].id, staff["Mette"].id]
    async with db.session() as session:
        unassigned = (
            await session.exec(
                select(YoungPerson).where(col(YoungPerson.contact_person_id).is_(None))
            )
        ).all()
    assert len(unassigned) == 3  # a handoff is assigned, the contact person stays a decision


async def test_out_of_hours_says_when_to_expect_an_answer(
    db: Database, frozen_clock: datetime
) -> None:
    await youth_service(db)
    clock.set(datetime(2026, 3, 6, 20, 30, tzinfo=UTC))  # Friday 21:30 local
    chat = Harness(db, address=SOFIE)
    await chat.say("hej")
    told = await chat.say("kontakt")
    assert "Mette" in told[0].text
    assert "Vi har fri nu. Du får svar tidligst mandag kl. 08.00." in told[0].text
