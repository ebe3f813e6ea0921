"""Register the webhook, or long-poll getUpdates where no public address exists (development)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import TypeVar

from aiogram.exceptions import TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.types import Update

from channels.telegram.channel import TelegramChannel
from channels.telegram.intake import Receive, deliver
from channels.telegram.parse import update_to_inbound

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]

T = TypeVar("T")


class _Stopped(Exception):
    """The stop event was set while we waited."""


async def set_webhook(channel: TelegramChannel, url: str, secret: str) -> None:
    """Point Telegram at our webhook URL with the secret it must echo in every request."""
    await channel.bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)


async def poll(
    channel: TelegramChannel,
    receive: Receive,
    stop: asyncio.Event,
    *,
    poll_seconds: int = 25,
    max_backoff: float = 30.0,
) -> None:
    """Long-poll getUpdates until `stop` is set, feeding each update to `receive`."""
    offset: int | None = None
    first_backoff = min(1.0, max_backoff)
    backoff = first_backoff
    webhook_deleted = False
    while not stop.is_set():
        try:
            if not webhook_deleted:
                # getUpdates is refused while a webhook is set; pending updates are kept.
                await _until_stopped(channel.bot.delete_webhook(drop_pending_updates=False), stop)
                webhook_deleted = True
            updates = await _until_stopped(
                channel.bot.get_updates(
                    offset=offset,
                    timeout=poll_seconds,
                    allowed_updates=ALLOWED_UPDATES,
                    request_timeout=poll_seconds + 10,
                ),
                stop,
            )
            for update in updates:
                await _handle(channel, update, receive)
                # Advance only once stored: a crash replays the update, and provider_id dedups it.
                offset = max(offset or 0, update.update_id + 1)
            backoff = first_backoff
        except _Stopped:
            break
        except TelegramUnauthorizedError:
            raise
        except TelegramRetryAfter as exc:
            await _sleep(float(exc.retry_after), stop)
        except Exception as exc:
            log.warning("telegram polling failed", extra={"error": type(exc).__name__})
            await _sleep(backoff, stop)
            backoff = min(backoff * 2, max_backoff)


async def _handle(channel: TelegramChannel, update: Update, receive: Receive) -> None:
    await deliver(channel, update_to_inbound(update, channel.bot_id), receive)


async def _until_stopped(awaitable: Awaitable[T], stop: asyncio.Event) -> T:
    """Await `awaitable`, cancelling it as soon as `stop` is set."""
    task = asyncio.ensure_future(awaitable)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    raise _Stopped


async def _sleep(seconds: float, stop: asyncio.Event) -> None:
    """Sleep, but wake at once when asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
