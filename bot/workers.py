"""The background work of a process: the periodic sweeps beside the dispatcher.

`indgang serve` runs the web routes and this work in one process; for scale-out,
`indgang serve --web-only` runs web processes without it and `indgang worker` runs it
without web. Any number of workers may run against one PostgreSQL: they share the outbox
(rows claimed with SKIP LOCKED, rates kept in the `send_pace` table), one of them at a time
leads the sweeps (an advisory lock, bot/scheduler.py), and every one is woken by the
notifications writers send (bot/outbox/signal.py).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog

from bot.campaigns import scheduled as campaigns_scheduled
from bot.checkins import scheduled as checkins_scheduled
from bot.conversation.engine import Engine
from bot.privacy import scheduled as privacy_scheduled
from bot.reminders import scheduled as reminders_scheduled
from bot.runtime import Service, running
from bot.scheduler import Job, Scheduler
from bot.settings import Settings

log = structlog.get_logger(__name__)


def scheduled_jobs(settings: Settings, engine: Engine) -> list[Job]:
    """Every periodic sweep, each declared beside its domain (bot/<domain>/scheduled.py)."""
    return [
        *reminders_scheduled.jobs(settings, engine),
        *campaigns_scheduled.jobs(settings, engine),
        *checkins_scheduled.jobs(settings, engine),
        *privacy_scheduled.jobs(settings),
    ]


@asynccontextmanager
async def scheduling(service: Service) -> AsyncIterator[Scheduler]:
    """The sweeps running (on the leader) while the block runs; they wake the dispatcher."""
    scheduler = Scheduler(
        service.db,
        jobs=scheduled_jobs(service.settings, service.receiver.engine),
        wake=service.dispatcher.wake,
    )
    await scheduler.start()
    try:
        yield scheduler
    finally:
        await scheduler.stop()


async def work(settings: Settings) -> None:
    """Run the dispatcher and the sweeps without web routes until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with running(settings) as service, scheduling(service):
        log.info("worker.started", channels=sorted(service.channels))
        await stop.wait()
    log.info("worker.stopped")
