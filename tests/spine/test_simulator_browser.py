"""Acceptance 1: open /chat in a browser, write 'hej', reach the plan in Danish."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from bot.settings import Settings
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium, serve

pytestmark = pytest.mark.browser


def test_chat_in_a_browser(tmp_path: Path) -> None:
    require_chromium()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'indgang.db'}",
                        dispatcher_interval=0.2)
    with serve(settings) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{base}/chat")
        page.get_by_role("button", name="Sofie").click()
        page.get_by_label("Besked", exact=True).fill("hej")
        page.get_by_label("Besked", exact=True).press("Enter")
        expect(page.get_by_text("ungeindsatsen i Demo Kommune")).to_be_visible(timeout=10_000)
        for label in ("Fortsæt", "OK", "Dansk"):
            page.locator(".msg.out").last.get_by_role("button", name=label).click()
        expect(page.locator(".msg.out").last).to_contain_text("Hvad vil du gerne?")
        page.locator(".msg.out").last.get_by_role("button", name="Min plan").click()
        plan = page.locator(".msg.out").last
        expect(plan).to_contain_text("Dit mål: Starte på tømreruddannelsen i august")
        expect(plan).to_contain_text("(senest ")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "simulator-plan.png"), full_page=True)
        browser.close()
