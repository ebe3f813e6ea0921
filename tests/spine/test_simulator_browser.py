"""Acceptance 1: open /chat in a browser, write 'hej', reach the plan in Danish."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import OutboxSettings, Settings
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    artifact,
    listening_socket,
    require_chromium,
    serve,
)

require_chromium()

from playwright.async_api import async_playwright, expect  # noqa: E402

pytestmark = pytest.mark.browser


async def test_chat_in_a_browser(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'indgang.db'}",
        outbox=OutboxSettings(dispatcher_interval=0.2),
    )
    async with serve(settings, listening_socket()) as base, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        await page.goto(f"{base}/chat")
        await page.get_by_role("button", name="Sofie").click()
        await page.get_by_label("Besked", exact=True).fill("hej")
        await page.get_by_label("Besked", exact=True).press("Enter")
        await expect(page.get_by_text("ungeindsatsen i Demo Kommune")).to_be_visible(timeout=10_000)
        for label in ("Fortsæt", "OK", "Dansk"):
            await page.locator(".msg.out").last.get_by_role("button", name=label).click()
        await expect(page.locator(".msg.out").last).to_contain_text("Hvad vil du gerne?")
        await page.locator(".msg.out").last.get_by_role("button", name="Min plan").click()
        plan = page.locator(".msg.out").last
        await expect(plan).to_contain_text("Dit mål: Starte på tømreruddannelsen i august")
        await expect(plan).to_contain_text("(senest ")
        await page.screenshot(path=str(artifact("simulator-plan.png", request)), full_page=True)
        await browser.close()
