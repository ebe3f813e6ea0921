"""Test helpers: a channel that collects what it sends, and a harness around the engine."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from bot.conversation.service import Receipt, Receiver
from bot.database import Database
from bot.outbox.dispatcher import Dispatcher
from bot.settings import OutboxSettings, Settings
from bot.wiring import build_engine
from channels.base import (
    UNKNOWN,
    Capabilities,
    Choice,
    Outbound,
    Reconciled,
    SendError,
    SendResult,
)

# The engine the composition root builds, for sweeps and staff actions that start turns.
ENGINE = build_engine()


@dataclass
class CollectingChannel:
    """An in-memory channel: records every Outbound, can be told to fail."""

    name: str = "web"
    capabilities: Capabilities = field(
        default_factory=lambda: Capabilities(buttons=True, max_length=4000, per_second=10_000)
    )
    sent: list[Outbound] = field(default_factory=list)
    failures: list[SendError] = field(default_factory=list)

    def render(self, text: str, choices: tuple[Choice, ...]) -> str:
        return text

    async def send(self, outbound: Outbound) -> SendResult:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(outbound)
        return SendResult(provider_id=f"{self.name}-{outbound.message_id}", status="delivered")

    async def reconcile(self, outbound: Outbound, since: datetime) -> Reconciled:
        return UNKNOWN  # like Telegram: an in-doubt row is sent again

    async def close(self) -> None:
        return None


_ids = itertools.count(1)


class Harness:
    """Talk to the engine as a young person and see what the dispatcher sends back."""

    def __init__(self, db: Database, address: str = "visitor-1", channel: str = "web") -> None:
        self.db = db
        self.address = address
        self.channel = CollectingChannel(name=channel)
        self.settings = Settings(
            _env_file=None,
            database_url=db.url,
            # Back-off without jitter, so tests can name the moment of a retry.
            outbox=OutboxSettings(send_backoff_base=2.0, send_backoff_jitter=0),
        )
        self.receiver = Receiver(db, build_engine())
        self.dispatcher = Dispatcher(db, {channel: self.channel}, self.settings)

    async def send(
        self,
        text: str = "",
        *,
        choice: str | None = None,
        provider_id: str | None = None,
        has_media: bool = False,
        start_payload: str | None = None,
    ) -> Receipt:
        from channels.base import Inbound

        return await self.receiver(
            Inbound(
                channel=self.channel.name,
                address=self.address,
                provider_id=provider_id or f"p{next(_ids)}",
                text=text,
                choice=choice,
                has_media=has_media,
                start_payload=start_payload,
            )
        )

    async def say(self, text: str = "", **kwargs: object) -> list[Outbound]:
        """Send a message, run the dispatcher, return what went out."""
        before = len(self.channel.sent)
        await self.send(text, **kwargs)  # type: ignore[arg-type]
        while await self.dispatcher.dispatch_once():
            pass
        return self.channel.sent[before:]

    async def tap(self, label_or_key: str) -> list[Outbound]:
        """Press the button with this key or label on the last message."""
        last = self.channel.sent[-1]
        for choice in last.choices:
            if label_or_key in (choice.key, choice.label):
                return await self.say(choice.label, choice=choice.key)
        raise AssertionError(f"no choice {label_or_key!r} in {[c.label for c in last.choices]}")
