"""The app factory: web routes, the dispatcher and the scheduler in one process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import structlog
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from bot import health, logs
from bot.checkins import scheduled as checkins_scheduled
from bot.checkins import views as checkins_views
from bot.conversation.service import Receipt, Receiver
from bot.database import Database
from bot.demo import ensure_demo
from bot.http_headers import SecurityHeaders
from bot.i18n import detect
from bot.inbox.routes import router as inbox_router
from bot.migrate import upgrade
from bot.outbox.dispatcher import Dispatcher
from bot.people import views as people_views
from bot.plans import views as plans_views
from bot.privacy import scheduled as privacy_scheduled
from bot.reminders import scheduled as reminders_scheduled
from bot.safety.screen import load_screener
from bot.scheduler import Job, Scheduler
from bot.settings import Settings, get_settings
from bot.wiring import build_channels, build_engine, build_routers

log = structlog.get_logger(__name__)


def scheduled_jobs(settings: Settings) -> list[Job]:
    """Every periodic sweep, each declared beside its domain (bot/<domain>/scheduled.py)."""
    return [*reminders_scheduled.jobs(settings), *checkins_scheduled.jobs(settings),
            *privacy_scheduled.jobs(settings)]


def create_app(settings: Settings | None = None, *, run_workers: bool = True) -> FastAPI:
    """Build the service. `run_workers=False` serves web requests only (tests, extra web nodes)."""
    settings = settings or get_settings()
    logs.configure(settings.log_level, settings.log_json)
    db = Database(settings.database_url)
    channels = build_channels(settings)
    dispatcher = Dispatcher(db, channels, settings)

    def wake(_receipt: Receipt) -> None:
        dispatcher.wake()

    receiver = Receiver(db, build_engine(), on_commit=wake)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await upgrade(db)
        if settings.demo_data and await ensure_demo(db):
            log.info("demo.created")
        # Build the language detector and the crisis screen now, not on a young person's
        # first message (each takes a second or two).
        await asyncio.to_thread(detect.warm_up)
        await asyncio.to_thread(load_screener)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(dispatcher.run(stop))] if run_workers else []
        scheduler = (Scheduler(db, jobs=scheduled_jobs(settings), wake=dispatcher.wake)
                     if run_workers else None)
        if scheduler is not None:
            await scheduler.start()
        log.info("service.started", channels=sorted(channels), workers=run_workers)
        try:
            yield
        finally:
            stop.set()
            if scheduler is not None:
                await scheduler.stop()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=10)
            await dispatcher.close()
            await db.dispose()

    app = FastAPI(title="Indgang", version="0.1.0", lifespan=lifespan,
                  description="One way in to the municipal youth service.")
    app.state.settings = settings
    app.state.db = db
    app.state.dispatcher = dispatcher
    app.state.receiver = receiver
    app.state.channels = channels
    app.add_middleware(SecurityHeaders)
    app.include_router(health.router)
    app.include_router(inbox_router)
    app.include_router(people_views.router)
    app.include_router(plans_views.router)
    app.include_router(checkins_views.router)
    for router in build_routers(channels, receiver, db, settings):
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/chat" if "web" in channels else "/healthz")

    return app
