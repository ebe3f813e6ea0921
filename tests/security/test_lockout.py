"""Lockout under concurrency and without telling which accounts exist (issue 17, defects 1
and 4): 50 wrong passwords at once for one account check exactly five against its hash; a
locked, an unknown and a wrong sign-in get the same page and each verifies one hash."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI

from bot.database import Database
from bot.staff import service
from bot.staff.models import StaffMember
from tests.fixtures.inbox import client, sign_in
from tests.world import PASSWORD, TwoTowns

EMAIL = "mette@aby.dk"


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which hashes were verified: 'real' for the account's, 'dummy' for the stand-in."""
    calls: list[str] = []
    real = service._verify

    def counting(password_hash: str, password: str) -> bool:
        calls.append("dummy" if password_hash == service._DUMMY_HASH else "real")
        return real(password_hash, password)

    monkeypatch.setattr(service, "_verify", counting)
    return calls


async def test_fifty_concurrent_wrong_passwords_check_exactly_five(
    db: Database, world: TwoTowns, frozen_clock: datetime, verified: list[str]
) -> None:
    async def attempt() -> Any:
        async with db.session() as session:
            return await service.authenticate(
                session, email=EMAIL, password="forkert", now=frozen_clock
            )

    outcomes = await asyncio.gather(*(attempt() for _ in range(50)))
    assert verified.count("real") == 5
    assert verified.count("dummy") == 45
    assert all(o.staff is None for o in outcomes)
    assert sum(o.locked for o in outcomes) == 46  # the fifth locks, 45 find it locked
    async with db.session() as session:
        mette = await session.get_one(StaffMember, world.staff["mette"])
        assert mette.locked_until is not None


async def test_locked_unknown_and_wrong_look_the_same(
    app: FastAPI, world: TwoTowns, frozen_clock: datetime, verified: list[str]
) -> None:
    pages = {}
    async with client(app) as http:
        for _ in range(5):
            await sign_in(http, EMAIL, "forkert")
        del verified[:]
        pages["locked"] = await sign_in(http, EMAIL, PASSWORD)
        pages["unknown"] = await sign_in(http, "ingen@aby.dk", "forkert")
    async with client(app) as http:
        pages["wrong"] = await sign_in(http, "ali@aby.dk", "forkert")
    assert {kind: page.status_code for kind, page in pages.items()} == dict.fromkeys(pages, 401)
    error = "Forkert e-mail eller adgangskode. Efter fem forkerte forsøg er kontoen låst"
    assert all(error in page.text for page in pages.values())
    assert "låst i 15 minutter" in pages["unknown"].text  # no different wording for any
    assert len(verified) == 3  # one hash verified each: the same timing class
