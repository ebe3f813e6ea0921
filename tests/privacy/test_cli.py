"""`indgang privacy …` on a real database file or PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import SQLModel, select
from typer.testing import CliRunner

import bot.models  # noqa: F401
from bot.cli import app
from bot.database import Database
from bot.people.models import YoungPerson
from bot.settings import get_settings
from bot.staff.models import StaffMember
from tests.world import METTE, SERVICE, youth_service

ANNE = "anne@ungeby.dk"


async def _prepare(url: str) -> dict[str, int]:
    db = Database(url)
    async with db.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    await youth_service(db)
    async with db.session() as session:
        mette = (await session.exec(select(StaffMember))).first()
        assert mette is not None
        session.add(
            StaffMember(
                municipality_id=mette.municipality_id, name="Anne Admin", email=ANNE, role="admin"
            )
        )
        ids = {p.first_name or "": p.id for p in (await session.exec(select(YoungPerson))).all()}
    await db.dispose()
    return {k: v for k, v in ids.items() if v is not None}


@pytest.fixture
def town(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """The youth service (tests.world) and Anne, its admin, on a database the CLI opens."""
    monkeypatch.setenv("INDGANG_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield asyncio.run(_prepare(database_url))
    get_settings.cache_clear()


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["privacy", *args])
    return result.exit_code, result.output


def test_export_json_and_html_then_audit_lists_the_reads(
    town: dict[str, int], tmp_path: Path
) -> None:
    sofie = str(town["Sofie"])
    code, _ = invoke(
        "export",
        "--young-person",
        sofie,
        "--format",
        "json",
        "--out",
        str(tmp_path / "sofie.json"),
        "--by",
        METTE,
    )
    assert code == 0
    data = json.loads((tmp_path / "sofie.json").read_text("utf-8"))
    assert data["tables"]["young_person"][0]["first_name"] == "Sofie"
    assert "Ahmed" not in (tmp_path / "sofie.json").read_text("utf-8")
    code, _ = invoke(
        "export", "--young-person", sofie, "--format", "html", "--out", str(tmp_path / "sofie.html")
    )
    assert code == 0
    assert f"Dine oplysninger hos {SERVICE}" in (tmp_path / "sofie.html").read_text("utf-8")
    code, output = invoke("audit", "--young-person", sofie)
    assert code == 0
    lines = output.strip().splitlines()
    assert f"Mette Hansen <{METTE}> (contact_person)  export" in lines[0]
    assert "system  export  command line" in lines[1]


def test_erase_needs_an_admin(town: dict[str, int]) -> None:
    sofie = str(town["Sofie"])
    code, output = invoke("erase", "--young-person", sofie, "--by", METTE, "--yes")
    assert code == 1 and "only an admin" in output
    code, output = invoke("erase", "--young-person", sofie, "--by", ANNE, "--yes")
    assert code == 0 and "young_person=1" in output
    code, output = invoke("audit", "--young-person", sofie)
    assert code == 0 and "Anne Admin" in output and "erased" in output
    code, output = invoke("export", "--young-person", sofie, "--out", "/dev/null")
    assert code == 1 and "no young person" in output


def test_retention_dry_run_with_nothing_closed(town: dict[str, int]) -> None:
    code, output = invoke("retention", "--dry-run")
    assert code == 0 and "0 case(s) past retention" in output
