"""Twilio webhook form parameters to our types."""

from __future__ import annotations

from collections.abc import Mapping

from channels.base import Inbound, StatusUpdate
from channels.sms.phone import InvalidPhoneNumber, normalise

# Every MessageStatus Twilio documents for outbound messages and their callbacks.
STATUSES = frozenset(
    {
        "accepted",
        "scheduled",
        "canceled",
        "queued",
        "sending",
        "sent",
        "failed",
        "delivered",
        "undelivered",
        "receiving",
        "received",
        "read",
        "partially_delivered",
    }
)


class MalformedPayload(ValueError):
    """A webhook form that lacks or garbles a parameter we need."""


def _sid(form: Mapping[str, str]) -> str:
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    if not sid:
        raise MalformedPayload("MessageSid is missing")
    if len(sid) > 64 or not sid.isalnum():
        raise MalformedPayload("MessageSid is not a Twilio SID")
    return sid


PROVIDER_KEYWORDS = frozenset({"stop", "start", "help"})


def parse_inbound(form: Mapping[str, str]) -> Inbound:
    """Return the Inbound for an incoming-message webhook (SMS or MMS)."""
    provider_id = _sid(form)
    raw_from = form.get("From")
    if not raw_from:
        raise MalformedPayload("From is missing")
    try:
        address = normalise(raw_from)
    except InvalidPhoneNumber as exc:
        raise MalformedPayload(f"From is not usable: {exc}") from None
    try:
        num_media = int(form.get("NumMedia") or "0")
    except ValueError:
        raise MalformedPayload("NumMedia is not a number") from None
    if num_media < 0:
        raise MalformedPayload("NumMedia is negative")
    endpoint = (form.get("To") or "").strip() or None
    opt_out_type = (form.get("OptOutType") or "").strip().lower()
    return Inbound(
        channel="sms",
        address=address,
        provider_id=provider_id,
        text=form.get("Body") or "",
        endpoint=endpoint,
        has_media=num_media > 0,
        # Set by Twilio's Advanced Opt-Out when it has replied to STOP/START/HELP itself.
        provider_answered=opt_out_type if opt_out_type in PROVIDER_KEYWORDS else None,
    )


def parse_status(form: Mapping[str, str]) -> StatusUpdate:
    """Return the StatusUpdate for a status callback."""
    provider_id = _sid(form)
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not status:
        raise MalformedPayload("MessageStatus is missing")
    if status not in STATUSES:
        raise MalformedPayload("MessageStatus is not a known Twilio status")
    error_code = (form.get("ErrorCode") or "").strip() or None
    return StatusUpdate(provider_id=provider_id, status=status, error_code=error_code)
