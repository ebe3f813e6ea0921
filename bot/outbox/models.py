"""The outbox: every outgoing message is a row here before it is sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from bot.columns import created_at_field, utc_field

PENDING = "pending"
# Handed to its channel by the dispatcher that leases it: no longer cancellable. A row left
# in it by a crashed dispatcher is claimed again once its lease has run out; so is one whose
# call timed out, once its retry is due. Such a row is *in doubt* (the provider may have it):
# before it is sent again, its channel reconciles it (bot/outbox/doubt.py).
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
CANCELLED = "cancelled"

# Claimed in this order (lowest first): an answer to someone waiting (a turn's replies, a
# crisis reply, a staff member's reply now), then other messages, then what the bot starts
# unasked in bulk (reminders, check-ins, campaigns).
URGENT = 0
NORMAL = 1
BULK = 2


def priority_of(*, urgent: bool, nudge: bool) -> int:
    """The claim priority of a row: urgent first, bulk last."""
    if urgent:
        return URGENT
    return BULK if nudge else NORMAL


class OutboxItem(SQLModel, table=True):
    """A message waiting to be sent, with its retry and lease bookkeeping."""

    __tablename__ = "outbox"
    # Claims read pending rows by priority, then due time (bot/outbox/service.py: claim).
    __table_args__ = (Index("ix_outbox_claim", "status", "priority", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", unique=True)
    status: str = Field(default=PENDING, max_length=12)
    urgent: bool = Field(default=False)
    # Only the answer to STOP and crisis help go to an identity that has opted out.
    bypass_opt_out: bool = Field(default=False)
    # Started by the bot unasked (a reminder, a check-in, a campaign): it waits out quiet
    # hours when it falls due in them, and counts toward the frequency cap.
    nudge: bool = Field(default=False)
    priority: int = Field(default=NORMAL, sa_column_kwargs={"server_default": str(NORMAL)})
    delivery_id: int | None = Field(default=None, foreign_key="campaign_delivery.id")
    # A pace this message keeps besides its channel's (a campaign's own throttle): at most
    # `pace_rate` sends a second under `pace_key`, across every dispatcher process.
    pace_key: str | None = Field(default=None, max_length=40)
    pace_rate: float | None = Field(default=None)
    due_at: datetime = utc_field(nullable=False)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=200)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = utc_field()
    # When the attempt now in doubt began (set as a row is marked 'sending', cleared when its
    # outcome is recorded): what the provider created since then may be this row's message.
    # Kept when a row in doubt waits out quiet hours, so it is still reconciled when it goes.
    sending_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()
    done_at: datetime | None = utc_field()


class SendPace(SQLModel, table=True):
    """The next free send slot of one sender (or of one recipient), shared by every process.

    `sender` is a pacing key: a channel and its sender (`sms:MG…`, `telegram:<bot id>`), or
    that key plus a recipient's digest (`…:to:<hash>`) for a per-recipient interval. A row
    whose `next_at` has passed means the same as no row at all, so old rows may be deleted.
    """

    __tablename__ = "send_pace"

    sender: str = Field(primary_key=True, max_length=120)
    next_at: datetime = utc_field(nullable=False)
