"""A small, quick process: no provider library without its channel, no PostgreSQL driver on
SQLite, no Alembic once migrated.

Measured by bench/bench_footprint.py; these tests keep the reasons from coming back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.migrate import alembic_config, head_revisions
from bot.staff.service import _DUMMY_HASH, _hasher

PROVIDER_LIBRARIES = ("aiogram", "twilio", "aiohttp")


def _loaded(code: str, env: dict[str, str]) -> list[str]:
    """Top-level packages a fresh interpreter holds after running `code`."""
    tops = "sorted({m.split('.')[0] for m in sys.modules})"
    probe = f"{code}\nimport json, sys\nprint(json.dumps({tops}))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INDGANG_")}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=Path(__file__).resolve().parents[2],
    )
    return list(json.loads(done.stdout.splitlines()[-1]))


def _app(tmp_path: Path) -> dict[str, str]:
    return {"INDGANG_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}


def test_the_app_without_credentials_loads_no_provider_library(tmp_path: Path) -> None:
    loaded = _loaded(
        "from bot.cli import app\nfrom bot.app import create_app\ncreate_app()", _app(tmp_path)
    )
    assert "fastapi" in loaded
    assert [name for name in PROVIDER_LIBRARIES if name in loaded] == []


def test_the_app_on_sqlite_loads_no_postgresql_driver(tmp_path: Path) -> None:
    # PostgreSQL's notifications (bot/signals.py) import psycopg once they start listening.
    loaded = _loaded(
        "from bot.cli import app\nfrom bot.app import create_app\ncreate_app()", _app(tmp_path)
    )
    assert "sqlalchemy" in loaded
    assert "psycopg" not in loaded


def test_a_configured_telegram_channel_loads_aiogram(tmp_path: Path) -> None:
    env = {
        **_app(tmp_path),
        "INDGANG_TELEGRAM_TOKEN": "123456:" + "A" * 35,
        "INDGANG_TELEGRAM_WEBHOOK_SECRET": "s" * 32,
    }
    assert "aiogram" in _loaded("from bot.app import create_app\ncreate_app()", env)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_migrated_database_starts_without_alembic(database_url: str) -> None:
    upgrade = (
        "import asyncio\nfrom bot.database import Database\nfrom bot.migrate import upgrade\n"
        f"db = Database({database_url!r})\n"
        "asyncio.run(upgrade(db))\n"
    )
    assert "alembic" in _loaded(upgrade, {})  # the first start migrates
    assert "alembic" not in _loaded(upgrade, {})  # later ones find it current


def test_the_head_is_read_from_the_files_as_alembic_reads_it() -> None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert head_revisions() == frozenset(heads)


def test_the_written_out_dummy_hash_has_the_hasher_parameters() -> None:
    # Unknown emails are verified against it: the same work as a real account's hash.
    assert not _hasher.check_needs_rehash(_DUMMY_HASH)
