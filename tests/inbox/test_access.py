"""Sign-in, sessions, CSRF and isolation between municipalities and teams, over HTTP."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlmodel import col, func, select

from bot.audit.models import AuditEvent
from bot.clock import clock
from bot.conversation.models import Message
from bot.database import Database
from bot.plans.models import PlanEvent
from tests.fixtures.inbox import Staff, client, sign_in
from tests.world import PASSWORD, TwoTowns

SignedIn = Callable[[str], Awaitable[Staff]]


def person_routes(world: TwoTowns) -> list[tuple[str, str, dict[str, str]]]:
    """Every inbox page and API about one young person (Bo, in Bby)."""
    b = world.people["bo"]
    return [
        ("GET", f"/inbox/people/{b}", {}),
        ("GET", f"/inbox/people/{b}/conversation", {}),
        ("GET", f"/inbox/people/{b}/messages", {}),
        ("GET", f"/inbox/events?person={b}", {}),
        ("POST", f"/inbox/people/{b}/take", {}),
        ("POST", f"/inbox/people/{b}/assign", {"to": str(world.staff["nora"])}),
        ("POST", f"/inbox/people/{b}/reply", {"text": "Hej Bo"}),
        ("POST", f"/inbox/people/{b}/reply", {"text": "Hej", "action": "digital_post"}),
        ("POST", f"/inbox/people/{b}/note", {"text": "note"}),
        ("POST", f"/inbox/people/{b}/scheduled/1/cancel", {}),
        ("POST", f"/inbox/people/{b}/handback", {}),
        ("POST", f"/inbox/people/{b}/close", {}),
        ("POST", f"/inbox/people/{b}/invite", {}),
        ("POST", f"/inbox/people/{b}/plan/goal", {"goal": "Noget andet"}),
        ("POST", f"/inbox/people/{b}/plan/milestones", {"title": "Nyt"}),
        ("POST", f"/inbox/people/{b}/plan/milestones/{world.milestone_b}", {"status": "done"}),
        (
            "POST",
            f"/inbox/people/{b}/plan/appointments",
            {"starts_at": "2026-03-10T10:00", "place": "Her"},
        ),
        ("POST", f"/inbox/people/{b}/plan/appointments/{world.appointment_b}/cancel", {}),
        ("POST", f"/inbox/people/{b}/checkins", {"cadence_days": "3"}),
    ]


async def _counts(db: Database, person_id: int) -> tuple[int, int, int]:
    async with db.session() as session:
        audits = (
            await session.exec(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.young_person_id == person_id)
            )
        ).one()
        messages = (
            await session.exec(
                select(func.count())
                .select_from(Message)
                .where(Message.young_person_id == person_id)
            )
        ).one()
        plan_events = (await session.exec(select(func.count()).select_from(PlanEvent))).one()
    return int(audits), int(messages), int(plan_events)


@pytest.mark.parametrize("who", ["mette", "ali"])
async def test_other_municipality_gets_404_on_every_route(
    signed_in: SignedIn, world: TwoTowns, db: Database, who: str
) -> None:
    staff = await signed_in(who)
    before = await _counts(db, world.people["bo"])
    for method, path, data in person_routes(world):
        if method == "GET":
            answer = await staff.get(path)
        else:
            answer = await staff.form(path, data)
        assert answer.status_code == 404, (method, path, answer.status_code)
    # Nothing was read into the audit trail, sent or changed.
    assert await _counts(db, world.people["bo"]) == before
    listing = await staff.get("/inbox/people")
    # Form tokens are random text and may spell "Bo": look at names, not attribute values.
    visible = re.sub(r'value="[^"]*"', "", listing.text)
    assert not re.search(r"\bBo\b", visible) and "Sofie" in visible
    queue = await staff.get("/inbox")
    assert f"/inbox/people/{world.people['bo']}/" not in queue.text


# What Bo's own contact person gets, in the order of person_routes.
OWN_STATUS = [
    200,
    200,
    200,
    None,
    303,
    400,  # assigning to Nora is refused: she works in another municipality
    303,
    303,
    303,
    303,  # message 1 is Berit's reply, not sent yet: it can still be cancelled
    303,  # hand back closes the handoff ...
    400,  # ... so there is nothing left to close
    200,
    303,
    303,
    303,
    303,
    303,
    303,
]


async def test_own_municipality_can_use_the_same_routes(
    signed_in: SignedIn, world: TwoTowns
) -> None:
    berit = await signed_in("berit")
    got = []
    for method, path, data in person_routes(world):
        if "events" in path:
            got.append(None)  # a stream; covered by the browser test
            continue
        answer = await (berit.get(path) if method == "GET" else berit.form(path, data))
        got.append(answer.status_code)
    assert got == OWN_STATUS


async def test_contact_person_sees_own_and_team_handoffs_only(
    signed_in: SignedIn, world: TwoTowns
) -> None:
    sofie = world.people["sofie"]
    nora, jonas = await signed_in("nora"), await signed_in("jonas")
    # Nora is in Mette's team and Sofie has an open handoff: she may help.
    assert (await nora.get(f"/inbox/people/{sofie}/conversation")).status_code == 200
    # Jonas is in another team: Sofie is neither his nor his team's.
    assert (await jonas.get(f"/inbox/people/{sofie}/conversation")).status_code == 404
    mette = await signed_in("mette")
    assert (await mette.form(f"/inbox/people/{sofie}/close")).status_code == 303
    # Closed: Sofie is Mette's own young person, no longer the team's open handoff.
    assert (await nora.get(f"/inbox/people/{sofie}")).status_code == 404
    assert (await mette.get(f"/inbox/people/{sofie}")).status_code == 200


@pytest.mark.parametrize(
    "path", ["/inbox", "/inbox/people", "/inbox/me", "/inbox/people/1/conversation"]
)
async def test_pages_need_sign_in(app: FastAPI, world: TwoTowns, path: str) -> None:
    async with client(app) as anonymous:
        answer = await anonymous.get(path)
    assert answer.status_code == 303 and answer.headers["location"] == "/inbox/login"


async def test_fragments_need_sign_in(app: FastAPI, world: TwoTowns) -> None:
    async with client(app) as anonymous:
        for path in ("/inbox/queue", "/inbox/people/1/messages", "/inbox/events"):
            assert (await anonymous.get(path)).status_code == 401


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
async def test_form_without_the_csrf_token_is_rejected(
    signed_in: SignedIn, world: TwoTowns, db: Database, token: str | None
) -> None:
    mette = await signed_in("mette")
    data = {"text": "Ikke fra mig"} | ({"csrf_token": token} if token is not None else {})
    answer = await mette.post(f"/inbox/people/{world.people['sofie']}/note", data=data)
    assert answer.status_code == 403
    async with db.session() as session:
        notes = (await session.exec(select(Message).where(col(Message.internal)))).all()
    assert notes == []
    assert (
        await mette.form(f"/inbox/people/{world.people['sofie']}/note", {"text": "Fra mig"})
    ).status_code == 303


async def test_logout_needs_csrf_and_ends_the_session(signed_in: SignedIn, world: TwoTowns) -> None:
    mette = await signed_in("mette")
    assert (await mette.post("/inbox/logout")).status_code == 403
    assert (await mette.form("/inbox/logout")).status_code == 303
    assert (await mette.get("/inbox/queue")).status_code == 401


async def test_login_form_needs_its_csrf_cookie(app: FastAPI, world: TwoTowns) -> None:
    async with client(app) as http:
        answer = await http.post(
            "/inbox/login", data={"email": "mette@aby.dk", "password": PASSWORD}
        )
    assert answer.status_code == 403 and "indgang_session" not in answer.headers.get(
        "set-cookie", ""
    )


@pytest.mark.parametrize(
    ("public_url", "secure"),
    [("https://indgang.example.dk", True), ("http://127.0.0.1:8000", False)],
)
async def test_session_cookie_flags(
    db: Database, world: TwoTowns, public_url: str, secure: bool
) -> None:
    from bot.app import create_app
    from tests.fixtures.inbox import inbox_settings

    app = create_app(inbox_settings(db, public_url), run_workers=False)
    try:
        async with client(app) as http:
            answer = await sign_in(http, "mette@aby.dk")
    finally:
        await app.state.db.dispose()
    assert answer.status_code == 303
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("indgang_session=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert ("secure" in flags) is secure


async def test_sixth_attempt_is_refused_even_with_the_right_password(
    app: FastAPI, world: TwoTowns, frozen_clock: datetime
) -> None:
    async with client(app) as http:
        for _ in range(5):
            assert (await sign_in(http, "mette@aby.dk", "forkert")).status_code == 401
        locked = await sign_in(http, "mette@aby.dk", PASSWORD)
        assert locked.status_code == 401 and "låst" in locked.text
        assert "indgang_session" not in locked.headers.get("set-cookie", "")
        clock.advance(timedelta(minutes=16))
        assert (await sign_in(http, "mette@aby.dk", PASSWORD)).status_code == 303


async def test_bearer_token_works_without_csrf(app: FastAPI, world: TwoTowns, db: Database) -> None:
    from bot.clock import utcnow
    from bot.staff.service import create_session

    async with db.session() as session:
        token, _ = await create_session(session, staff_id=world.staff["mette"], now=utcnow())
    async with client(app) as http:
        http.headers["Authorization"] = f"Bearer {token}"
        answer = await http.post(
            f"/inbox/people/{world.people['sofie']}/note", data={"text": "Fra en API-klient"}
        )
    assert answer.status_code == 303
