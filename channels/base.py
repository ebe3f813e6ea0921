"""The small contract every channel implements, and the types the engine sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Encoding = Literal["GSM-7", "UCS-2", "UTF-8"]


@dataclass(frozen=True)
class Choice:
    """One answer the young person can pick: a stable key and a label in their language."""

    key: str
    label: str


@dataclass(frozen=True)
class Inbound:
    """A message from a young person, normalised at the edge.

    `address` is the channel identity (Telegram chat id as text, E.164 phone number,
    or the web simulator's visitor id). `provider_id` is unique per channel (Twilio's
    MessageSid, Telegram's update_id prefixed by the bot id). `choice` is set when the
    young person pressed a button; `text` is what they typed. `endpoint` names which
    bot or number received it, so the municipality that owns it can be found.
    """

    channel: str
    address: str
    provider_id: str
    text: str = ""
    choice: str | None = None
    endpoint: str | None = None
    has_media: bool = False
    start_payload: str | None = None
    # 'stop', 'start' or 'help' when the provider already answered that keyword itself.
    provider_answered: str | None = None


@dataclass(frozen=True)
class Outbound:
    """A message to send: text plus optional choices, rendered by the channel."""

    message_id: int
    address: str
    text: str
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Capabilities:
    """What a channel can do; the engine and dispatcher read these as data."""

    buttons: bool
    max_length: int
    per_second: float = 30.0
    per_recipient_interval: float = 0.0


@dataclass(frozen=True)
class SendResult:
    """What the provider said when it accepted a message."""

    provider_id: str | None = None
    status: str = "sent"
    encoding: Encoding | None = None
    segments: int | None = None


@dataclass
class SendError(Exception):
    """A failed send. `permanent` errors are never retried.

    `unreachable` marks the channel identity as not reachable (bot blocked, number
    unsubscribed); `retry_after` is the provider's requested wait in seconds.
    """

    reason: str
    permanent: bool = False
    unreachable: bool = False
    retry_after: float | None = None
    code: str | None = None
    details: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.reason


class Channel(Protocol):
    """A channel: its name, its capabilities, how it renders and sends."""

    name: str
    capabilities: Capabilities

    def render(self, text: str, choices: tuple[Choice, ...]) -> str:
        """Return the text as the young person will read it on this channel."""
        ...

    async def send(self, outbound: Outbound) -> SendResult:
        """Deliver one message; raise SendError on failure."""
        ...

    async def close(self) -> None:
        """Release clients and sessions."""
        ...
