"""Hand a parsed update to the engine, then answer its button press (webhook and polling)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from channels.base import Inbound
from channels.telegram.channel import TelegramChannel
from channels.telegram.parse import Ignored, ParsedUpdate

log = logging.getLogger(__name__)

Receive = Callable[[Inbound], Awaitable[object]]


async def deliver(
    channel: TelegramChannel, parsed: ParsedUpdate | Ignored, receive: Receive
) -> None:
    """Pass an inbound to `receive`, then answer its callback; receive errors propagate."""
    if isinstance(parsed, Ignored):
        log.debug("telegram update ignored", extra={"reason": parsed.reason})
        return
    await receive(parsed.inbound)
    if parsed.callback_query_id is None:
        return
    try:
        await channel.answer_callback(parsed.callback_query_id)
    except Exception as exc:
        # The answer only stops a spinner; the message is already stored, so never fail for it.
        log.warning(
            "could not answer telegram callback query",
            extra={"provider_id": parsed.inbound.provider_id, "error": type(exc).__name__},
        )
