"""The real app, its real aiogram Bot and twilio Client, and fake providers on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlmodel import SQLModel, col, select

import bot.runtime
from bot.app import create_app
from bot.clock import utcnow
from bot.conversation.models import OUTBOUND, Message
from bot.database import Database
from bot.outbox.models import OutboxItem
from bot.people import service as people
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans.models import Plan
from bot.settings import Settings
from bot.tenants.models import Municipality, StaffMember
from channels.sms.settings import SmsSettings
from channels.telegram.settings import TelegramSettings
from tests.fakes.telegram_api import TEST_TOKEN, FakeTelegram
from tests.fakes.twilio_api import FakeTwilio, signed_headers

DATA = Path(__file__).resolve().parent.parent / "data"
PUBLIC = "https://indgang.example.dk"
SECRET = "e2e-webhook-secret-0123456789"
SMS_NUMBER = "+4552123456"
SERVICE_SID = "MG5e2d7c1a4b9f3e6d8c0a2b4f6e8d1c3a"
BOT_ID = TEST_TOKEN.split(":", 1)[0]
BOT_USERNAME = "indgang_test_bot"


def twilio_form(name: str, **changes: str) -> dict[str, str]:
    """A recorded Twilio webhook form from tests/data/twilio, with fields replaced."""
    form: dict[str, str] = json.loads((DATA / "twilio" / f"{name}.json").read_text("utf-8"))
    return {**form, **changes}


class _NoPacing:
    """The dispatcher's pacer sleeps in real time; the tests move the clock instead."""

    async def wait(self, recipient: str) -> None:
        return None

    def hold(self, recipient: str, seconds: float) -> None:
        return None


@dataclass
class Stack:
    """One running app with its fakes and an HTTP client talking to it in-process."""

    app: FastAPI
    http: httpx.AsyncClient
    telegram: FakeTelegram
    twilio: FakeTwilio
    settings: Settings
    municipality_id: int
    contact_id: int

    @property
    def db(self) -> Database:
        """The app's own database handle."""
        db: Database = self.app.state.db
        return db

    async def telegram_update(self, update: dict[str, Any],
                              secret: str | None = SECRET) -> httpx.Response:
        """POST an Update to the webhook as Telegram does."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.http.post("/webhooks/telegram", json=update, headers=headers)

    async def twilio_post(self, path: str, form: dict[str, str],
                          token: str | None = None) -> httpx.Response:
        """POST a form signed with twilio's RequestValidator over the public URL."""
        headers = signed_headers(PUBLIC + path, form, token or self.twilio.auth_token)
        return await self.http.post(path, data=form, headers=headers)

    async def sms(self, body: str, *, sender: str = "+4520123456", sid: str | None = None,
                  **extra: str) -> httpx.Response:
        """An incoming SMS (tests/data/twilio/inbound_sms.json) with this body."""
        sid = sid or f"SM{_next_sid():032x}"
        form = twilio_form("inbound_sms", Body=body, From=sender, MessageSid=sid, SmsSid=sid,
                           SmsMessageSid=sid, To=SMS_NUMBER, **extra)
        return await self.twilio_post("/webhooks/twilio/sms", form)

    async def dispatch(self) -> int:
        """Run the app's dispatcher until nothing is due; returns how many rows it handled."""
        total = 0
        while handled := await self.app.state.dispatcher.dispatch_once():
            total += handled
        return total

    async def all(self, model: type[SQLModel]) -> list[Any]:
        """Every row of a table, in id order."""
        async with self.db.session() as session:
            return list((await session.exec(select(model).order_by(col(model.id)))).all())  # type: ignore[attr-defined]

    async def outbound(self, channel: str) -> list[Message]:
        """Outgoing messages on one channel, oldest first."""
        async with self.db.session() as session:
            result = await session.exec(
                select(Message).where(Message.channel == channel, Message.direction == OUTBOUND)
                .order_by(col(Message.id)))
            return list(result.all())

    async def outbox_for(self, message_id: int | None) -> OutboxItem:
        """The outbox row of one message."""
        async with self.db.session() as session:
            row = (await session.exec(
                select(OutboxItem).where(OutboxItem.message_id == message_id))).one()
            return row

    async def identity(self, channel: str, address: str) -> ChannelIdentity:
        """A channel identity by address."""
        async with self.db.session() as session:
            found = await people.find_identity(session, channel=channel, address=address)
            assert found is not None, f"no {channel} identity"
            return found

    async def invite(self, *, first_name: str = "Sofie", goal: str = "Blive tømrer",
                     now: datetime | None = None) -> tuple[int, str]:
        """A young person with a plan and an invite, as `indgang young add` makes them."""
        now = now or utcnow()
        async with self.db.session() as session:
            person = YoungPerson(municipality_id=self.municipality_id, first_name=first_name,
                                 birth_year=2008, contact_person_id=self.contact_id)
            session.add(person)
            await session.flush()
            assert person.id is not None
            session.add(Plan(young_person_id=person.id, goal=goal))
            code = await people.create_invite(session, person_id=person.id, now=now,
                                              staff_id=self.contact_id)
            return person.id, code


_sid_counter = iter(range(0x1000, 0xFFFFFF))


def _next_sid() -> int:
    return next(_sid_counter)


@pytest.fixture
async def stack(db: Database, frozen_clock: datetime,
                monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stack]:
    """The app on the `db` fixture's database (SQLite and PostgreSQL), talking to the fakes."""
    # The `db` fixture builds tables from the models (the migration may lag behind them
    # while features are added), so the app must not run migrations on top.
    async def no_upgrade(_db: Database) -> None:
        return None

    monkeypatch.setattr(bot.runtime, "upgrade", no_upgrade)
    async with db.session() as session:
        town = Municipality(name="Aarhus Kommune", code="751", sms_number=SMS_NUMBER,
                            telegram_bot=BOT_ID)
        session.add(town)
        await session.flush()
        assert town.id is not None
        mette = StaffMember(municipality_id=town.id, name="Mette Hansen",
                            email="mette@aarhus.example.dk")
        session.add(mette)
        await session.flush()
        assert mette.id is not None
        town_id, mette_id = town.id, mette.id
    async with FakeTelegram.start() as telegram, FakeTwilio.start() as twilio:
        settings = Settings(_env_file=None, database_url=db.url, public_url=PUBLIC,
                            demo_data=False)
        channel_settings = {
            "telegram": TelegramSettings(
                _env_file=None, token=TEST_TOKEN, webhook_secret=SECRET,
                api_base=telegram.base_url, bot_username=BOT_USERNAME),
            "sms": SmsSettings(
                _env_file=None, twilio_account_sid=twilio.account_sid,
                twilio_auth_token=twilio.auth_token, twilio_messaging_service_sid=SERVICE_SID,
                twilio_api_base=twilio.base_url),
        }
        app = create_app(settings, channel_settings=channel_settings, run_workers=False)
        for name in app.state.dispatcher._pacers:
            app.state.dispatcher._pacers[name] = _NoPacing()
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport,
                                         base_url="http://internal:8000") as http:
                yield Stack(app=app, http=http, telegram=telegram, twilio=twilio,
                            settings=settings, municipality_id=town_id, contact_id=mette_id)
