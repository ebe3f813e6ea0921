"""The conversation page in headless Chromium at 1366×768: where a contact person lands.

A conversation of 200 messages opens at the newest; a young person's SMS arriving while the
reader has scrolled up (through the signed webhook, so the real live path delivers it) does
not move them and shows the "Nye beskeder" pill, which takes them to the newest; an urgent
handoff opens at the crisis message that made it urgent, highlighted. Screenshots go to
`test-artifacts/` (or INDGANG_TEST_ARTIFACTS).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import utcnow
from bot.conversation.models import INBOUND, OUTBOUND, Message
from bot.database import Database
from bot.handoff.models import Handoff
from bot.migrate import upgrade
from bot.people.models import YoungPerson
from bot.settings import Settings
from bot.staff.models import StaffMember
from tests.browser import artifact, chromium_page, in_view, require_chromium, serve_with_fake_twilio
from tests.fakes.twilio_api import FakeTwilio, signed_headers
from tests.world import (
    channel_identity,
    conversation,
    handoff,
    municipality,
    staff_member,
    young_person,
)

OUR_NUMBER = "+4550000001"
SOFIE, AHMED = "+4520123456", "+4520654321"
EMAIL, PASSWORD = "mette@samtale.dk", "en-god-lang-kode"
WIDTH, HEIGHT = 1366, 768

require_chromium()

from playwright.async_api import Locator, Page, expect  # noqa: E402

pytestmark = pytest.mark.browser


async def seed(
    session: AsyncSession,
    person: YoungPerson,
    staff: StaffMember,
    count: int,
    *,
    first: int,
    start: datetime | None = None,
) -> None:
    """`count` messages in turn from the young person, the bot and the contact person."""
    start = start or utcnow() - timedelta(days=3)
    for n in range(first, first + count):
        author = ("young_person", "bot", "staff")[n % 3]
        session.add(
            Message(
                young_person_id=person.id,
                channel="sms",
                direction=INBOUND if author == "young_person" else OUTBOUND,
                author=author,
                staff_id=staff.id if author == "staff" else None,
                body=f"Besked nummer {n + 1}",
                status="received" if author == "young_person" else "delivered",
                created_at=start + timedelta(minutes=n - first),
            )
        )
    await session.flush()


async def prepare(url: str) -> Database:
    """The real migrations (with PostgreSQL's notifying triggers); Mette with Sofie (200
    messages, held by Mette) and Ahmed."""
    db = Database(url)
    await upgrade(db)
    async with db.session() as session:
        town = await municipality(session, name="Samtale Kommune", code="sa", sms_number=OUR_NUMBER)
        mette = await staff_member(session, town, email=EMAIL, team="Nord", password=PASSWORD)
        sofie = await young_person(session, town, birth_year=2007, contact=mette)
        await channel_identity(session, sofie, channel="sms", address=SOFIE)
        await conversation(session, sofie)
        await seed(session, sofie, mette, 200, first=0)
        await handoff(session, sofie, assignee=mette, status="held")
        ahmed = await young_person(
            session, town, first_name="Ahmed", birth_year=2006, contact=mette
        )
        await channel_identity(session, ahmed, channel="sms", address=AHMED)
        await conversation(session, ahmed)
        await seed(session, ahmed, mette, 120, first=0)
    return db


@dataclass
class Served:
    base: str
    fake: FakeTwilio
    settings: Settings
    db: Database
    sent = 0

    async def sms(self, sender: str, text: str) -> None:
        """Post an SMS to the webhook, signed as Twilio signs it."""
        Served.sent += 1
        form = {
            "MessageSid": f"SM{Served.sent:032d}",
            "AccountSid": self.fake.account_sid,
            "From": sender,
            "To": OUR_NUMBER,
            "Body": text,
            "NumMedia": "0",
        }
        url = self.settings.public_base + "/webhooks/twilio/sms"
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                self.base + "/webhooks/twilio/sms",
                data=form,
                headers=signed_headers(url, form, self.fake.auth_token),
            )
        assert answer.status_code == 200, answer.text

    async def person_id(self, name: str) -> int:
        async with self.db.session() as session:
            found = (
                await session.exec(select(YoungPerson).where(YoungPerson.first_name == name))
            ).one()
            assert found.id is not None
            return found.id


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Served]:
    """The whole service on a free loopback port, sending SMS to a fake Twilio."""
    db = await prepare(database_url)
    try:
        async with serve_with_fake_twilio(database_url, OUR_NUMBER) as (base, fake, settings):
            yield Served(base, fake, settings, db)
    finally:
        await db.dispose()


@pytest.fixture
async def page(served: Served) -> AsyncIterator[Page]:
    async with chromium_page(WIDTH, HEIGHT) as tab:
        yield tab


async def sign_in(page: Page, served: Served) -> None:
    await page.goto(served.base + "/inbox")
    await page.get_by_label("E-mail").fill(EMAIL)
    await page.get_by_label("Adgangskode").fill(PASSWORD)
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.get_by_role("heading", name="Kø")).to_be_visible()


async def eventually_in_view(item: Locator, wait: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    ends = loop.time() + wait
    while not await in_view(item):
        assert loop.time() < ends, "the newest message never came into view"
        await asyncio.sleep(0.1)


async def shot(page: Page, name: str, request: pytest.FixtureRequest) -> None:
    path = artifact(name, request)
    await page.screenshot(path=str(path))
    print(f"screenshot: {path}")


async def test_opens_at_newest_and_live_message_keeps_reader_in_place(
    page: Page, served: Served, request: pytest.FixtureRequest
) -> None:
    await sign_in(page, served)
    sofie = await served.person_id("Sofie")
    await page.goto(f"{served.base}/inbox/people/{sofie}/conversation")
    messages = page.locator("#messages ol.messages")
    items = messages.locator(":scope > li[data-id]")
    await expect(items).to_have_count(200)
    newest = items.last
    await expect(newest).to_contain_text("Besked nummer 200")
    assert await in_view(newest), "the newest message is out of sight"
    assert not await in_view(items.first)
    # Who wrote each message, by name, with a local time.
    await expect(messages.locator("li.staff .sender").first).to_have_text("Mette Hansen")
    await expect(messages.locator("li.bot .sender").first).to_have_text("Indgang")
    await expect(messages.locator("li.young_person .sender").first).to_have_text("Sofie")
    await expect(messages.locator("li time").first).to_have_text(
        re.compile(r"^\d\d\.\d\d\.\d{4} \d\d\.\d\d$")
    )
    await shot(page, "conversation-newest-1366.png", request)

    # The reader scrolls up to read; a message arrives through the real path.
    await messages.evaluate("(ol) => { ol.scrollTop = ol.scrollHeight / 3; }")
    before = await messages.evaluate("(ol) => ol.scrollTop")
    pill = page.get_by_role("button", name="Nye beskeder")
    await expect(pill).to_be_hidden()
    await served.sms(SOFIE, "Er du der stadig? Jeg har brug for hjælp")
    arrived = messages.locator("li.young_person", has_text="Er du der stadig?")
    await expect(arrived).to_have_count(1)
    await expect(pill).to_be_visible()
    assert await messages.evaluate("(ol) => ol.scrollTop") == before
    assert not await in_view(arrived)
    await shot(page, "conversation-pill-1366.png", request)

    # Later changes (the bot's acknowledgement being delivered) do not move the reader either.
    await page.wait_for_timeout(2500)
    assert await messages.evaluate("(ol) => ol.scrollTop") == before
    ids = await items.evaluate_all("(lis) => lis.map((li) => li.dataset.id)")
    assert len(ids) == len(set(ids)), "a message is shown twice"
    assert ids == sorted(ids, key=int)

    await pill.click()
    await expect(pill).to_be_hidden()
    await eventually_in_view(items.last)
    assert await in_view(arrived)
    await shot(page, "conversation-after-pill-1366.png", request)

    # A reader at the newest stays there when another message comes.
    await served.sms(SOFIE, "Hallo?")
    latest = messages.locator("li.young_person", has_text="Hallo?")
    await expect(latest).to_have_count(1)
    await eventually_in_view(items.last)
    await expect(pill).to_be_hidden()


async def test_urgent_handoff_opens_at_its_crisis_message(
    page: Page, served: Served, request: pytest.FixtureRequest
) -> None:
    await served.sms(AHMED, "jeg vil ikke leve mere")
    ahmed = await served.person_id("Ahmed")
    async with served.db.session() as session:
        opened = (await session.exec(select(Handoff).where(Handoff.young_person_id == ahmed))).one()
        assert opened.urgent and opened.message_id is not None
        crisis = await session.get(Message, opened.message_id)
        assert crisis is not None and crisis.body == "jeg vil ikke leve mere"
        # The conversation went on after it: 60 more messages below the crisis message.
        person = await session.get(YoungPerson, ahmed)
        mette = (await session.exec(select(StaffMember).order_by(col(StaffMember.id)))).first()
        assert person is not None and mette is not None
        await seed(session, person, mette, 60, first=300, start=utcnow())

    await sign_in(page, served)
    await page.goto(f"{served.base}/inbox/people/{ahmed}/conversation")
    messages = page.locator("#messages ol.messages")
    highlighted = messages.locator("li.crisis")
    await expect(highlighted).to_have_count(1)
    await expect(highlighted).to_contain_text("jeg vil ikke leve mere")
    await expect(highlighted).to_contain_text("Akut")
    assert await highlighted.get_attribute("data-id") == str(opened.message_id)
    assert await in_view(highlighted), "the crisis message is out of sight"
    assert not await in_view(messages.locator(":scope > li").last)
    colour = await highlighted.evaluate("(el) => getComputedStyle(el).borderTopColor")
    assert colour == "rgb(179, 38, 30)"  # --danger
    await shot(page, "conversation-crisis-1366.png", request)
