"""Turn a Telegram `Update` into our `Inbound`, or say why it is deliberately ignored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiogram.enums import ChatType, ContentType
from aiogram.types import CallbackQuery, Message, Update
from aiogram.types.update import UpdateTypeLookupError
from pydantic import ValidationError

from channels.base import Inbound

CHANNEL = "telegram"

# Things a young person sends that carry no readable text: we still pass them on
# (has_media=True) so the engine can answer "only text is read" instead of silence.
# UNKNOWN covers message kinds newer than our aiogram.
MEDIA_CONTENT_TYPES = frozenset(
    {
        ContentType.ANIMATION,
        ContentType.AUDIO,
        ContentType.CHECKLIST,
        ContentType.CONTACT,
        ContentType.DICE,
        ContentType.DOCUMENT,
        ContentType.GAME,
        ContentType.LIVE_PHOTO,
        ContentType.LOCATION,
        ContentType.PAID_MEDIA,
        ContentType.PHOTO,
        ContentType.POLL,
        ContentType.STICKER,
        ContentType.STORY,
        ContentType.VENUE,
        ContentType.VIDEO,
        ContentType.VIDEO_NOTE,
        ContentType.VOICE,
        ContentType.UNKNOWN,
    }
)

# Telegram deep-link payloads: https://core.telegram.org/bots/features#deep-linking
_START = re.compile(r"^/start(?:@\w+)?(?:\s+(?P<payload>\S.*))?$", re.DOTALL)
_DEEP_LINK_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


# Telegram's ids have at most 52 significant bits; anything past a signed 64-bit integer is
# forged, and would not fit our columns: skipped with 200 so it is not sent again.
ID_LIMIT = 2**63


class MalformedUpdate(ValueError):
    """The body is not a Telegram Update; the message never contains user text."""


@dataclass(frozen=True)
class Ignored:
    """An update we deliberately do not process; the webhook still answers 200."""

    reason: str


@dataclass(frozen=True)
class ParsedUpdate:
    """An inbound message plus the callback query to answer once it is stored."""

    inbound: Inbound
    callback_query_id: str | None = None


def validate_update(payload: Any) -> Update:
    """Validate a decoded JSON body with aiogram's types; raise MalformedUpdate if it is not one."""
    if not isinstance(payload, dict):
        raise MalformedUpdate("a Telegram update must be a JSON object")
    try:
        return Update.model_validate(payload)
    except ValidationError as exc:
        # Name the fields only: pydantic's own message would echo the young person's text.
        fields = sorted({".".join(str(part) for part in err["loc"]) for err in exc.errors()})
        raise MalformedUpdate(f"invalid Telegram update at: {', '.join(fields[:5])}") from None


def parse_update(payload: Any, bot_id: str) -> ParsedUpdate | Ignored:
    """Parse a webhook body into a ParsedUpdate or Ignored; raise MalformedUpdate if invalid."""
    return update_to_inbound(validate_update(payload), bot_id)


def update_to_inbound(update: Update, bot_id: str) -> ParsedUpdate | Ignored:
    """Normalise an already validated Update (webhook or getUpdates) for the engine."""
    try:
        kind = update.event_type
    except UpdateTypeLookupError:
        return Ignored("unknown update kind")
    if not 0 <= update.update_id < ID_LIMIT:
        return Ignored("update id out of range")
    provider_id = f"{bot_id}:{update.update_id}"
    if kind == "message" and update.message is not None:
        return _from_message(update.message, provider_id, bot_id)
    if kind == "callback_query" and update.callback_query is not None:
        return _from_callback(update.callback_query, provider_id, bot_id)
    if kind in ("edited_message", "edited_channel_post", "edited_business_message"):
        # The original was already answered; replaying an edit would answer twice.
        return Ignored("edited")
    return Ignored(kind)


def _from_message(message: Message, provider_id: str, bot_id: str) -> ParsedUpdate | Ignored:
    if message.chat.type != ChatType.PRIVATE:
        # Group and channel ids are not a young person's identity.
        return Ignored(f"{message.chat.type} chat")
    if not -ID_LIMIT < message.chat.id < ID_LIMIT:
        return Ignored("chat id out of range")
    address = str(message.chat.id)
    if message.text is not None:
        start = _START.match(message.text.strip())
        payload = None
        if start and start.group("payload"):
            candidate = start.group("payload").strip()
            payload = candidate if _DEEP_LINK_PAYLOAD.match(candidate) else None
        return ParsedUpdate(
            Inbound(
                channel=CHANNEL,
                address=address,
                provider_id=provider_id,
                text=message.text,
                endpoint=bot_id,
                start_payload=payload,
            )
        )
    if message.content_type in MEDIA_CONTENT_TYPES:
        return ParsedUpdate(
            Inbound(
                channel=CHANNEL,
                address=address,
                provider_id=provider_id,
                text=message.caption or "",
                endpoint=bot_id,
                has_media=True,
            )
        )
    return Ignored(f"service message: {message.content_type}")


def _from_callback(query: CallbackQuery, provider_id: str, bot_id: str) -> ParsedUpdate | Ignored:
    if query.data is None:
        return Ignored("callback without data")
    if query.message is None:
        # Buttons on inline-mode messages: we never send those, so there is no chat to answer in.
        return Ignored("inline callback")
    if query.message.chat.type != ChatType.PRIVATE:
        return Ignored(f"{query.message.chat.type} chat")
    if not -ID_LIMIT < query.message.chat.id < ID_LIMIT:
        return Ignored("chat id out of range")
    return ParsedUpdate(
        Inbound(
            channel=CHANNEL,
            address=str(query.message.chat.id),
            provider_id=provider_id,
            text="",
            choice=query.data,
            endpoint=bot_id,
        ),
        callback_query_id=query.id,
    )
