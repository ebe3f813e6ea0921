"""The app factory: web routes, and unless asked not to, the dispatcher and the scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import structlog
from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse

from bot import health
from bot.checkins import views as checkins_views
from bot.edges import ids_in_range
from bot.http_headers import SecurityHeaders
from bot.inbox.routes import router as inbox_router
from bot.people import views as people_views
from bot.plans import views as plans_views
from bot.runtime import assemble, started
from bot.settings import Settings, get_settings
from bot.wiring import build_routers, home_page, measure_as_sent
from bot.workers import scheduling
from channels.base import ChannelSettings

log = structlog.get_logger(__name__)
# No page, form or API call of ours takes more: the longest staff reply is a few KiB.
MAX_BODY_BYTES = 1024 * 1024


def create_app(
    settings: Settings | None = None,
    *,
    channel_settings: Mapping[str, ChannelSettings] | None = None,
    run_workers: bool = True,
) -> FastAPI:
    """Build the service. `run_workers=False` serves web requests only (tests, extra web nodes).

    Channel settings not given are read from the environment (each plug-in reads its own).
    """
    service = assemble(settings or get_settings(), channel_settings)
    settings = service.settings
    dispatcher, channels = service.dispatcher, service.channels

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with started(service, background_dispatch=run_workers):
            if not run_workers:
                log.info("service.started", channels=sorted(channels), workers=False)
                yield
                return
            async with scheduling(service):
                log.info("service.started", channels=sorted(channels), workers=True)
                yield

    app = FastAPI(
        title="Indgang",
        version="0.1.0",
        lifespan=lifespan,
        description="One way in to the municipal youth service.",
        # The API's own documentation is for developers, not served in production.
        docs_url=None if settings.env == "production" else "/docs",
        redoc_url=None if settings.env == "production" else "/redoc",
        dependencies=[Depends(ids_in_range)],
        # Counted as the body arrives, before a route reads or parses it and before anyone
        # is signed in: a larger body is refused with 413 (webhooks keep tighter limits).
        max_body_size=MAX_BODY_BYTES,
    )
    app.state.settings = settings
    app.state.channel_settings = service.channel_settings
    app.state.db = service.db
    app.state.dispatcher = dispatcher
    app.state.receiver = service.receiver
    app.state.inbox_changes = service.inbox_changes
    app.state.channels = channels
    app.state.measure = measure_as_sent(service.channel_settings)
    app.add_middleware(SecurityHeaders, https=settings.public_base.startswith("https://"))
    app.include_router(health.router)
    app.include_router(inbox_router)
    app.include_router(people_views.router)
    app.include_router(plans_views.router)
    app.include_router(checkins_views.router)
    for router in build_routers(channels, service.channel_settings, service.context):
        app.include_router(router)
    home = home_page(channels) or "/healthz"

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(home)

    return app
