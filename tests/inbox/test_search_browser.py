"""The search page in headless Chromium: from the header's "Søg" to the message found.

At 1366×768 a contact person searches part of a word, sees the young person and the messages
(never another municipality's), and the hit opens the conversation at that message, though
the conversation is long. At 390×844 the same page fits the phone without sideways scrolling.
Screenshots go to `test-artifacts/` (or INDGANG_TEST_ARTIFACTS).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.clock import utcnow
from bot.conversation.models import INBOUND, OUTBOUND, Message
from bot.database import Database
from bot.migrate import upgrade
from bot.people.models import YoungPerson
from bot.staff.models import StaffMember
from tests.browser import (
    artifact,
    chromium_page,
    in_view,
    listening_socket,
    require_chromium,
    serve,
    served_settings,
)
from tests.world import municipality, staff_member, young_person

EMAIL, PASSWORD = "mette@soeg.dk", "en-god-lang-kode"
FOUND = "Jeg har fået en praktikplads hos tømreren på Vestergade"

require_chromium()

from playwright.async_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.browser


@dataclass
class Served:
    base: str
    sofie: int
    found: int


def said(person: YoungPerson, body: str, minutes: int, staff: StaffMember | None = None) -> Message:
    return Message(
        young_person_id=person.id,
        channel="sms",
        direction=OUTBOUND if staff else INBOUND,
        author="staff" if staff else "young_person",
        staff_id=staff.id if staff else None,
        body=body,
        created_at=utcnow() - timedelta(days=2) + timedelta(minutes=minutes),
    )


async def prepare(db: Database) -> tuple[int, int]:
    """Mette with Sofie (150 messages, the one to find early on) and Prakash; Bo elsewhere."""
    await upgrade(db)
    async with db.session() as session:
        town = await municipality(session, name="Søgeby Kommune", code="sg")
        mette = await staff_member(session, town, email=EMAIL, password=PASSWORD)
        sofie = await young_person(session, town, birth_year=2007, contact=mette)
        prakash = await young_person(session, town, first_name="Prakash", contact=mette)
        found = said(sofie, FOUND, 20)
        for n in range(150):
            staff = mette if n % 2 else None
            # The conversation lists by id: the one to find goes in early, 130 more below it.
            session.add(found if n == 20 else said(sofie, f"Besked nummer {n + 1}", n, staff))
            await session.flush()
        session.add(said(prakash, "Kan du hjælpe mig med at finde praktik i en butik?", 200))
        other = await municipality(session, name="Andenby Kommune", code="ab")
        berit = await staff_member(session, other, name="Berit Bo")
        bo = await young_person(session, other, first_name="Bo", contact=berit)
        session.add(said(bo, "Min praktikplads i Andenby", 210))
        await session.flush()
        assert sofie.id is not None and found.id is not None
        return sofie.id, found.id


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Served]:
    """The whole service on a free loopback port, with the rows above."""
    db = Database(database_url)
    try:
        sofie, found = await prepare(db)
        sock = listening_socket()
        async with serve(served_settings(database_url, sock), sock) as base:
            yield Served(base, sofie, found)
    finally:
        await db.dispose()


async def shot(page: Page, name: str, request: pytest.FixtureRequest) -> None:
    path = artifact(name, request)
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


async def test_search_finds_and_opens_the_message_on_a_laptop_and_a_phone(
    served: Served, request: pytest.FixtureRequest
) -> None:
    async with chromium_page(1366, 768) as page:
        await page.goto(served.base + "/inbox/login")
        await page.get_by_label("E-mail").fill(EMAIL)
        await page.get_by_label("Adgangskode").fill(PASSWORD)
        await page.get_by_role("button", name="Log ind").click()
        await expect(page.get_by_role("heading", name="Kø")).to_be_visible()

        menu = page.get_by_role("navigation", name="Hovedmenu")
        await menu.get_by_role("link", name="Søg").click()
        await expect(page.get_by_role("heading", name="Søg", exact=True)).to_be_visible()
        field = page.get_by_label("Søg efter en ung eller et ord i beskederne")
        await expect(field).to_be_focused()
        await field.fill("PRAK")
        await field.press("Enter")

        people = page.get_by_role("table").get_by_role("link", name="Prakash")
        await expect(people).to_be_visible()
        hits = page.locator("ol.hits > li")
        await expect(hits).to_have_count(2)  # Prakash's and Sofie's; never Bo's
        await expect(page.get_by_text("Andenby")).to_have_count(0)
        await expect(hits.nth(1).locator("mark")).to_have_text("prak")
        await expect(hits.nth(1)).to_contain_text("Den unge")
        await shot(page, "search-1366.png", request)

        await hits.nth(1).get_by_role("link", name="Sofie").click()
        target = page.locator(f"#m{served.found}")
        await expect(target).to_contain_text("praktikplads")
        await expect(target).to_have_class(re.compile(r"\bfound\b"))
        assert await in_view(target), "the message found is out of sight"
        assert await page.evaluate("() => window.scrollY") == 0  # the header stays in view
        newest = page.locator("#messages ol.messages > li").last
        assert not await in_view(newest)
        await shot(page, "search-opened-1366.png", request)

        await page.go_back()
        await page.set_viewport_size({"width": 390, "height": 844})
        await expect(hits).to_have_count(2)
        sideways = await page.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth"
        )
        assert sideways <= 0, f"the page scrolls sideways by {sideways}px on a phone"
        button = page.get_by_role("button", name="Søg")
        field_box, button_box = await field.bounding_box(), await button.bounding_box()
        assert field_box is not None and button_box is not None
        assert button_box["x"] + button_box["width"] <= 390 and field_box["width"] >= 200
        await shot(page, "search-390.png", request)
