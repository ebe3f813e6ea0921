"""The running service: probes, the OpenAPI document, the simulator's API, settings errors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from bot.app import create_app
from bot.settings import Settings
from tests.fixtures.service import LIFESPAN_TIMEOUT


@pytest.fixture
async def app(database_url: str, warmed_up: None) -> AsyncIterator[FastAPI]:
    service = create_app(Settings(_env_file=None, database_url=database_url), run_workers=False)
    async with LifespanManager(
        service, startup_timeout=LIFESPAN_TIMEOUT, shutdown_timeout=LIFESPAN_TIMEOUT
    ):
        yield service


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_probes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {
        "status": "ok",
        "database": None,
        "migrations": None,
    }
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["migrations"] == "current"


async def test_openapi_describes_json_endpoints(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/healthz", "/readyz", "/chat/api/messages"} <= set(paths)
    assert "/chat" not in paths  # an HTML page, not a JSON endpoint


async def test_simulator_page_asks_who_in_danish_or_as_asked(client: httpx.AsyncClient) -> None:
    danish = await client.get("/chat", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Skriv som Sofie, Ahmed eller en ny ung" in danish.text
    assert '<html lang="da">' in danish.text
    english = await client.get("/chat?lang=en")
    assert "Write as Sofie, Ahmed or a new young person" in english.text
    assert '<html lang="en">' in english.text
    assert "Skriv som Sofie" in (await client.get("/chat?lang=xx")).text


async def test_simulator_feed_never_passes_an_answer_on_its_way(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Two messages before the first answer is sent: the page's cursor stops before it."""

    async def feed(after: int) -> list[dict[str, object]]:
        answer = await client.get(
            "/chat/api/messages", params={"visitor": "demo-ahmed", "after": after}
        )
        return list(answer.json())

    for n, text in enumerate(("hej", "menu")):
        sent = await client.post(
            "/chat/api/messages",
            json={"visitor": "demo-ahmed", "text": text, "client_id": f"feed-{n:04d}"},
        )
        assert sent.status_code == 200
    first = await feed(0)
    assert [m["direction"] for m in first] == ["in"]  # the second one waits behind the answer
    await app.state.dispatcher.dispatch_once()
    rest = await feed(int(str(first[-1]["id"])))
    assert [m["direction"] for m in rest] == ["out", "in", "out"]


async def test_simulator_chat_round_trip(app: FastAPI, client: httpx.AsyncClient) -> None:
    page = await client.get("/chat")
    assert page.status_code == 200 and "Sofie" in page.text
    sent = await client.post(
        "/chat/api/messages", json={"visitor": "demo-sofie", "text": "hej", "client_id": "abcdef12"}
    )
    assert sent.status_code == 200
    await app.state.dispatcher.dispatch_once()
    messages = (await client.get("/chat/api/messages", params={"visitor": "demo-sofie"})).json()
    assert [m["direction"] for m in messages] == ["in", "out"]
    assert "ungeindsatsen i Demo Kommune" in messages[1]["body"]
    assert messages[1]["choices"][0]["label"] == "Fortsæt"
    # The same client id again is a retry: stored once, answered once.
    await client.post(
        "/chat/api/messages", json={"visitor": "demo-sofie", "text": "hej", "client_id": "abcdef12"}
    )
    await app.state.dispatcher.dispatch_once()
    again = (await client.get("/chat/api/messages", params={"visitor": "demo-sofie"})).json()
    assert len(again) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"visitor": "x", "text": "hej"},  # visitor id too short
        {"visitor": "demo-sofie", "text": ""},  # nothing to say
        {"visitor": "demo-sofie", "text": "a" * 2001},  # oversized
        {"visitor": "../../etc", "text": "hej"},
    ],
)
async def test_simulator_rejects_bad_input(client: httpx.AsyncClient, body: dict[str, str]) -> None:
    response = await client.post("/chat/api/messages", json=body)
    assert response.status_code == 422


async def test_emoji_and_rtl_are_stored_as_written(app: FastAPI, client: httpx.AsyncClient) -> None:
    text = "مرحبا 👋"
    await client.post("/chat/api/messages", json={"visitor": "visitor-rtl", "text": text})
    messages = (await client.get("/chat/api/messages", params={"visitor": "visitor-rtl"})).json()
    assert messages[0]["body"] == text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INDGANG_TIMEZONE", "Mars/Olympus"),
        ("INDGANG_DATABASE_URL", "mysql://x"),
        ("INDGANG_PUBLIC_URL", "not a url"),
        ("INDGANG_REMINDER_APPOINTMENT_OFFSETS", '["soon"]'),
    ],
)
def test_bad_setting_stops_start_up_with_one_line(name: str, value: str, tmp_path: Path) -> None:
    env = {**os.environ, name: value}
    # In an empty directory, so a developer's .env cannot add a second complaint.
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], result.stderr
