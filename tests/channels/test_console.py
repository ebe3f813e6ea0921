"""The console channel: `indgang console` with piped input on SQLite, and its rendering."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from channels.base import Choice, Outbound
from channels.console.channel import ConsoleChannel


def console(tmp_path: Path, typed: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `indgang console` in an empty directory (no .env) on a fresh SQLite file."""
    environment = {**os.environ, "INDGANG_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", "--address", "mia"],
        input=typed,
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_typing_reaches_the_menu_and_a_number_picks_a_choice(tmp_path: Path) -> None:
    result = console(tmp_path, "hej\n1\n\nmenu\n2\n")

    assert result.returncode == 0, result.stderr
    replies = result.stdout.strip().split("\n\n")
    assert "ungeindsatsen i Demo Kommune" in replies[0] and "\n1. Fortsæt" in replies[0]
    # "1" picked "Fortsæt": the privacy notice follows, with its own numbered choice.
    assert any("Vi gemmer dit fornavn" in reply for reply in replies)
    menu = next(reply for reply in replies if reply.startswith("Hvad vil du gerne?"))
    assert "\n1. Min plan\n2. Mit næste møde\n" in menu
    # "2" picked "Mit næste møde" from the menu.
    assert "Du har ingen møder" in replies[-1]


def test_a_second_session_continues_the_same_young_person(tmp_path: Path) -> None:
    console(tmp_path, "hej\n")
    again = console(tmp_path, "menu\n")

    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("Hvad vil du gerne?\n1. Min plan")


def test_the_console_runs_in_development_only(tmp_path: Path) -> None:
    result = console(tmp_path, "hej\n", INDGANG_ENV="production", INDGANG_SECRET_KEY="k" * 40)

    assert result.returncode == 2
    assert "development only" in result.stderr and result.stdout == ""


async def test_replies_are_printed_with_numbered_choices() -> None:
    printed: list[str] = []
    channel = ConsoleChannel(write=printed.append)
    result = await channel.send(
        Outbound(
            message_id=7,
            address="mia",
            text="Kommer du?",
            choices=(Choice("yes", "Ja"), Choice("no", "Nej")),
        )
    )

    assert printed == ["Kommer du?\n1. Ja\n2. Nej"]
    assert (result.provider_id, result.status) == ("console:7", "delivered")
