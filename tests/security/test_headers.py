"""Inbox pages forbid framing, foreign scripts, referrers, sniffing and caching."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from bot.app import create_app
from bot.settings import Settings
from tests.fixtures.inbox import Staff, client
from tests.world import TwoTowns

SignedIn = Callable[[str], Awaitable[Staff]]


def _assert_locked_down(headers: object) -> None:
    csp = headers["content-security-policy"]  # type: ignore[index]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"] and directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    assert headers["x-frame-options"] == "DENY"  # type: ignore[index]
    assert headers["referrer-policy"] == "no-referrer"  # type: ignore[index]
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]


async def test_login_page_has_the_security_headers(app: FastAPI, world: TwoTowns) -> None:
    async with client(app) as http:
        answer = await http.get("/inbox/login")
    assert answer.status_code == 200
    _assert_locked_down(answer.headers)
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "path",
    [
        "/inbox",
        "/inbox/people/{sofie}/conversation",
        "/inbox/people/{sofie}",
        "/inbox/people/{sofie}/messages",
    ],
)
async def test_pages_about_young_people_are_not_cached_or_framed(
    signed_in: SignedIn, world: TwoTowns, path: str
) -> None:
    mette = await signed_in("mette")
    answer = await mette.get(path.format(sofie=world.people["sofie"]))
    assert answer.status_code == 200
    _assert_locked_down(answer.headers)
    assert answer.headers["cache-control"] == "no-store"


async def test_static_files_keep_their_cache_time(app: FastAPI, world: TwoTowns) -> None:
    async with client(app) as http:
        answer = await http.get("/inbox/static/htmx.min.js")
    assert answer.headers["cache-control"] == "public, max-age=3600"
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_the_api_is_not_cached_or_sniffed(signed_in: SignedIn, world: TwoTowns) -> None:
    mette = await signed_in("mette")
    answer = await mette.get(f"/api/young/{world.people['sofie']}/plan")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_https_adds_hsts_and_production_hides_the_api_docs(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        public_url="https://indgang.aarhus.dk",
        env="production",
        secret_key="k" * 40,
    )
    async with client(create_app(settings, run_workers=False)) as http:
        docs = await http.get("/docs")
        assert docs.status_code == 404
        assert docs.headers["strict-transport-security"].startswith("max-age=31536000")
        assert (await http.get("/redoc")).status_code == 404
        assert (await http.get("/inbox/login")).headers["strict-transport-security"]
