"""In-doubt rows: ask the provider before sending again.

A row is *in doubt* when an attempt was recorded ('sending') but no outcome was: its
dispatcher died between the provider's answer and our commit, or the call timed out. Sent
again blindly, the young person could get it twice. So before any new attempt the row's
channel reconciles it (`Channel.reconcile`): SMS lists what Twilio holds for the recipient
since the attempt began; Telegram cannot tell (the Bot API lists nothing) and answers
`UNKNOWN`, so there the row is sent again and a duplicate stays possible.

`reconcile` decides, in this one place:
- the provider has a matching message that no other outbound message has recorded as its
  own: that message is this row's (it is settled as sent with that provider id);
- the provider has none (every match is another row's, such as an earlier identical
  reminder), or cannot tell: send;
- asking failed: a SendError still in doubt; the row waits (backed off) and asks again.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime

from sqlmodel import col, select

from bot.conversation.models import OUTBOUND, Message
from bot.database import Database
from channels.base import Channel, Outbound, SendError, SendResult


async def reconcile(
    db: Database,
    channel: Channel,
    outbound: Outbound,
    *,
    name: str,
    since: datetime,
    seconds: float,
) -> SendResult | SendError | None:
    """This row's message at the provider, a SendError when asking failed, or None: send.

    `name` is the channel's name in the outbox, `since` when the attempt in doubt began;
    asking takes at most `seconds`.
    """
    try:
        async with asyncio.timeout(seconds):
            answer = await channel.reconcile(outbound, since)
    except SendError as error:
        return dataclasses.replace(error, permanent=False, unreachable=False, in_doubt=True)
    except TimeoutError:
        return SendError("timeout asking the provider", in_doubt=True)
    except Exception as error:  # a bug or an unexpected library error: ask again, later
        return SendError(type(error).__name__, in_doubt=True)
    if not answer.known or not answer.found:
        return None
    taken = await recorded(db, name, [r.provider_id for r in answer.found])
    return next((r for r in answer.found if r.provider_id not in taken), None)


async def recorded(db: Database, channel: str, provider_ids: list[str | None]) -> set[str]:
    """Which of these provider ids outbound messages on `channel` already hold."""
    wanted = [pid for pid in provider_ids if pid]
    if not wanted:
        return set()
    async with db.session() as session:
        result = await session.exec(
            select(Message.provider_id).where(
                Message.channel == channel,
                Message.direction == OUTBOUND,
                col(Message.provider_id).in_(wanted),
            )
        )
        return {pid for pid in result.all() if pid}


__all__ = ["reconcile", "recorded"]
