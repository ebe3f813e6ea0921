"""The `indgang` command."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from bot.campaigns.cli import campaign_app
from bot.cli_support import CliHost, channel_settings, run, settings
from bot.content import cli as content_cli
from bot.people.cli import young_app
from bot.plans.cli import plan_app
from bot.privacy import cli as privacy_cli
from bot.settings import describe_error
from bot.staff.cli import staff_app
from bot.wiring import add_channel_commands

app = typer.Typer(help="Indgang: one way in to the municipal youth service.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(content_cli.app, name="content")
app.add_typer(young_app, name="young")
app.add_typer(privacy_cli.app, name="privacy")
app.add_typer(plan_app, name="plan")
app.add_typer(campaign_app, name="campaign")
add_channel_commands(app, CliHost())


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    web_only: bool = typer.Option(
        False, "--web-only", help="Serve web requests only; `indgang worker` sends and sweeps."
    ),
) -> None:
    """Run web, dispatcher and scheduler in one process (or the web part alone)."""
    typer.echo(f"Indgang starting on http://{host}:{port}  (chat simulator: /chat)")
    import uvicorn

    from bot.app import create_app

    service = create_app(settings(), channel_settings=channel_settings(), run_workers=not web_only)
    uvicorn.run(service, host=host, port=port, log_config=None, proxy_headers=True)


@app.command()
def worker() -> None:
    """Send the outbox and run the sweeps, without web routes (beside `serve --web-only`).

    Start as many as needed against one PostgreSQL; stop one with SIGTERM.
    """
    from bot.workers import work

    run(work(settings()))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    from bot.database import Database
    from bot.migrate import upgrade

    async def go() -> None:
        db = Database(settings().database_url)
        await upgrade(db)
        await db.dispose()

    run(go())
    typer.echo("database is up to date")


@db_app.command("check")
def db_check() -> None:
    """Fail when the models and the migrations differ."""
    from bot.database import Database
    from bot.migrate import check

    async def go() -> None:
        db = Database(settings().database_url)
        try:
            await check(db)
        finally:
            await db.dispose()

    run(go())


@db_app.command("revision")
def db_revision(message: str = typer.Option(..., "-m", help="What the migration does.")) -> None:
    """Autogenerate a migration from the models (for developers)."""
    from bot.migrate import revision

    revision(settings().database_url, message)


@app.command()
def demo() -> None:
    """Create the demo municipality, contact person and young people (empty database only)."""
    from bot.database import Database
    from bot.demo import DEMO_LOGIN, ensure_demo
    from bot.migrate import upgrade

    async def go() -> bool:
        db = Database(settings().database_url)
        await upgrade(db)
        created = await ensure_demo(db)
        await db.dispose()
        return created

    if run(go()):
        typer.echo(f"demo data created; inbox login {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}")
    else:
        typer.echo("the database already has data; nothing created")


def main() -> None:
    """Entry point that turns configuration errors into one line."""
    try:
        app()
    except ValidationError as exc:
        print(f"indgang: configuration error: {describe_error(exc)}", file=sys.stderr)
        sys.exit(2)
