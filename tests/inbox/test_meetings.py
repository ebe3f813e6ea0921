"""The inbox's meeting page and meeting forms, over HTTP against the real app (issue 15)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta

from sqlmodel import col, select

from bot.audit.models import AuditEvent
from bot.clock import clock
from bot.conversation.models import Message
from bot.database import Database
from bot.plans.models import Appointment, FreeSlot, Plan
from bot.reminders.missed import sweep_missed
from tests.fixtures.inbox import Staff
from tests.support import ENGINE
from tests.world import CPH, TwoTowns, local

SignedIn = Callable[[str], Awaitable[Staff]]


async def _appointment(db: Database, person_id: int) -> Appointment:
    async with db.session() as session:
        plan = (await session.exec(select(Plan).where(Plan.young_person_id == person_id))).one()
        return (await session.exec(select(Appointment).where(Appointment.plan_id == plan.id))).one()


async def _bot_messages(db: Database, person_id: int) -> list[Message]:
    async with db.session() as session:
        rows = await session.exec(
            select(Message)
            .where(Message.young_person_id == person_id, Message.author == "bot")
            .order_by(col(Message.id))
        )
        return list(rows.all())


async def test_staff_moving_a_meeting_in_the_inbox_tells_the_young_person_once(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    meeting = await _appointment(db, sofie)
    mette = await signed_in("mette")
    page = await mette.get(f"/inbox/people/{sofie}")
    assert f"/inbox/people/{sofie}/plan/appointments/{meeting.id}" in page.text
    moved = await mette.form(
        f"/inbox/people/{sofie}/plan/appointments/{meeting.id}",
        {"starts_at": "2026-03-12T14:00", "place": "Jobcentret", "bring": "dit CV"},
    )
    assert moved.status_code == 303
    [told] = await _bot_messages(db, sofie)
    assert told.body.startswith("Dit møde er flyttet. Det er nu torsdag den 12. marts 2026")
    assert "Sted: Jobcentret. Tag med: dit CV." in told.body
    assert "Komme i lære" not in told.body  # the plan's goal
    assert (await _appointment(db, sofie)).starts_at == local(2026, 3, 12, 14)
    # Another municipality's meeting cannot be moved.
    bo_meeting = await _appointment(db, world.people["bo"])
    refused = await mette.form(
        f"/inbox/people/{world.people['bo']}/plan/appointments/{bo_meeting.id}",
        {"starts_at": "2026-03-12T14:00", "place": "X"},
    )
    assert refused.status_code == 404
    assert await _bot_messages(db, world.people["bo"]) == []


async def test_free_times_are_published_and_withdrawn_by_their_owner_only(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    mette = await signed_in("mette")
    added = await mette.form(
        "/inbox/meetings/slots", {"starts_at": "2026-03-20T09:00", "place": "Torvet 1"}
    )
    assert added.status_code == 303
    page = await mette.get("/inbox/meetings")
    assert "fredag den 20. marts 2026" in page.text
    async with db.session() as session:
        slot = (await session.exec(select(FreeSlot))).one()
        assert (slot.staff_id, slot.starts_at) == (world.staff["mette"], local(2026, 3, 20, 9))
    berit = await signed_in("berit")
    assert (await berit.form(f"/inbox/meetings/slots/{slot.id}/delete")).status_code == 404
    assert "20. marts" not in (await berit.get("/inbox/meetings")).text
    assert (await mette.form(f"/inbox/meetings/slots/{slot.id}/delete")).status_code == 303
    async with db.session() as session:
        assert (await session.exec(select(FreeSlot))).first() is None


async def test_a_missed_meeting_is_on_the_contact_persons_list_and_the_read_is_audited(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    meeting = await _appointment(db, sofie)
    # The meeting is in two days; nobody marks it held; the day after, at 10:00 local.
    day = meeting.starts_at.astimezone(CPH).date() + timedelta(days=1)
    clock.set(datetime.combine(day, time(10, 0), tzinfo=CPH).astimezone(UTC))
    result = await sweep_missed(db, ENGINE, clock.now())
    assert (result.flagged, result.told) == (2, 2)  # Sofie's in Aby and Bo's in Bby
    mette = await signed_in("mette")
    page = await mette.get("/inbox/meetings")
    assert f'href="/inbox/people/{sofie}#plan">Sofie</a>' in page.text
    assert "Udeblevet" in page.text
    assert "Bo" not in page.text  # another municipality's young person
    async with db.session() as session:
        audited = (
            await session.exec(
                select(AuditEvent).where(
                    AuditEvent.action == "view_meetings",
                    AuditEvent.staff_id == world.staff["mette"],
                )
            )
        ).all()
        assert [a.young_person_id for a in audited] == [sofie]


async def test_a_meeting_marked_held_gets_no_follow_up_and_leaves_the_list(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    meeting = await _appointment(db, sofie)
    mette = await signed_in("mette")
    held = await mette.form(f"/inbox/people/{sofie}/plan/appointments/{meeting.id}/held")
    assert held.status_code == 303
    assert (await _appointment(db, sofie)).status == "done"
    assert await _bot_messages(db, sofie) == []  # holding a meeting tells nothing
    day = meeting.starts_at.astimezone(CPH).date() + timedelta(days=1)
    clock.set(datetime.combine(day, time(10, 0), tzinfo=CPH).astimezone(UTC))
    result = await sweep_missed(db, ENGINE, clock.now())
    assert (result.flagged, result.told) == (1, 1)  # only Bo's, in the other town
    assert await _bot_messages(db, sofie) == []
    assert "Udeblevet" not in (await mette.get("/inbox/meetings")).text
