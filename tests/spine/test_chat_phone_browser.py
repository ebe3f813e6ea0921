"""The chat simulator on a phone (390×844), served under a name that is not localhost.

The page is opened as http://indgang-test.local:PORT (Chromium maps the name to the loopback
server), so it is not a secure context and `crypto.randomUUID` does not exist: sending must
work anyway. Before choosing who to write as, the page asks and keeps the typed text; after
30 messages the input and the newest reply are in view, no bubble appears twice, and a
reload opens at the newest message. Screenshots go to `test-artifacts/`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import OutboxSettings, Settings
from tests.browser import (
    artifact,
    chromium_page,
    listening_socket,
    port_of,
    require_chromium,
    serve,
)

require_chromium()

from playwright.async_api import Locator, Page, expect  # noqa: E402

pytestmark = pytest.mark.browser

HOST = "indgang-test.local"
WIDTH, HEIGHT = 390, 844
# As many as one young person may send in a minute before the bot holds back (the demo
# municipality's inbound_per_minute); enough that the log scrolls on a phone.
MESSAGES = 20

# True when the element is inside the window; with `within`, inside that element's box too.
IN_VIEW = """([el, within]) => {
  const box = el.getBoundingClientRect();
  const outer = within ? within.getBoundingClientRect()
    : {top: 0, bottom: window.innerHeight, left: 0, right: window.innerWidth};
  return box.height > 0 && box.top >= Math.max(0, outer.top) - 1
    && box.bottom <= Math.min(window.innerHeight, outer.bottom) + 1
    && box.left >= 0 && box.right <= window.innerWidth + 1;
}"""


async def in_view(page: Page, item: Locator, within: Locator | None = None) -> bool:
    element = await item.element_handle()
    outer = await within.element_handle() if within is not None else None
    return bool(await page.evaluate(IN_VIEW, [element, outer]))


async def bubble_ids(page: Page) -> list[str]:
    return list(await page.locator("#log .msg").evaluate_all("(ms) => ms.map(m => m.dataset.id)"))


async def shot(page: Page, name: str, request: pytest.FixtureRequest) -> None:
    path = artifact(name, request)
    await page.screenshot(path=str(path))
    print(f"screenshot: {path}")


async def test_chat_on_a_phone_over_plain_http(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'indgang.db'}",
        outbox=OutboxSettings(dispatcher_interval=0.2),
    )
    sock = listening_socket()
    rules = f"--host-resolver-rules=MAP {HOST} 127.0.0.1"
    async with serve(settings, sock), chromium_page(WIDTH, HEIGHT, args=[rules]) as page:
        base = f"http://{HOST}:{port_of(sock)}"
        posts: list[str] = []
        page.on(
            "request",
            lambda r: posts.append(r.url) if r.method == "POST" and "/chat/api/" in r.url else None,
        )
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{base}/chat")
        assert not await page.evaluate("window.isSecureContext")
        assert await page.evaluate("typeof crypto.randomUUID") == "undefined"

        # Writing before choosing: the page asks, keeps the text and makes up no visitor.
        prompt = page.locator("#prompt")
        await expect(prompt).to_have_text("Skriv som Sofie, Ahmed eller en ny ung")
        box = page.get_by_label("Besked", exact=True)
        await box.fill("hej")
        await box.press("Enter")
        await expect(prompt).to_have_class("prompt asked")
        await expect(box).to_have_value("hej")
        assert posts == []
        assert await page.evaluate("localStorage.getItem('indgang.visitor')") is None
        await shot(page, "chat-ask-390.png", request)

        await page.get_by_role("button", name="Sofie").click()
        await expect(page.locator("#current")).to_have_text("Du skriver som Sofie.")
        await box.press("Enter")  # the kept "hej" goes now
        replies = page.locator("#log .msg.out")
        await expect(replies.first).to_be_visible(timeout=10_000)
        sent = page.locator("#log .msg.in")
        for n in range(2, MESSAGES + 1):
            before = await replies.count()
            await box.fill("menu")
            await box.press("Enter")
            await expect(sent).to_have_count(n)
            await expect(replies.nth(before)).to_be_attached()
        await expect(replies.last).to_contain_text("Hvad vil du gerne?")
        await page.wait_for_timeout(1500)  # a few more polls: nothing may come twice
        assert len(posts) == MESSAGES
        assert errors == []

        log = page.locator("#log")
        ids = await bubble_ids(page)
        assert len(ids) == len(set(ids)), "a bubble is shown twice"
        stored = await page.evaluate(
            "fetch('/chat/api/messages?visitor=demo-sofie&after=0').then((r) => r.json())"
        )
        assert ids == [str(m["id"]) for m in stored]
        assert await in_view(page, box)
        assert await in_view(page, page.get_by_role("button", name="Send", exact=True))
        assert await in_view(page, replies.last, within=log)
        assert await page.evaluate("document.scrollingElement.scrollTop") == 0
        assert await log.evaluate("(el) => el.scrollHeight > el.clientHeight")
        await shot(page, "chat-20-messages-390.png", request)

        # A reload opens the history at the newest message, each bubble once.
        await page.reload()
        await expect(page.locator("#log .msg")).to_have_count(len(ids))
        await expect(page.locator("#current")).to_have_text("Du skriver som Sofie.")
        await page.wait_for_timeout(500)
        assert await bubble_ids(page) == ids
        assert await in_view(page, page.locator("#log .msg").last, within=log)
        assert await in_view(page, box)
        await shot(page, "chat-reload-390.png", request)
