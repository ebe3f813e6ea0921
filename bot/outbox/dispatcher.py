"""The dispatcher: claims due outbox rows, sends them through their channel, records results."""

from __future__ import annotations

import asyncio
import os
import socket
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

import structlog

from bot.clock import utcnow
from bot.database import Database
from bot.outbox import service
from bot.outbox.limits import PaceTooLate, recipient_key
from bot.outbox.models import CANCELLED, FAILED, PENDING, SENT
from bot.outbox.pace_store import pace_for
from bot.settings import Settings
from channels.base import Channel, Choice, Outbound, SendError

log = structlog.get_logger(__name__)


class Dispatcher:
    """Sends outbox rows; safe to run in several processes at once."""

    def __init__(self, db: Database, channels: Mapping[str, Channel], settings: Settings) -> None:
        self.db = db
        self.channels = channels
        self.settings = settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = asyncio.Event()
        # Paced across every process sending as the same sender (bot/outbox/limits.py).
        self.pace = pace_for(db, settings.outbox.send_pace_margin)
        self._limits = {name: self.limits(name, ch) for name, ch in channels.items()}
        self._lease_spare = timedelta(seconds=settings.outbox.lease_seconds / 4)

    def wake(self) -> None:
        """Look at the outbox now rather than at the next interval."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set."""
        log.info("dispatcher.started", owner=self.owner)
        while not stop.is_set():
            try:
                sent = await self.dispatch_once()
            except Exception:
                log.exception("dispatcher.round_failed")
                sent = 0
            if sent:
                continue
            self._wake.clear()
            waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
            await asyncio.wait(
                waiters,
                timeout=self.settings.outbox.dispatcher_interval,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for waiter in waiters:
                waiter.cancel()
        log.info("dispatcher.stopped", owner=self.owner)

    async def dispatch_once(self) -> int:
        """Claim one batch of due rows and send it; returns how many were handled."""
        ids = await service.claim(
            self.db,
            owner=self.owner,
            now=utcnow(),
            limit=self.settings.outbox.dispatcher_batch,
            lease_seconds=self.settings.outbox.lease_seconds,
        )
        if not ids:
            return 0
        claimed = await service.load(self.db, ids)
        # One recipient's messages go in order; different recipients go side by side.
        by_recipient: dict[tuple[str, str], list[service.Claimed]] = defaultdict(list)
        for item in claimed:
            key = (item.message.channel, item.identity.address if item.identity else "")
            by_recipient[key].append(item)
        await asyncio.gather(*(self._send_in_order(group) for group in by_recipient.values()))
        return len(claimed)

    async def _send_in_order(self, group: list[service.Claimed]) -> None:
        for claimed in group:
            try:
                await self._send(claimed)
            except Exception:
                # One broken row must not stop the others; its lease expires and it is retried.
                log.exception("dispatcher.send_crashed", outbox_id=claimed.item.id)

    async def _send(self, claimed: service.Claimed) -> None:
        item, message, identity = claimed.item, claimed.message, claimed.identity
        assert item.id is not None
        now = utcnow()
        channel = self.channels.get(message.channel)
        if identity is None or channel is None:
            await self._settle(item.id, FAILED, "failed", error="no channel for this message")
            return
        if identity.unreachable_at is not None:
            await self._settle(item.id, FAILED, "failed", error="recipient unreachable")
            return
        if identity.opted_out_at is not None and not item.bypass_opt_out:
            await self._settle(item.id, CANCELLED, "cancelled", error="recipient opted out")
            return
        outbound = Outbound(
            message_id=message.id or 0,
            address=identity.address,
            text=message.body,
            choices=tuple(Choice(c["key"], c["label"]) for c in message.choices),
        )
        if await self._deferred(claimed):
            return
        key, per_second, interval = self._limits[message.channel]
        try:
            if item.pace_key and item.pace_rate:
                await self.pace.wait(item.pace_key, item.pace_rate)
            await self.pace.wait(
                key, per_second, recipient=recipient_key(key, identity.address), interval=interval
            )
        except PaceTooLate:
            log.warning("dispatcher.pace_too_late", outbox_id=item.id)
            return  # still leased to us: sent once the lease has run out
        if item.lease_until is not None and utcnow() > item.lease_until - self._lease_spare:
            # Waiting for a slot took most of the lease: another worker may take the row
            # soon, so sending now could send it twice. It goes once the lease has run out.
            log.warning("dispatcher.lease_spent_pacing", outbox_id=item.id)
            return
        if await self._deferred(claimed):
            return
        if item.delivery_id is not None and not await service.still_pending(self.db, item.id):
            # Its campaign was paused or cancelled while the row waited for its slot.
            log.info("dispatcher.taken_back", outbox_id=item.id)
            return
        try:
            result = await channel.send(outbound)
        except SendError as error:
            await self._failed(item.id, item.attempts, error, identity.address, message.channel)
            return
        except Exception as error:  # a bug or an unexpected library error: retry, later
            log.warning(
                "dispatcher.unexpected_error", outbox_id=item.id, error=type(error).__name__
            )
            await self._failed(
                item.id,
                item.attempts,
                SendError(type(error).__name__),
                identity.address,
                message.channel,
            )
            return
        await self._settle(
            item.id,
            SENT,
            result.status,
            provider_id=result.provider_id,
            encoding=result.encoding,
            segments=result.segments,
        )
        log.info(
            "dispatcher.sent",
            outbox_id=item.id,
            channel=message.channel,
            latency_ms=int((utcnow() - now).total_seconds() * 1000),
        )

    async def _failed(
        self, item_id: int, attempts: int, error: SendError, address: str, channel: str
    ) -> None:
        reason = error.reason[:200]
        if error.permanent or attempts + 1 >= self.settings.outbox.send_max_attempts:
            log.warning(
                "dispatcher.failed",
                outbox_id=item_id,
                code=error.code,
                permanent=error.permanent,
                unreachable=error.unreachable,
            )
            await self._settle(
                item_id,
                FAILED,
                "failed",
                error=reason,
                error_code=error.code,
                unreachable=error.unreachable,
            )
            return
        delay = self.backoff(attempts + 1, error.retry_after)
        if error.retry_after and channel in self._limits:
            await self.pace.hold(
                recipient_key(self._limits[channel][0], address), error.retry_after
            )
        log.info("dispatcher.retry", outbox_id=item_id, code=error.code, delay_s=round(delay, 1))
        await self._settle(
            item_id,
            PENDING,
            "queued",
            error=reason,
            error_code=error.code,
            retry_at=utcnow() + timedelta(seconds=delay),
        )

    def limits(self, name: str, channel: Channel) -> tuple[str, float, float]:
        """The pacing key, sends per second and per-recipient interval of a channel.

        INDGANG_SEND_RATES overrides the rate, by pacing key first, then by channel name.
        """
        capabilities = channel.capabilities
        key = capabilities.pace_key or name
        rates = self.settings.outbox.send_rates
        per_second = rates.get(key, rates.get(name, capabilities.per_second))
        return key, per_second, capabilities.per_recipient_interval

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt `attempt + 1`: exponential, capped, or as told."""
        if retry_after is not None:
            return min(float(retry_after), self.settings.outbox.send_backoff_cap)
        return float(
            min(
                self.settings.outbox.send_backoff_base**attempt,
                self.settings.outbox.send_backoff_cap,
            )
        )

    async def _deferred(self, claimed: service.Claimed) -> bool:
        # A reminder or campaign falling due (or paced) into quiet hours goes after them.
        quiet_until = claimed.quiet_until(utcnow())
        if quiet_until is None or claimed.item.id is None:
            return False
        await service.defer(self.db, claimed.item.id, owner=self.owner, until=quiet_until)
        return True

    async def _settle(
        self,
        item_id: int,
        status: str,
        message_status: str,
        *,
        retry_at: datetime | None = None,
        **fields: object,
    ) -> None:
        kept = await service.settle(
            self.db,
            item_id,
            owner=self.owner,
            now=utcnow(),
            status=status,
            message_status=message_status,
            retry_at=retry_at,
            **fields,  # type: ignore[arg-type]
        )
        if not kept:
            log.warning("dispatcher.lease_lost", outbox_id=item_id)

    async def close(self) -> None:
        """Close every channel's client."""
        for channel in self.channels.values():
            await channel.close()


__all__ = ["Dispatcher"]
