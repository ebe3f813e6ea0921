"""The inbox in headless Chromium against the real app served by uvicorn, with fake Twilio.

A young person's SMS arrives through the signed webhook, appears in the queue without a
reload, is taken and answered (the reply reaches the fake Twilio server through the
dispatcher running in the app), a CPR number is held back until confirmed, the
conversation is handed back and the bot answers again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from bot.database import Database
from bot.migrate import upgrade
from bot.settings import Settings
from tests.browser import artifact, chromium_page, require_chromium, serve_with_fake_twilio
from tests.fakes.twilio_api import FakeTwilio, signed_headers
from tests.world import channel_identity, conversation, municipality, staff_member, young_person

OUR_NUMBER = "+4550000001"
SOFIE = "+4520123456"
EMAIL, PASSWORD = "mette@indbakke.dk", "en-god-lang-kode"

require_chromium()

from playwright.async_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.browser


async def prepare(url: str) -> None:
    """The real migrations (on PostgreSQL they add the notifying triggers the live queue
    needs), and one contact person with Sofie."""
    db = Database(url)
    await upgrade(db)
    async with db.session() as session:
        town = await municipality(
            session, name="Indbakke Kommune", code="ib", sms_number=OUR_NUMBER
        )
        mette = await staff_member(session, town, email=EMAIL, team="Nord", password=PASSWORD)
        sofie = await young_person(session, town, birth_year=2007, contact=mette)
        await channel_identity(session, sofie, channel="sms", address=SOFIE)
        await conversation(session, sofie)
    await db.dispose()


@dataclass
class Served:
    base: str
    fake: FakeTwilio
    settings: Settings
    sms_sent = 0

    async def sms(self, text: str) -> None:
        """Post an SMS from Sofie to the webhook, signed as Twilio signs it."""
        Served.sms_sent += 1
        form = {
            "MessageSid": f"SM{Served.sms_sent:032d}",
            "AccountSid": self.fake.account_sid,
            "From": SOFIE,
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

    async def wait_for_sms(self, fragment: str, wait: float = 15.0) -> str:
        """The first body sent to Sofie that contains `fragment` (waits for the dispatcher)."""
        loop = asyncio.get_running_loop()
        ends = loop.time() + wait
        while loop.time() < ends:
            for body in self.fake.sent_bodies(SOFIE):
                if fragment in body:
                    return body
            await asyncio.sleep(0.1)
        raise AssertionError(
            f"{fragment!r} never reached Twilio; sent: {self.fake.sent_bodies(SOFIE)}"
        )


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Served]:
    """The whole service on a free loopback port, sending SMS to a fake Twilio."""
    await prepare(database_url)
    async with serve_with_fake_twilio(database_url, OUR_NUMBER) as (base, fake, settings):
        yield Served(base, fake, settings)


@pytest.fixture
async def page(served: Served) -> AsyncIterator[Page]:
    """A fresh Chromium page."""
    async with chromium_page() as tab:
        yield tab


async def sign_in(page: Page, served: Served) -> None:
    await page.goto(served.base + "/inbox")
    await expect(page).to_have_url(served.base + "/inbox/login")
    await page.get_by_label("E-mail").fill(EMAIL)
    await page.get_by_label("Adgangskode").fill(PASSWORD)
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.get_by_role("heading", name="Kø")).to_be_visible()


async def test_sms_to_inbox_reply_and_hand_back(
    page: Page, served: Served, request: pytest.FixtureRequest
) -> None:
    await sign_in(page, served)
    await expect(page.locator("#queue")).to_contain_text("Ingen åbne samtaler")

    await served.sms("kontakt")
    # The queue updates without a reload: the SSE stream tells the page to refresh.
    row = page.locator("#queue tbody tr", has_text="Sofie")
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("Bad om et menneske")
    await expect(page).to_have_title("(1) Kø · Indgang")
    await served.wait_for_sms("Mette")  # the bot told Sofie who answers
    await page.screenshot(path=str(artifact("inbox-queue.png", request)), full_page=True)

    await row.get_by_role("link", name="Sofie").click()
    await expect(page.get_by_role("heading", name="Sofie")).to_be_visible()
    await page.get_by_role("button", name="Tag samtalen").click()
    await expect(page.get_by_role("button", name="Tag samtalen")).to_have_count(0)
    box = page.get_by_label("Besked til Sofie")
    await box.fill("Hej Sofie. Jeg ringer til dig kl. 14.")
    await expect(page.locator("#sms-count")).to_contain_text("GSM-7")
    await page.get_by_role("button", name="Send", exact=True).click()
    assert await served.wait_for_sms("Jeg ringer til dig kl. 14.")
    await expect(page.locator("#messages")).to_contain_text("Jeg ringer til dig kl. 14.")

    # The confidentiality guard: a CPR number is held back until confirmed.
    await page.get_by_label("Besked til Sofie").fill("Dit CPR-nummer er 010203-1234.")
    await page.get_by_role("button", name="Send", exact=True).click()
    await expect(page.get_by_role("alertdialog")).to_contain_text("et CPR-nummer")
    assert not [b for b in served.fake.sent_bodies(SOFIE) if "010203-1234" in b]
    await page.get_by_role("button", name="Send alligevel").click()
    assert await served.wait_for_sms("010203-1234")

    await served.sms("Tak! مرحبا")
    await expect(page.locator("#messages .young_person .body").last).to_have_text("Tak! مرحبا")
    await page.screenshot(path=str(artifact("inbox-conversation.png", request)), full_page=True)

    await page.get_by_role("button", name="Giv tilbage til chatbotten").click()
    await expect(page.get_by_role("heading", name="Kø")).to_be_visible()
    assert "Fik du den hjælp" in await served.wait_for_sms("Fik du den hjælp")
    before = len(served.fake.sent_bodies(SOFIE))
    await served.sms("menu")
    assert await served.wait_for_sms("Hvad vil du gerne?")
    assert len(served.fake.sent_bodies(SOFIE)) > before
