"""The dispatcher: claims due outbox rows, sends them through their channel, records results.

**No head-of-line blocking.** Claimed rows go into lanes, one per recipient
(`bot/outbox/lanes.py`): a recipient's messages leave in order, one at a time, and every
other recipient's go side by side. Provider calls are bounded per channel
(INDGANG_SEND_CONCURRENCY, through a gate that lets urgent rows in first:
`bot/outbox/gate.py`) and each by its own timeout (INDGANG_SEND_TIMEOUT). The dispatcher
keeps claiming while calls are in flight, up to INDGANG_DISPATCHER_BATCH rows held at once,
of which a quarter is kept for urgent and normal rows, so a backlog of reminders never
holds up an answer.

**Leases.** Rows are claimed urgent first (`service.claim`), leased for
INDGANG_LEASE_SECONDS and renewed while held. A row is marked 'sending' just before its
call, in one conditional statement that also renews the lease (`service.start_sending`):
after that nobody can cancel it, and before it a cancel makes it fail, so a cancel and a
send never both win. The outcome is recorded only while the lease is ours
(`service.settle`). A send starts with at least three quarters of a lease left and lasts at
most INDGANG_SEND_TIMEOUT (under three quarters of the lease), so it ends before any other
worker could claim the row again. What remains possible is a duplicate after a crash (or a
timeout) between the provider accepting a message and our commit.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import datetime, timedelta

import structlog

from bot.clock import utcnow
from bot.database import Database
from bot.outbox import service
from bot.outbox.gate import PriorityGate
from bot.outbox.lanes import Lanes
from bot.outbox.limits import PaceTooLate, recipient_key
from bot.outbox.models import BULK, CANCELLED, FAILED, NORMAL, PENDING, SENT
from bot.outbox.pace_store import pace_for
from bot.settings import Settings
from channels.base import Channel, Choice, Outbound, SendError, SendResult

log = structlog.get_logger(__name__)

# A retry due sooner than this many seconds wakes the dispatcher at its time, not at a poll.
_WAKE_HORIZON = 60.0


def _recipient(claimed: service.Claimed) -> tuple[str, str]:
    """The lane of a row: its channel and address (a row without one goes alone)."""
    if claimed.identity is None:
        return ("", f"#{claimed.item.id}")
    return (claimed.message.channel, claimed.identity.address)


class Dispatcher:
    """Sends outbox rows; safe to run in several processes at once."""

    def __init__(
        self,
        db: Database,
        channels: Mapping[str, Channel],
        settings: Settings,
        *,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.db = db
        self.channels = channels
        self.settings = settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = asyncio.Event()
        # Paced across every process sending as the same sender (bot/outbox/limits.py).
        self.pace = pace_for(db, settings.outbox.send_pace_margin)
        self._limits = {name: self.limits(name, ch) for name, ch in channels.items()}
        self._gates = {name: PriorityGate(settings.outbox.send_concurrency) for name in channels}
        self._lease_spare = settings.outbox.lease_seconds / 4
        self._jitter = jitter
        self._held: dict[int, service.Claimed] = {}
        self._lanes: Lanes[service.Claimed] = Lanes(
            self._send_held, key=_recipient, order=lambda c: c.item.id or 0
        )
        self._renewer: asyncio.Task[None] | None = None
        self._saturated = False

    def wake(self) -> None:
        """Look at the outbox now rather than at the next interval."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set; then finish the calls in flight and give back the rest.

        Claims whenever there is room, while earlier sends are still in flight.
        """
        log.info("dispatcher.started", owner=self.owner)
        try:
            while not stop.is_set():
                self._wake.clear()
                self._lanes.finished.clear()
                try:
                    await self._claim()
                except Exception:
                    log.exception("dispatcher.round_failed")
                    self._saturated = False
                await self._pause(stop)
            await self._lanes.stop()
            await service.release(self.db, list(self._held), owner=self.owner)
        except asyncio.CancelledError:
            self._lanes.cancel()  # killed: the leases run out, and another worker sends
            raise
        finally:
            self._stop_renewing()
        log.info("dispatcher.stopped", owner=self.owner)

    async def _pause(self, stop: asyncio.Event) -> None:
        """Wait for a wake-up, a stop or the interval; or, when more rows may be due than
        there was room for, until a quarter of the room has been freed (claims stay batches
        rather than one row per finished send)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.outbox.dispatcher_interval
        refill = len(self._held) - max(1, self.settings.outbox.dispatcher_batch // 4)
        while (left := deadline - loop.time()) > 0:
            events = [self._wake, stop] + ([self._lanes.finished] if self._saturated else [])
            waiters = [asyncio.create_task(event.wait()) for event in events]
            try:
                await asyncio.wait(waiters, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
            if self._wake.is_set() or stop.is_set():
                return
            if len(self._held) <= refill:
                return
            self._lanes.finished.clear()

    async def dispatch_once(self) -> int:
        """Claim what there is room for, send it, and wait until every one of those is
        handled; returns how many were claimed."""
        waited: list[asyncio.Future[None]] = []
        ids = await self._claim(waited)
        await asyncio.gather(*waited)
        return len(ids)

    async def _claim(self, waited: list[asyncio.Future[None]] | None = None) -> list[int]:
        """Claim due rows, urgent first, as many as there is room for; put them in lanes."""
        outbox = self.settings.outbox
        room = outbox.dispatcher_batch - len(self._held)
        self._saturated = room <= 0
        if room <= 0:
            return []
        # A quarter of the room is kept for urgent and normal rows.
        held_bulk = sum(1 for c in self._held.values() if c.item.priority >= BULK)
        bulk_room = outbox.dispatcher_batch - max(1, outbox.dispatcher_batch // 4) - held_bulk
        if bulk_room >= room:
            ids = await self._claim_rows(room, BULK)
        else:
            ids = await self._claim_rows(room, NORMAL)
            if (bulk := min(room - len(ids), bulk_room)) > 0:
                ids += await self._claim_rows(bulk, BULK)
        if not ids:
            return ids
        claimed = await service.load(self.db, ids)
        claimed.sort(key=lambda c: (c.item.priority, c.item.due_at, c.item.id or 0))
        for item in claimed:
            assert item.item.id is not None
            self._held[item.item.id] = item
            done = self._lanes.add(item)
            if waited is not None:
                waited.append(done)
        self._start_renewing()
        return ids

    async def _claim_rows(self, limit: int, lowest: int) -> list[int]:
        ids = await service.claim(
            self.db,
            owner=self.owner,
            now=utcnow(),
            limit=limit,
            lease_seconds=self.settings.outbox.lease_seconds,
            lowest=lowest,
        )
        # All it asked for: more may be due, to be claimed as soon as there is room.
        self._saturated |= len(ids) == limit
        return ids

    def _start_renewing(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew_leases())

    def _stop_renewing(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None

    async def _renew_leases(self) -> None:
        """Keep the leases of held rows fresh until none is held."""
        every = self.settings.outbox.lease_seconds / 4
        while self._held:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._lanes.idle(), timeout=every)
            if not self._held:
                return
            held = list(self._held)
            try:
                kept = await service.renew(
                    self.db,
                    held,
                    owner=self.owner,
                    now=utcnow(),
                    lease_seconds=self.settings.outbox.lease_seconds,
                )
            except Exception:
                log.exception("dispatcher.renew_failed")
                continue
            for lost in set(held) - kept:
                if self._held.pop(lost, None) is not None:
                    log.warning("dispatcher.lease_lost", outbox_id=lost)

    async def _send_held(self, claimed: service.Claimed) -> None:
        try:
            if claimed.item.id in self._held:
                await self._send(claimed)
        finally:
            self._held.pop(claimed.item.id or 0, None)

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
        if await self._deferred(claimed):
            return
        outbound = Outbound(
            message_id=message.id or 0,
            address=identity.address,
            text=message.body,
            choices=tuple(Choice(c["key"], c["label"]) for c in message.choices),
        )
        async with self._gates[message.channel].slot(item.priority):
            outcome = await self._call(claimed, channel, outbound)
        if outcome is None:
            return
        if isinstance(outcome, SendError):
            await self._failed(item.id, item.attempts, outcome, identity.address, message.channel)
            return
        await self._settle(
            item.id,
            SENT,
            outcome.status,
            provider_id=outcome.provider_id,
            encoding=outcome.encoding,
            segments=outcome.segments,
        )
        log.info(
            "dispatcher.sent",
            outbox_id=item.id,
            channel=message.channel,
            latency_ms=int((utcnow() - now).total_seconds() * 1000),
        )

    async def _call(
        self, claimed: service.Claimed, channel: Channel, outbound: Outbound
    ) -> SendResult | SendError | None:
        """Wait for a send slot, mark the row 'sending' and call the provider; None when
        the row may not go now (it stays leased, or was cancelled, or waits out quiet hours).
        """
        item = claimed.item
        assert item.id is not None
        key, per_second, interval = self._limits[claimed.message.channel]
        try:
            if item.pace_key and item.pace_rate:
                await self.pace.wait(item.pace_key, item.pace_rate)
            await self.pace.wait(
                key, per_second, recipient=recipient_key(key, outbound.address), interval=interval
            )
        except PaceTooLate:
            log.warning("dispatcher.pace_too_late", outbox_id=item.id)
            return None  # still leased to us: sent once the lease has run out
        if await self._deferred(claimed):
            return None
        outbox = self.settings.outbox
        if not await service.start_sending(
            self.db,
            item.id,
            owner=self.owner,
            now=utcnow(),
            lease_seconds=outbox.lease_seconds,
            spare=self._lease_spare,
        ):
            # Cancelled (a campaign paused, a scheduled reply withdrawn), or waiting for a
            # slot took most of the lease: another worker may take the row soon. A row
            # still pending goes once the lease has run out.
            log.info("dispatcher.not_sent", outbox_id=item.id)
            return None
        try:
            async with asyncio.timeout(outbox.send_timeout):
                return await channel.send(outbound)
        except SendError as error:
            return error
        except TimeoutError:
            log.warning("dispatcher.send_timeout", outbox_id=item.id)
            return SendError("timeout")
        except Exception as error:  # a bug or an unexpected library error: retry, later
            log.warning(
                "dispatcher.unexpected_error", outbox_id=item.id, error=type(error).__name__
            )
            return SendError(type(error).__name__)

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
        if error.retry_after is None:
            delay *= 1 - self.settings.outbox.send_backoff_jitter * self._jitter()
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
        if delay < _WAKE_HORIZON:
            asyncio.get_running_loop().call_later(delay, self.wake)

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
        """Seconds to wait before attempt `attempt + 1`: exponential, capped, or as told.

        Before jitter: a retry is due `backoff * (1 - jitter * random)` later (equal jitter,
        INDGANG_SEND_BACKOFF_JITTER), or exactly when a provider's Retry-After said.
        """
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
        self._stop_renewing()
        for channel in self.channels.values():
            await channel.close()


__all__ = ["Dispatcher"]
