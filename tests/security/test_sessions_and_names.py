"""Idle staff sessions end; typed names cannot carry direction overrides."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import clock
from bot.conversation.engine import clean_name
from bot.database import Database
from bot.staff import service
from bot.staff.models import StaffMember
from tests.world import METTE, youth_service

pytestmark = pytest.mark.usefixtures("frozen_clock")


async def test_an_idle_session_ends_and_a_used_one_lives_on(db: Database) -> None:
    await youth_service(db)
    async with db.session() as session:
        mette = (await session.exec(select(StaffMember).where(StaffMember.email == METTE))).one()
        assert mette.id is not None
        token, _row = await service.create_session(session, staff_id=mette.id, now=clock.now())

    async def alive() -> bool:
        async with db.session() as session:
            return (
                await service.session_for_token(session, token=token, now=clock.now()) is not None
            )

    for _ in range(5):  # used every 50 minutes: still signed in after 4 hours
        clock.advance(timedelta(minutes=50))
        assert await alive()
    clock.advance(service.IDLE_TIMEOUT)
    assert not await alive()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Sofie", "Sofie"),
        ("  Ali   Khan ", "Ali Khan"),
        ("\u202eeifoS", "eifoS"),  # right-to-left override removed
        ("Yasmin\u2066x\u2069", "Yasminx"),
        ("مريم", "مريم"),  # Arabic letters are kept
        ("Bo\x00\x07", "Bo"),
        ("😀 Sam", "😀 Sam"),
    ],
)
def test_names_lose_control_and_override_characters(typed: str, stored: str) -> None:
    assert clean_name(typed) == stored
