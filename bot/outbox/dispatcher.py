"""The dispatcher: claims due outbox rows, sends them through their channel, records results.

**No head-of-line blocking.** Claimed rows go into lanes, one per recipient
(`bot/outbox/pool.py`, `bot/outbox/lanes.py`): a recipient's messages leave in order, one
at a time, and every other recipient's go side by side. Provider calls are bounded per
channel (INDGANG_SEND_CONCURRENCY, through a gate that lets urgent rows in first:
`bot/outbox/gate.py`) and each by its own timeout (INDGANG_SEND_TIMEOUT). The dispatcher
keeps claiming while calls are in flight.

**Leases.** Rows are claimed urgent first (`leases.claim`), leased for
INDGANG_LEASE_SECONDS and renewed while held. A row is marked 'sending' just before its
call, in one conditional statement that also renews the lease (`leases.start_sending`):
after that nobody can cancel it, and before it a cancel makes it fail, so a cancel and a
send never both win. The outcome is recorded only while the lease is ours
(`leases.settle`). Marking renews the lease to its full length, and the call lasts at
most INDGANG_SEND_TIMEOUT (and half the lease), so it ends before any other worker
could claim the row again.

**In doubt.** A crash (or a timeout) between the provider accepting a message and our
commit leaves a row 'sending' with no outcome. When it is claimed again, its channel is
asked first (`bot/outbox/doubt.py`): SMS settles it with the message Twilio already holds,
or sends it if Twilio has none; Telegram cannot tell, so there a duplicate remains possible.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import structlog
from sqlalchemy.exc import IntegrityError

from bot.clock import utcnow
from bot.database import Database
from bot.outbox import doubt, leases
from bot.outbox.gate import PriorityGate
from bot.outbox.limits import PaceTooLate, recipient_key
from bot.outbox.models import CANCELLED, FAILED, PENDING, SENT
from bot.outbox.pace_store import pace_for
from bot.outbox.pool import Held
from bot.settings import Settings
from channels.base import Channel, Choice, Outbound, SendError, SendResult

log = structlog.get_logger(__name__)

# A retry due sooner than this many seconds wakes the dispatcher at its time, not at a poll.
_WAKE_HORIZON = 60.0


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
        self._held = Held(db, settings.outbox, owner=self.owner, work=self._send)

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
                self._held.clear_finished()
                try:
                    await self._held.claim()
                except Exception:
                    log.exception("dispatcher.round_failed")
                await self._held.pause(stop, self._wake)
            await self._held.stop()
        except asyncio.CancelledError:
            self._held.cancel()  # killed: the leases run out, and another worker sends
            raise
        log.info("dispatcher.stopped", owner=self.owner)

    async def dispatch_once(self) -> int:
        """Claim what there is room for, send it, and wait until every one of those is
        handled; returns how many were claimed."""
        waited: list[asyncio.Future[None]] = []
        ids = await self._held.claim(waited)
        await asyncio.gather(*waited)
        return len(ids)

    async def _send(self, claimed: leases.Claimed) -> None:
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
            outcome = await self._reconcile(claimed, channel, outbound)
            adopted = outcome is not None
            if outcome is None:
                outcome = await self._call(claimed, channel, outbound)
        if outcome is None:
            return
        if isinstance(outcome, SendResult):
            outcome = await self._sent(item.id, outcome, adopted=adopted)
        if isinstance(outcome, SendError):
            await self._failed(item.id, item.attempts, outcome, identity.address, message.channel)
            return
        log.info(
            "dispatcher.reconciled" if adopted else "dispatcher.sent",
            outbox_id=item.id,
            channel=message.channel,
            latency_ms=int((utcnow() - now).total_seconds() * 1000),
        )

    async def _reconcile(
        self, claimed: leases.Claimed, channel: Channel, outbound: Outbound
    ) -> SendResult | SendError | None:
        """For a row in doubt: the provider's message that is this row's, or a SendError when
        asking failed; None when the row is not in doubt or the provider has none of it."""
        item = claimed.item
        if item.sending_at is None:
            return None
        verdict = await doubt.reconcile(
            self.db,
            channel,
            outbound,
            name=claimed.message.channel,
            since=item.sending_at,
            seconds=self.settings.outbox.call_timeout,
        )
        log.info(
            "dispatcher.in_doubt",
            outbox_id=item.id,
            channel=claimed.message.channel,
            found=isinstance(verdict, SendResult),
            failed=isinstance(verdict, SendError),
        )
        return verdict

    async def _sent(self, item_id: int, outcome: SendResult, *, adopted: bool) -> SendError | None:
        """Record a send; a provider message adopted for an in-doubt row that another row
        recorded meanwhile (unique per channel) leaves the row in doubt, to ask again."""
        try:
            await self._settle(
                item_id,
                SENT,
                outcome.status,
                provider_id=outcome.provider_id,
                encoding=outcome.encoding,
                segments=outcome.segments,
            )
        except IntegrityError:
            if not adopted:
                raise
            return SendError("the provider's message is another row's", in_doubt=True)
        return None

    async def _call(
        self, claimed: leases.Claimed, channel: Channel, outbound: Outbound
    ) -> SendResult | SendError | None:
        """Wait for a send slot, mark the row 'sending' and call the provider; None when
        the row may not go now (it stays leased, or was cancelled, or waits out quiet hours).
        """
        item = claimed.item
        assert item.id is not None
        try:
            if item.pace_key and item.pace_rate:
                await self.pace.wait(item.pace_key, item.pace_rate)
            deadline = await self._slot(claimed.message.channel, outbound.address)
        except PaceTooLate:
            log.warning("dispatcher.pace_too_late", outbox_id=item.id)
            return None  # still leased to us: sent once the lease has run out
        outbox = self.settings.outbox
        if not await leases.start_sending(
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
            # Marking the row took a database round trip; if that missed the slot's window,
            # take a fresh sender slot (nothing in between now), so the provider's rate holds.
            while deadline is not None and self.pace.past(deadline):
                log.info("dispatcher.slot_missed", outbox_id=item.id)
                key, per_second, _ = self._limits[claimed.message.channel]
                deadline = await self.pace.wait(key, per_second)  # the recipient's is taken
            # Quiet hours may have begun while it waited: looked at with no await before
            # the call.
            if await self._deferred(claimed):
                return None
            async with asyncio.timeout(outbox.call_timeout):
                return await channel.send(outbound)
        except PaceTooLate:
            return SendError("no send slot in time")
        except SendError as error:
            return error
        except TimeoutError:
            log.warning("dispatcher.send_timeout", outbox_id=item.id)
            return SendError("timeout", in_doubt=True)  # the provider may have it
        except Exception as error:  # a bug or an unexpected library error: retry, later
            log.warning(
                "dispatcher.unexpected_error", outbox_id=item.id, error=type(error).__name__
            )
            return SendError(type(error).__name__)

    async def _slot(self, channel: str, address: str) -> float | None:
        """Wait for a send slot of `channel`'s sender and of `address`; when it must go by."""
        key, per_second, interval = self._limits[channel]
        return await self.pace.wait(
            key, per_second, recipient=recipient_key(key, address), interval=interval
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
        if error.retry_after is None:
            delay *= 1 - self.settings.outbox.send_backoff_jitter * self._jitter()
        if error.retry_after and channel in self._limits:
            await self.pace.hold(
                recipient_key(self._limits[channel][0], address), error.retry_after
            )
        log.info(
            "dispatcher.retry",
            outbox_id=item_id,
            code=error.code,
            delay_s=round(delay, 1),
            in_doubt=error.in_doubt,
        )
        await self._settle(
            item_id,
            PENDING,
            "queued",
            error=reason,
            error_code=error.code,
            retry_at=utcnow() + timedelta(seconds=delay),
            in_doubt=error.in_doubt,
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

    async def _deferred(self, claimed: leases.Claimed) -> bool:
        # A reminder or campaign falling due (or paced) into quiet hours goes after them.
        quiet_until = claimed.quiet_until(utcnow())
        if quiet_until is None or claimed.item.id is None:
            return False
        await leases.defer(self.db, claimed.item.id, owner=self.owner, until=quiet_until)
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
        kept = await leases.settle(
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
        self._held.close()
        for channel in self.channels.values():
            await channel.close()


__all__ = ["Dispatcher"]
