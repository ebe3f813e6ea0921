"""The small contract every channel implements, the types the engine sees, and the plug-in
shape through which `bot/wiring.py` builds, routes and configures every channel alike.

Channels never import `bot`: what they need from the service arrives as plain callables in a
`ChannelContext`, or through the `CommandHost` their CLI commands are given.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Literal, NoReturn, Protocol, TypeVar

from pydantic_settings import BaseSettings, SettingsConfigDict

from channels.parts import MAX_PARTS as MAX_PARTS  # re-exported: bot uses only channels.base
from channels.parts import split

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

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

    def __post_init__(self) -> None:
        # What a young person typed is stored whatever odd bytes it carries: PostgreSQL
        # refuses NUL, and no database encodes a lone surrogate.
        for name in ("text", "choice", "start_payload"):
            value = getattr(self, name)
            if value:
                object.__setattr__(self, name, clean_text(value))


# C0 and C1 control characters except tab, line feed and carriage return.
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])


def clean_text(text: str) -> str:
    """Text as it can be stored and shown: control characters removed, and a lone surrogate
    (half of an emoji, cut or forged) replaced by U+FFFD; everything else is kept, including
    the direction and joining marks Arabic, Persian and emoji need."""
    if text.isprintable():
        return text
    whole = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return whole.translate(_CONTROLS)


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
    # Whom the provider counts sends against (a Twilio Messaging Service or number, a
    # Telegram bot): every process sending as it shares one pace. None: the channel's name.
    pace_key: str | None = None


@dataclass(frozen=True)
class Sample:
    """A message as a channel would show it, for previews: text, buttons, SMS segments."""

    text: str
    buttons: tuple[str, ...] = ()
    segments: int | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class Measure:
    """How a text fits one message on a channel, by the channel's own rules.

    `characters` counts the channel's units (SMS: GSM-7 septets or UCS-2 code units) and
    `limit` is the most of them one message holds (SMS: every allowed segment, in this text's
    encoding). `parts` is the text as it is sent: whole when it fits, else numbered parts
    ("(1/3) …") that each fit; empty when it would take more than `MAX_PARTS`.
    """

    characters: int
    limit: int
    parts: tuple[str, ...]
    segments: int | None = None
    max_segments: int | None = None
    encoding: str | None = None


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
    unsubscribed); `retry_after` is the provider's requested wait in seconds. `in_doubt`
    says the provider may have the message all the same (a call that timed out, a listing
    that failed): before it is tried again, the channel is asked to reconcile it.
    """

    reason: str
    permanent: bool = False
    unreachable: bool = False
    retry_after: float | None = None
    code: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    in_doubt: bool = False

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Reconciled:
    """What a provider says about a send whose outcome we never recorded (an *in-doubt* row).

    `known` is False when the provider cannot tell (Telegram has no way to list what a bot
    sent): the row is sent again, and a duplicate stays possible. When it is True, `found`
    holds the provider's messages that match the row (same recipient, sender and rendered
    body, created since the attempt began), oldest first; empty means none was sent.
    """

    known: bool
    found: tuple[SendResult, ...] = ()


# The answer of a channel whose provider cannot list what was sent.
UNKNOWN = Reconciled(known=False)


class Channel(Protocol):
    """A channel: its name, its capabilities, how it renders, sends and reconciles."""

    name: str
    capabilities: Capabilities

    def render(self, text: str, choices: tuple[Choice, ...]) -> str:
        """Return the text as the young person will read it on this channel."""
        ...

    async def send(self, outbound: Outbound) -> SendResult:
        """Deliver one message; raise SendError on failure."""
        ...

    async def reconcile(self, outbound: Outbound, since: datetime) -> Reconciled:
        """Before an in-doubt row is sent again: did an attempt since `since` reach the
        provider? `UNKNOWN` where the provider cannot tell; raise SendError when asking fails
        (the row then waits and asks again, never sent blind)."""
        ...

    async def close(self) -> None:
        """Release clients and sessions."""
        ...


@dataclass(frozen=True)
class StatusUpdate:
    """A provider's delivery report for a message we sent."""

    provider_id: str
    status: str
    error_code: str | None = None


# What a channel may call in the service (see ChannelContext).
Receive = Callable[[Inbound], Awaitable[object]]
RecordStatus = Callable[[str, StatusUpdate], Awaitable[bool]]  # (channel, report) -> known?
History = Callable[[str, str, int], Awaitable[list[dict[str, Any]]]]  # (channel, address, after)
Visitors = Callable[[], Awaitable[list[dict[str, str]]]]


class Translate(Protocol):
    """Danish source text in a language, placeholders filled in (the service's catalogs)."""

    def __call__(self, language: str, message: str, **values: Any) -> str: ...


def untranslated(language: str, message: str, **values: Any) -> str:
    """The Danish source text with its placeholders filled in (no catalogs)."""
    return message.format(**values) if values else message


@dataclass(frozen=True)
class Deployment:
    """Where this installation runs: all a channel needs to decide whether and how to exist."""

    environment: str  # "development" or "production"
    public_base: str  # the public address without a trailing slash

    @property
    def development(self) -> bool:
        """True where simulators and local test channels may run."""
        return self.environment == "development"


@dataclass(frozen=True)
class ChannelContext:
    """What a channel's routes and commands may call in the service."""

    deployment: Deployment
    receive: Receive  # an Inbound -> stored, answered; the receipt is not the channel's business
    record_status: RecordStatus
    history: History  # messages of one address after an id (the web simulator's feed)
    visitors: Visitors  # the simulator's demo young people
    translate: Translate = untranslated  # text on a channel's own pages, via locales/


@dataclass(frozen=True)
class InviteWay:
    """How a young person redeems an invite code on a channel: a link, or where to write it."""

    link: str | None = None
    address: str | None = None


def url_base(url: object | None) -> str | None:
    """A configured URL without its trailing slash, or None when it is not set."""
    return str(url).rstrip("/") if url else None


class ChannelSettings(BaseSettings):
    """A channel's own INDGANG_* settings, read like the main Settings (environment, `.env`).

    Subclasses add fields; a field's environment variable is the prefix plus its name, and a
    bad value is reported as that variable. Tests pass `_env_file=None` and explicit values.
    """

    model_config = SettingsConfigDict(env_prefix="INDGANG_", env_file=".env", extra="ignore")


SettingsT = TypeVar("SettingsT", bound=ChannelSettings)
ChannelT = TypeVar("ChannelT", bound=Channel)
T = TypeVar("T")


class Runtime(Protocol):
    """The running service without a web server (for CLI commands): built like the app."""

    @property
    def context(self) -> ChannelContext:
        """The same context the app's routes get."""
        ...

    def channel(self, plugin: ChannelPlugin[Any, ChannelT]) -> ChannelT | None:
        """The channel a plug-in built, if it is on."""
        ...

    async def drain(self) -> int:
        """Send every message that is due now; returns how many were handled."""
        ...


class CommandHost(Protocol):
    """What the `indgang` command offers a channel's CLI commands."""

    def settings_of(self, plugin: ChannelPlugin[SettingsT, Any]) -> SettingsT:
        """The plug-in's settings, checked; a bad one stops the command with one line."""
        ...

    def deployment(self) -> Deployment:
        """Where this installation runs."""
        ...

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run async work to completion."""
        ...

    def runtime(self, *, background_dispatch: bool = True) -> AbstractAsyncContextManager[Runtime]:
        """The service, migrated and started as the app starts it; closed on exit.

        With `background_dispatch` the dispatcher sends in the background; without it, call
        `Runtime.drain()` to send.
        """
        ...

    def fail(self, message: str, code: int = 2) -> NoReturn:
        """Stop the command with `indgang: <message>`."""
        ...


class ChannelPlugin(ABC, Generic[SettingsT, ChannelT]):
    """One channel as the service sees it. Each channel package has one, in `plugin.py`.

    `bot/wiring.py` lists the plug-ins; everything else about a channel (configuration,
    construction, webhook routes, commands) is answered here, the same way for each.
    """

    name: str
    settings_type: type[SettingsT]
    # A page for people rather than providers (the simulator), where "/" may lead.
    home_page: str | None = None
    # The longest text one message holds, where the channel counts characters.
    max_length: int = 4000

    def read_settings(self, env_file: str | None = ".env") -> SettingsT:
        """This channel's settings from the environment (raises pydantic's ValidationError)."""
        return self.settings_type(_env_file=env_file)

    @property
    def env_prefix(self) -> str:
        """The prefix of this channel's environment variables, for error messages."""
        return str(self.settings_type.model_config.get("env_prefix", ""))

    @abstractmethod
    def build(self, settings: SettingsT, deployment: Deployment) -> ChannelT | None:
        """The channel, or None when it is off here (no credentials, not in this environment)."""

    def router(
        self, channel: ChannelT, settings: SettingsT, context: ChannelContext
    ) -> APIRouter | None:
        """The channel's webhook or page routes, if it has any."""
        return None

    def commands(self, host: CommandHost) -> typer.Typer | None:
        """`indgang <name> …` commands, if any; heavy imports belong inside the commands."""
        return None

    def invite(self, settings: SettingsT, code: str) -> InviteWay | None:
        """How a young person uses an invite code on this channel, if it is configured."""
        return None

    def sample(self, settings: SettingsT, text: str, choices: tuple[Choice, ...]) -> Sample:
        """The message as this channel shows it, without credentials (a campaign preview).

        The default is a chat with buttons; a channel that shows choices otherwise says so.
        """
        return Sample(text, tuple(choice.label for choice in choices))

    def measure(self, settings: SettingsT, text: str, *, max_parts: int = MAX_PARTS) -> Measure:
        """How long `text` is here and the parts it is sent in (a staff reply, its counter).

        The default counts characters against `max_length`; a channel that counts otherwise
        (SMS segments) says so.
        """
        most = self.max_length
        return Measure(
            characters=len(text),
            limit=most,
            parts=split(text, lambda part: len(part) <= most, max_parts=max_parts),
        )
