"""Campaign pages in headless Chromium, on a laptop and a phone, against the whole service
(web, campaign sweep and dispatcher) with a fake Twilio: a team lead builds an audience and
watches the count change, previews, starts, and sees progress rise without a reload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import utcnow
from bot.database import Database
from bot.settings import CampaignSettings
from tests.browser import chromium_page, require_chromium, serve_with_fake_twilio
from tests.fakes.twilio_api import FakeTwilio
from tests.world import channel_identity, municipality, staff_member, young_person

OUR_NUMBER = "+4550000003"
EMAIL, PASSWORD = "lise@kampagne.dk", "en-god-lang-kode"
SIZES = {"laptop": (1366, 768), "phone": (390, 844)}
SHOTS = Path("/tmp")

require_chromium()

from playwright.async_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.browser


@dataclass
class Served:
    base: str
    fake: FakeTwilio


async def _people(url: str) -> None:
    """A team lead, three young people on SMS (one of them 30) and one on the web chat."""
    db = Database(url)
    async with db.session() as session:
        # No quiet hours: the test runs at any hour.
        town = await municipality(
            session,
            name="Kampagne Kommune",
            code="kk",
            sms_number=OUR_NUMBER,
            quiet_start=time(0, 0),
            quiet_end=time(0, 0),
        )
        lise = await staff_member(
            session, town, name="Lise Leder", email=EMAIL, role="team_lead", password=PASSWORD
        )
        for n, (name, year, channel) in enumerate(
            (
                ("Sofie", 2007, "sms"),
                ("Ahmed", 2005, "sms"),
                ("Kim", 1996, "sms"),
                ("Noor", 2008, "web"),
            )
        ):
            person = await young_person(
                session, town, first_name=name, birth_year=year, contact=lise
            )
            address = f"+452012340{n}" if channel == "sms" else f"visitor-{n}"
            await channel_identity(session, person, channel=channel, address=address)
    await db.dispose()


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Served]:
    """The whole service, its campaign sweep every second, SMS to a fake Twilio."""
    every_second = CampaignSettings(sweep_seconds=1)
    async with serve_with_fake_twilio(database_url, OUR_NUMBER, campaign=every_second) as up:
        await _people(database_url)  # after start-up: the service migrated the database
        yield Served(up[0], up[1])


@pytest.fixture(params=sorted(SIZES))
async def page(served: Served, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A fresh Chromium page at a laptop's or a phone's size."""
    async with chromium_page(*SIZES[request.param]) as tab:
        yield tab


def _shot(size: str, what: str) -> str:
    return str(SHOTS / f"inbox-campaign-{size}-{what}.png")


async def test_build_preview_start_and_watch(
    page: Page, served: Served, request: pytest.FixtureRequest
) -> None:
    size = request.node.callspec.id  # e.g. phone-sqlite
    await page.goto(served.base + "/inbox/login")
    await page.get_by_label("E-mail").fill(EMAIL)
    await page.get_by_label("Adgangskode").fill(PASSWORD)
    await page.get_by_role("button", name="Log ind").click()
    await page.get_by_role("link", name="Kampagner").click()
    await expect(page.get_by_role("heading", name="Kampagner")).to_be_visible()
    await page.get_by_role("link", name="Ny kampagne").click()

    count = page.locator("#audience-count")
    await expect(count).to_have_text("4 unge lige nu")  # active, the default
    await page.get_by_label("SMS", exact=True).check()
    await expect(count).to_have_text("3 unge lige nu")
    await page.get_by_label("SMS", exact=True).uncheck()
    await page.get_by_label("Alder til").fill("25")
    await expect(count).to_have_text("3 unge lige nu")  # Kim is 30
    await page.locator("#audience").screenshot(path=_shot(size, "audience"))

    # Mistakes come back next to their fields, with what was typed kept.
    await page.get_by_label("Besked på dansk").fill("Hej {navn}")
    await page.get_by_role("button", name="Opret kladde").click()
    await expect(page.locator("#problems")).to_contain_text("Navn: Skal udfyldes.")
    await expect(page.locator("#err-text_da")).to_contain_text("Ukendt felt i teksten")
    await expect(page.get_by_label("Alder til")).to_have_value("25")
    await expect(count).to_have_text("3 unge lige nu")
    await page.screenshot(path=_shot(size, "errors"))

    await page.get_by_label("Navn", exact=True).fill("Husk din plan")
    await page.get_by_label("Besked på dansk").fill(
        "Hej {first_name}. Har du kigget på din plan? Hilsen {contact_name}"
    )
    await page.locator("#f-choice1_da").fill("Ja")
    await page.locator("#f-choice2_da").fill("Ring til mig")
    await page.locator("#f-choice2_goto").select_option("contact.open")
    local = (utcnow() - timedelta(minutes=1)).astimezone(ZoneInfo("Europe/Copenhagen"))
    await page.get_by_label("Tidspunkt (lokal tid)").fill(local.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label("Beskeder i sekundet").fill("1")
    await page.screenshot(path=_shot(size, "form"), full_page=True)
    await page.get_by_role("button", name="Opret kladde").click()

    await expect(page.get_by_role("heading", name="Hvis kampagnen startede nu")).to_be_visible()
    await expect(page.locator("#preview-eligible")).to_have_text("3")
    samples = page.locator("ol.samples li")
    await expect(samples).to_have_count(3)
    await expect(samples.filter(has_text="Hej Sofie").first).to_contain_text("GSM-7")
    await page.screenshot(path=_shot(size, "preview"), full_page=True)
    await page.locator("ol.samples").screenshot(path=_shot(size, "samples"))

    await page.get_by_role("button", name="Start kampagnen").click()
    await expect(page.locator("#campaign-status")).to_have_text("Kører")
    await page.evaluate("window.notReloaded = true")
    # Sent one a second; the counts climb while the page stays where it is.
    sent = page.locator("[data-count='sent']")
    await expect(sent).not_to_have_text("0", timeout=15_000)
    await expect(page.locator("[data-count='queued']")).to_have_text("0", timeout=20_000)
    await expect(page.locator("[data-count='planned']")).to_have_text("0")
    # The SMS are sent (the fake reports no delivery); the web chat shows its message at once.
    await expect(sent).to_have_text("2")
    await expect(page.locator("[data-count='delivered']")).to_have_text("1")
    assert await page.evaluate("window.notReloaded === true")
    assert len(served.fake.sent_bodies("+4520123400")) == 1
    await page.screenshot(path=_shot(size, "progress"), full_page=True)
    await page.reload()
    await expect(page.locator("#results tbody")).to_contain_text("0,0 %")  # nobody answered yet
    await page.screenshot(path=_shot(size, "results"), full_page=True)
    await page.get_by_role("navigation").get_by_role("link", name="Kampagner").click()
    await expect(page.get_by_role("row", name="Husk din plan")).to_contain_text("Kører")
    await page.screenshot(path=_shot(size, "list"), full_page=True)
