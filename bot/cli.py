"""The `indgang` command."""

from __future__ import annotations

import asyncio
import sys

import typer
from pydantic import ValidationError

from bot.cli_support import run, settings
from bot.content import cli as content_cli
from bot.people.cli import young_app
from bot.plans.cli import plan_app
from bot.privacy import cli as privacy_cli
from bot.settings import describe_error
from bot.staff.cli import staff_app

app = typer.Typer(help="Indgang: one way in to the municipal youth service.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
telegram_app = typer.Typer(help="Telegram bot set-up.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(telegram_app, name="telegram")
app.add_typer(content_cli.app, name="content")
app.add_typer(young_app, name="young")
app.add_typer(privacy_cli.app, name="privacy")
app.add_typer(plan_app, name="plan")


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, help="Port to listen on.")) -> None:
    """Run everything in one process: web, dispatcher and scheduler."""
    import uvicorn

    from bot.app import create_app

    config = settings()
    typer.echo(f"Indgang on http://{host}:{port}  (chat simulator: /chat)")
    uvicorn.run(create_app(config), host=host, port=port, log_config=None, proxy_headers=True)


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


@telegram_app.command("set-webhook")
def telegram_set_webhook() -> None:
    """Register INDGANG_PUBLIC_URL/webhooks/telegram with Telegram, with the secret."""
    from bot.wiring import telegram_channel
    from channels.telegram.polling import set_webhook

    config = settings()
    if not config.telegram_token or not config.telegram_webhook_secret:
        typer.echo("indgang: INDGANG_TELEGRAM_TOKEN and INDGANG_TELEGRAM_WEBHOOK_SECRET are needed",
                   err=True)
        raise typer.Exit(2)
    secret = config.telegram_webhook_secret

    async def go() -> None:
        channel = telegram_channel(config)
        try:
            await set_webhook(channel, config.public_base + "/webhooks/telegram", secret)
        finally:
            await channel.close()

    run(go())
    typer.echo("webhook registered")


@telegram_app.command("poll")
def telegram_poll() -> None:
    """Long-poll Telegram for local development without a public URL (runs the dispatcher too)."""
    from bot.conversation.service import Receiver
    from bot.database import Database
    from bot.migrate import upgrade
    from bot.outbox.dispatcher import Dispatcher
    from bot.wiring import build_channels, telegram_channel
    from channels.telegram.polling import poll

    config = settings()
    if not config.telegram_token:
        typer.echo("indgang: INDGANG_TELEGRAM_TOKEN is needed", err=True)
        raise typer.Exit(2)

    async def go() -> None:
        db = Database(config.database_url)
        await upgrade(db)
        channels = build_channels(config)
        dispatcher = Dispatcher(db, channels, config)
        receiver = Receiver(db, on_commit=lambda _r: dispatcher.wake())
        stop = asyncio.Event()
        worker = asyncio.create_task(dispatcher.run(stop))
        channel = telegram_channel(config)
        try:
            await poll(channel, receiver, stop)
        finally:
            stop.set()
            await worker
            await channel.close()
            await dispatcher.close()
            await db.dispose()

    run(go())


def main() -> None:
    """Entry point that turns configuration errors into one line."""
    try:
        app()
    except ValidationError as exc:
        print(f"indgang: configuration error: {describe_error(exc)}", file=sys.stderr)
        sys.exit(2)
