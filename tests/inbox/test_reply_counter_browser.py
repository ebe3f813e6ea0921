"""The reply box's counter in headless Chromium: measured by the server as the young
person's channel counts (SMS segments, parts), and a reply too long even in parts is stopped
in the page with the Danish message, before anything is sent."""

from __future__ import annotations

import pytest

from tests.browser import artifact, require_chromium
from tests.inbox.test_browser import SOFIE, Served, page, served, sign_in  # noqa: F401

require_chromium()

from playwright.async_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.browser

SENTENCE = "Mødet er på tirsdag kl. 10.00 på Ungdommens Uddannelsesvejledning, Vestergade 12. "


async def test_counter_shows_parts_and_stops_a_reply_too_long(
    page: Page,  # noqa: F811
    served: Served,  # noqa: F811
    request: pytest.FixtureRequest,
) -> None:
    await sign_in(page, served)
    await served.sms("kontakt")
    row = page.locator("#queue tbody tr", has_text="Sofie")
    await row.get_by_role("link", name="Sofie").click()
    box = page.get_by_label("Besked til Sofie")
    counter = page.locator("#sms-count")

    await box.fill("Hej Sofie 👋")
    await expect(counter).to_contain_text("UCS-2 · 12 af 201 tegn · 1 SMS")

    await box.fill((SENTENCE * 11)[:900])
    await expect(counter).to_contain_text("6 SMS · sendes i 3 dele")
    await expect(counter).to_have_attribute("data-parts", "3")

    await box.fill("Husk mødet 😀 " * 200)
    await expect(counter).to_contain_text("Beskeden er for lang til den unges kanal")
    await page.screenshot(path=str(artifact("reply-too-long.png", request)), full_page=True)
    before = len(served.fake.sent_bodies(SOFIE))
    await page.get_by_role("button", name="Send", exact=True).click()
    message = await box.evaluate("area => area.validationMessage")
    assert message.startswith("Beskeden er for lang"), message
    await page.wait_for_timeout(500)
    assert len(served.fake.sent_bodies(SOFIE)) == before
    assert "Husk mødet" not in await page.locator("#messages").inner_text()
