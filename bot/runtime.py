"""The service's moving parts, assembled one way for the app factory and for CLI commands.

`assemble` builds the database handle, one object per channel, the dispatcher, the receiver
and the context channels' routes get; `started` migrates, warms up and runs the dispatcher
(the app's lifespan) with, on PostgreSQL, a listener that wakes it when any process writes
outbox rows (bot/signals.py); `running` is both, for commands such as
`indgang telegram poll`, `indgang console` and `indgang worker`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import structlog

from bot import logs
from bot.clock import utcnow
from bot.conversation.service import Receipt, Receiver, messages_for_address
from bot.database import Database
from bot.demo import DEMO_VISITORS, ensure_demo
from bot.i18n import detect, tr
from bot.migrate import is_current, upgrade
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.service import record_status
from bot.safety.screen import load_screener
from bot.settings import Settings
from bot.signals import INBOX, OUTBOX, Changes, Listener
from bot.wiring import build_channels, build_engine, deployment_of, read_channel_settings
from channels.base import Channel, ChannelContext, ChannelPlugin, ChannelSettings, StatusUpdate

log = structlog.get_logger(__name__)

ChannelT = TypeVar("ChannelT", bound=Channel)


@dataclass
class Service:
    """Everything that handles messages, built once per process."""

    settings: Settings
    db: Database
    channel_settings: dict[str, ChannelSettings]
    channels: dict[str, Channel]
    dispatcher: Dispatcher
    receiver: Receiver
    context: ChannelContext
    # Woken when messages or handoffs change in any process (PostgreSQL; bot/signals.py).
    inbox_changes: Changes = field(default_factory=Changes)

    def channel(self, plugin: ChannelPlugin[Any, ChannelT]) -> ChannelT | None:
        """The channel a plug-in built, if it is on."""
        # build_channels stores what plugin.build returned under plugin.name.
        return cast("ChannelT | None", self.channels.get(plugin.name))

    async def drain(self) -> int:
        """Send every message that is due now; returns how many were handled."""
        total = 0
        while handled := await self.dispatcher.dispatch_once():
            total += handled
        return total


def assemble(
    settings: Settings, channel_settings: Mapping[str, ChannelSettings] | None = None
) -> Service:
    """Build the service; channel settings not given are read from the environment."""
    logs.configure(settings.log_level, settings.log_json)
    db = Database(settings.database_url)
    every_setting = read_channel_settings(channel_settings)
    channels = build_channels(deployment_of(settings), every_setting)
    dispatcher = Dispatcher(db, channels, settings)

    def wake(_receipt: Receipt) -> None:
        dispatcher.wake()

    receiver = Receiver(db, build_engine(), on_commit=wake)
    return Service(
        settings=settings,
        db=db,
        channel_settings=every_setting,
        channels=channels,
        dispatcher=dispatcher,
        receiver=receiver,
        context=channel_context(db, receiver, settings),
    )


def channel_context(db: Database, receiver: Receiver, settings: Settings) -> ChannelContext:
    """What channels may call: the receiver, delivery reports, the simulator's feed."""

    async def on_status(channel: str, update: StatusUpdate) -> bool:
        return await record_status(
            db,
            channel=channel,
            provider_id=update.provider_id,
            status=update.status,
            error_code=update.error_code,
            now=utcnow(),
        )

    async def history(channel: str, address: str, after: int) -> list[dict[str, Any]]:
        return await messages_for_address(db, channel=channel, address=address, after=after)

    async def visitors() -> list[dict[str, str]]:
        return [{"visitor": v, "label": label} for v, label in DEMO_VISITORS.items()]

    return ChannelContext(
        deployment=deployment_of(settings),
        receive=receiver,
        record_status=on_status,
        history=history,
        visitors=visitors,
        translate=tr,
    )


async def _start(service: Service) -> None:
    """Migrate, create demo data when asked, and build the slow readers before any message.

    Each step is logged as it begins (a first start migrates and creates the demo data, which
    takes a few seconds); later starts find the database current and load no Alembic.
    """
    began = time.perf_counter()
    if await is_current(service.db):
        log.info("database.current")
    else:
        log.info("database.migrating")
        await upgrade(service.db)
        log.info("database.migrated", seconds=_since(began))
    if service.settings.demo_data:
        step = time.perf_counter()
        if await ensure_demo(service.db):
            log.info("demo.created", seconds=_since(step))
    # The crisis screen is built now, not on a young person's first message: its word index
    # (a few tenths of a second) and its example index (mapped from the cache directory, or
    # built and stored there on a first start; bot/safety/example_cache.py). On this thread:
    # nothing else runs before start-up ends, and built on a worker thread, its objects held
    # that thread's own malloc arena (about 3 MB) for good. The language detector is built
    # here too; lingua loads a language's model when a message in its script first needs it
    # (about 70 ms, once), not every model up front.
    log.info("safety.screen_loading")
    step = time.perf_counter()
    load_screener()
    detect.warm_up()
    log.info("safety.screen_loaded", seconds=_since(step))


def _since(moment: float) -> float:
    return round(time.perf_counter() - moment, 2)


@asynccontextmanager
async def started(service: Service, *, background_dispatch: bool = True) -> AsyncIterator[Service]:
    """The service migrated and warmed up, and the dispatcher sending in the background if asked.

    On exit the dispatcher finishes its round, then every client and the database are closed.
    """
    try:
        await _start(service)
        stop = asyncio.Event()
        workers = []
        if background_dispatch:
            workers.append(asyncio.create_task(service.dispatcher.run(stop)))
        if service.db.dialect == "postgresql":
            handlers = {INBOX: service.inbox_changes.notify}
            if background_dispatch:
                handlers[OUTBOX] = service.dispatcher.wake
            workers.append(asyncio.create_task(Listener(service.db.url, handlers).run(stop)))
        try:
            yield service
        finally:
            stop.set()
            for worker in workers:
                with suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(worker, timeout=10)
    finally:
        await service.dispatcher.close()
        await service.db.dispose()


def running(
    settings: Settings,
    channel_settings: Mapping[str, ChannelSettings] | None = None,
    *,
    background_dispatch: bool = True,
) -> AbstractAsyncContextManager[Service]:
    """The service without a web server, for CLI commands: assembled and started."""
    return started(assemble(settings, channel_settings), background_dispatch=background_dispatch)
