"""Export, erasure and the append-only audit log."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func, update
from sqlmodel import select

from bot.audit import service as audit
from bot.audit.models import AuditEvent, AuditLogIsAppendOnly
from bot.checkins.models import Checkin
from bot.clock import utcnow
from bot.conversation.models import Message
from bot.database import Database
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans.models import Plan
from bot.privacy import export, service
from bot.staff.models import StaffMember
from tests.support import Harness
from tests.world import (
    AHMED,
    AHMED_GOAL,
    METTE,
    PLACE,
    SOFIE,
    SOFIE_GOAL,
    municipality,
    staff_member,
    youth_service,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")


async def people(db: Database) -> dict[str, int]:
    async with db.session() as session:
        rows = (await session.exec(select(YoungPerson))).all()
        return {p.first_name or "": p.id for p in rows if p.id is not None}


async def staff(db: Database, email: str) -> StaffMember:
    async with db.session() as session:
        found = await service.staff_by_email(session, email)
        assert found is not None
        return found


async def service_with_history(db: Database) -> dict[str, int]:
    """The youth service; Sofie and Ahmed have each chatted, Sofie answered a check-in."""
    await youth_service(db)
    for visitor, words in ((SOFIE, "tømrer <b>hej</b>"), (AHMED, "lagerjob")):
        chat = Harness(db, address=visitor)
        await chat.say(f"Hej, det handler om {words}")
    ids = await people(db)
    async with db.session() as session:
        session.add(
            Checkin(young_person_id=ids["Sofie"], score=2, text="svær uge", answered_at=utcnow())
        )
        mette = await service.staff_by_email(session, METTE)
        await audit.record(session, staff=mette, young_person_id=ids["Sofie"], action="view_plan")
    return ids


async def test_export_has_everything_of_one_person_and_nothing_of_another(db: Database) -> None:
    ids = await service_with_history(db)
    mette = await staff(db, METTE)
    async with db.session() as session:
        data = await export.build(session, person_id=ids["Sofie"], staff=mette)
    text = export.to_json(data)
    parsed = json.loads(text)
    tables = parsed["tables"]
    assert tables["young_person"][0]["first_name"] == "Sofie"
    assert any("tømrer" in m["body"] for m in tables["message"])
    assert tables["plan"][0]["goal"] == SOFIE_GOAL
    assert {m["title"] for m in tables["milestone"]} == {
        "Søg ind på optagelse.dk",
        "Besøg skolen til åbent hus",
    }
    assert tables["appointment"][0]["place"] == PLACE
    assert tables["checkin"][0]["text"] == "svær uge"
    assert tables["channel_identity"][0]["address"] == SOFIE
    assert [(e["action"], e["staff"]) for e in parsed["audit"]] == [
        ("view_plan", "Mette Hansen"),
        ("export", "Mette Hansen"),
    ]
    for other in ("Ahmed", "lagerjob", AHMED, AHMED_GOAL, "Skriv dit CV færdigt"):
        assert other not in text


async def test_html_export_is_a_readable_escaped_page(db: Database) -> None:
    ids = await service_with_history(db)
    async with db.session() as session:
        data = await export.build(session, person_id=ids["Sofie"], staff=None)
    page = export.to_html(data)
    assert page.startswith("<!doctype html>")
    for title in (
        "Beskeder",
        "Uddannelsesplan",
        "Møder",
        "Check-ins",
        "Hvem har set dine oplysninger",
        "Mette Hansen",
    ):
        assert title in page
    assert "&lt;b&gt;hej&lt;/b&gt;" in page and "<b>hej</b>" not in page
    assert "Ahmed" not in page


async def test_staff_of_another_municipality_cannot_export(db: Database) -> None:
    ids = await service_with_history(db)
    async with db.session() as session:
        other = await municipality(session, name="Anden Kommune", code="other")
        outsider = await staff_member(session, other, name="Ole", role="admin")
    async with db.session() as session:
        with pytest.raises(service.NotFound):
            await export.build(session, person_id=ids["Sofie"], staff=outsider)
        with pytest.raises(service.NotFound):
            await service.erase(session, person_id=ids["Sofie"], by=outsider)


async def test_erasure_by_admin_removes_everything_and_keeps_the_audit_trail(
    db: Database,
) -> None:
    ids = await service_with_history(db)
    async with db.session() as session:
        mette = await service.staff_by_email(session, METTE)
        assert mette is not None
        admin = StaffMember(
            municipality_id=mette.municipality_id,
            name="Anne Admin",
            email="anne@ungeby.dk",
            role="admin",
        )
        session.add(admin)
        await session.flush()
        counts = await service.erase(session, person_id=ids["Sofie"], by=admin)
    assert counts["message"] == 2 and counts["young_person"] == 1
    async with db.session() as session:
        assert await session.get(YoungPerson, ids["Sofie"]) is None
        for model, column in (
            (Message, Message.young_person_id),
            (ChannelIdentity, ChannelIdentity.young_person_id),
            (Plan, Plan.young_person_id),
            (Checkin, Checkin.young_person_id),
        ):
            n = (
                await session.exec(
                    select(func.count()).select_from(model).where(column == ids["Sofie"])
                )
            ).one()
            assert n == 0, model
        events = await service.audit_trail(session, person_id=ids["Sofie"])
        # Ahmed is untouched.
        assert await session.get(YoungPerson, ids["Ahmed"]) is not None
    assert [e.action for e in events] == ["view_plan", "erased"]
    erased = events[-1]
    assert erased.staff_id == admin.id
    assert "tømrer" not in erased.detail and "Sofie" not in erased.detail


async def test_only_an_admin_may_erase(db: Database) -> None:
    ids = await service_with_history(db)
    async with db.session() as session:
        mette = await service.staff_by_email(session, METTE)
        assert mette is not None
        with pytest.raises(service.NotAllowed):
            await service.erase(session, person_id=ids["Sofie"], by=mette)
    assert (await people(db))["Sofie"] == ids["Sofie"]


async def test_audit_events_cannot_be_changed_or_deleted(db: Database) -> None:
    ids = await service_with_history(db)
    attempts = [
        lambda event, session: setattr(event, "detail", "rewritten"),
        lambda event, session: session.delete(event),
    ]
    for attempt in attempts:
        with pytest.raises(AuditLogIsAppendOnly):
            async with db.session() as session:
                [event] = await service.audit_trail(session, person_id=ids["Sofie"])
                result = attempt(event, session)
                if result is not None:
                    await result
                await session.flush()
    for statement in (
        update(AuditEvent).values(detail="x"),
        delete(AuditEvent),
        delete(AuditEvent.__table__),
    ):  # type: ignore[arg-type]
        with pytest.raises(AuditLogIsAppendOnly):
            async with db.session() as session:
                await session.exec(statement)  # type: ignore[call-overload]
    async with db.session() as session:
        [event] = await service.audit_trail(session, person_id=ids["Sofie"])
    assert event.action == "view_plan" and event.detail == ""
