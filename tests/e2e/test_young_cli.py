"""`indgang young add` and `indgang young invite`: a young person and codes that link chats."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import SQLModel, select
from typer.testing import CliRunner

from bot.cli import app
from bot.database import Database
from bot.people import service as people
from bot.people.cli import InviteError, add_young_person, describe, new_invite
from bot.people.models import Invite, YoungPerson
from bot.settings import get_settings
from channels.base import ChannelSettings
from channels.telegram.plugin import deep_link
from channels.telegram.settings import TelegramSettings
from tests.world import municipality, staff_member


async def _town(db: Database) -> None:
    """Aarhus (SMS +4552123456) with Mette, and Odense with Ole."""
    async with db.session() as session:
        aarhus = await municipality(
            session, name="Aarhus Kommune", code="751", sms_number="+4552123456"
        )
        await staff_member(session, aarhus, email="mette@aarhus.example.dk")
        odense = await municipality(session, name="Odense Kommune", code="461")
        await staff_member(session, odense, name="Ole", email="ole@odense.dk")


def _channels() -> dict[str, ChannelSettings]:
    return {"telegram": TelegramSettings(_env_file=None, bot_username="@indgang_aarhus_bot")}


async def test_add_creates_person_and_a_working_invite(
    db: Database, frozen_clock: datetime
) -> None:
    await _town(db)

    card = await add_young_person(
        db,
        channel_settings=_channels(),
        first_name="  Sofie ",
        birth_year=2008,
        contact_email="Mette@Aarhus.example.dk",
        municipality_code="751",
        now=frozen_clock,
    )

    assert card.telegram_link == f"https://t.me/indgang_aarhus_bot?start={card.code}"
    assert card.sms_number == "+4552123456"
    assert card.expires_at == frozen_clock + people.INVITE_LIFETIME
    async with db.session() as session:
        person = await session.get(YoungPerson, card.person_id)
        assert person is not None
        assert (person.first_name, person.birth_year) == ("Sofie", 2008)
        assert person.contact_person_id is not None
        [invite] = (await session.exec(select(Invite))).all()
        assert card.code not in invite.code_hash  # only the hash is kept
        used = await people.redeem_invite(session, code=card.code, now=frozen_clock)
        assert used is not None and used.young_person_id == card.person_id
        assert await people.redeem_invite(session, code=card.code, now=frozen_clock) is None
    text = describe(card)
    assert card.code in text and "17.03.2026" in text and card.telegram_link in text


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"municipality_code": "999"}, "no municipality"),
        ({"contact_email": "ole@odense.dk"}, "no active staff member"),  # another municipality
        ({"birth_year": 1980}, "birth year"),
        ({"first_name": "   "}, "first name"),
    ],
)
async def test_add_refuses_bad_input(
    db: Database, frozen_clock: datetime, changes: dict[str, object], error: str
) -> None:
    await _town(db)
    fields: dict[str, object] = {
        "first_name": "Sofie",
        "birth_year": 2008,
        "contact_email": "mette@aarhus.example.dk",
        "municipality_code": "751",
        **changes,
    }

    with pytest.raises(InviteError, match=error):
        await add_young_person(db, channel_settings=_channels(), now=frozen_clock, **fields)  # type: ignore[arg-type]
    async with db.session() as session:
        assert (await session.exec(select(YoungPerson))).all() == []


async def test_invite_again_gives_a_new_code(db: Database, frozen_clock: datetime) -> None:
    await _town(db)
    first = await add_young_person(
        db,
        channel_settings=_channels(),
        first_name="Sofie",
        birth_year=2008,
        contact_email="mette@aarhus.example.dk",
        municipality_code="751",
        now=frozen_clock,
    )

    second = await new_invite(
        db,
        channel_settings=_channels(),
        person_id=first.person_id,
        now=frozen_clock + timedelta(days=1),
    )

    assert second.person_id == first.person_id and second.code != first.code
    with pytest.raises(InviteError, match="no young person"):
        await new_invite(db, channel_settings=_channels(), person_id=9999, now=frozen_clock)


def test_telegram_link_needs_the_bot_username() -> None:
    assert deep_link(None, "ABCD2345") is None
    assert deep_link("indgang_bot", "ABCD2345") == "https://t.me/indgang_bot?start=ABCD2345"


def test_cli_prints_the_invite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def prepare() -> None:
        db = Database(url)
        async with db.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
        await _town(db)
        await db.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("INDGANG_DATABASE_URL", url)
    monkeypatch.setenv("INDGANG_TELEGRAM_BOT_USERNAME", "indgang_aarhus_bot")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        added = runner.invoke(
            app,
            [
                "young",
                "add",
                "--first-name",
                "Sofie",
                "--birth-year",
                "2008",
                "--contact",
                "mette@aarhus.example.dk",
                "--municipality",
                "751",
            ],
        )
        again = runner.invoke(app, ["young", "invite", "1"])
        missing = runner.invoke(app, ["young", "invite", "42"])
    finally:
        get_settings.cache_clear()

    assert added.exit_code == 0, added.output
    code = re.search(r"invite code: ([A-Z0-9]{8})", added.output)
    assert code is not None
    assert f"SMS: text {code.group(1)} to +4552123456" in added.output
    assert f"https://t.me/indgang_aarhus_bot?start={code.group(1)}" in added.output
    assert again.exit_code == 0 and code.group(1) not in again.output
    assert missing.exit_code == 1 and "no young person with id 42" in missing.output
