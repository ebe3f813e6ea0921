"""Send messages to Telegram through aiogram's `Bot`, mapping its errors to `SendError`."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import ClientError

from channels import rendering
from channels.base import (
    UNKNOWN,
    Capabilities,
    Choice,
    Outbound,
    Reconciled,
    SendError,
    SendResult,
)

# Telegram's limit for callback_data, in bytes of UTF-8.
MAX_CALLBACK_DATA_BYTES = 64

_CHAT_ID = re.compile(r"-?[0-9]{1,20}")

# Descriptions of 400 errors that mean the chat no longer exists for this bot.
_UNREACHABLE_400 = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")


class TelegramChannel:
    """One Telegram bot: renders choices as inline buttons and sends through aiogram."""

    name = "telegram"
    capabilities = Capabilities(
        buttons=True, max_length=4096, per_second=30, per_recipient_interval=1.0
    )

    def __init__(self, token: str, api_base: str | None = None, *, timeout: float = 15.0) -> None:
        # A short timeout: the dispatcher holds a lease on the outbox row while we wait.
        if api_base is None:
            session = AiohttpSession(timeout=timeout)
        else:
            session = AiohttpSession(api=TelegramAPIServer.from_base(api_base), timeout=timeout)
        self.bot = Bot(token=token, session=session)
        # Telegram's limits are per bot: every process sending as this bot shares one pace.
        self.capabilities = replace(type(self).capabilities, pace_key=f"telegram:{self.bot_id}")

    @property
    def bot_id(self) -> str:
        """The bot's numeric id (the token before ':'), used as the inbound endpoint."""
        return self.bot.token.split(":", 1)[0]

    def render(self, text: str, choices: tuple[Choice, ...]) -> str:
        """Return the text: choices travel as inline buttons (capabilities.buttons), not as text."""
        return rendering.render(text, choices, self.capabilities)

    async def send(self, outbound: Outbound) -> SendResult:
        """Send one message with its choices as an inline keyboard; raise SendError on failure."""
        markup = _keyboard(outbound.choices)
        if not _CHAT_ID.fullmatch(outbound.address):
            # int() would accept "+4520123456": a phone number must never pass as a chat id.
            raise SendError(
                "address is not a Telegram chat id",
                permanent=True,
                unreachable=True,
                code="address",
            )
        chat_id = int(outbound.address)
        try:
            message = await self.bot.send_message(
                chat_id=chat_id,
                text=self.render(outbound.text, outbound.choices),
                reply_markup=markup,
            )
        except (AiogramError, ClientError, TimeoutError) as exc:
            raise send_error(exc) from exc
        # A message_id is unique only inside its chat (the Bot API's words): with the chat it
        # names one message, as the stored provider id must (unique per channel).
        return SendResult(
            provider_id=f"{chat_id}:{message.message_id}", status="sent", encoding="UTF-8"
        )

    async def reconcile(self, outbound: Outbound, since: datetime) -> Reconciled:
        """The Bot API cannot list what a bot sent: an in-doubt message is sent again, so a
        crash between Telegram's answer and our commit can still deliver it twice."""
        return UNKNOWN

    async def answer_callback(self, callback_query_id: str) -> None:
        """Stop the button's loading spinner on the young person's screen."""
        await self.bot.answer_callback_query(callback_query_id=callback_query_id)

    async def close(self) -> None:
        """Close the HTTP session behind the bot."""
        await self.bot.session.close()


def _keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    """One button per row, so long Danish labels are never cut off on a phone."""
    if not choices:
        return None
    for choice in choices:
        if len(choice.key.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise SendError(
                f"choice key longer than {MAX_CALLBACK_DATA_BYTES} bytes",
                permanent=True,
                code="callback_data",
                details={"key": choice.key[:16]},
            )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=choice.label, callback_data=choice.key)]
            for choice in choices
        ]
    )


def send_error(exc: BaseException) -> SendError:
    """Translate an aiogram or transport error into our SendError."""
    if isinstance(exc, TelegramRetryAfter):
        # aiogram's own message names the chat id; keep identities out of stored errors.
        return SendError(
            "rate limited by Telegram",
            retry_after=float(exc.retry_after),
            code="429",
            details={"error": type(exc).__name__},
        )
    description = getattr(exc, "message", None) or type(exc).__name__
    details = {"error": type(exc).__name__, "description": str(description)[:200]}
    if isinstance(exc, TelegramForbiddenError):
        # Blocked, kicked or deactivated: retrying cannot help until they write again.
        return SendError(
            "bot was blocked or removed",
            permanent=True,
            unreachable=True,
            code="403",
            details=details,
        )
    if isinstance(exc, TelegramMigrateToChat):
        details = {"error": type(exc).__name__, "migrate_to_chat_id": str(exc.migrate_to_chat_id)}
        return SendError(
            "chat migrated to a supergroup",
            permanent=True,
            unreachable=True,
            code="400",
            details=details,
        )
    if isinstance(exc, TelegramBadRequest):
        unreachable = any(marker in str(description).lower() for marker in _UNREACHABLE_400)
        reason = "chat not found" if unreachable else "rejected by Telegram as a bad request"
        return SendError(
            reason, permanent=True, unreachable=unreachable, code="400", details=details
        )
    if isinstance(exc, TelegramEntityTooLarge):
        return SendError("message too large", permanent=True, code="413", details=details)
    if isinstance(exc, TelegramUnauthorizedError):
        # Our token is wrong: an operator must fix it, and the message must not be lost meanwhile.
        return SendError("bot token rejected", code="401", details=details)
    if isinstance(exc, TelegramServerError):
        return SendError("Telegram server error", code="5xx", details=details)
    if isinstance(exc, TelegramNetworkError | ClientError | TimeoutError):
        return SendError("network error talking to Telegram", code="network", details=details)
    if isinstance(exc, TelegramAPIError):
        return SendError("Telegram API error", details=details)
    return SendError("unexpected error from the Telegram client", details=details)
