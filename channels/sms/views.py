"""Twilio webhooks: incoming SMS and delivery status callbacks."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from twilio.request_validator import RequestValidator

from channels.base import Inbound, StatusUpdate
from channels.sms.channel import SmsChannel
from channels.sms.parse import MalformedPayload, parse_inbound, parse_status
from channels.sms.settings import SMS_PATH, STATUS_PATH

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


class _Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _form_schema(required: list[str], fields: dict[str, str]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": required,
                        "properties": {
                            name: {"type": "string", "description": text}
                            for name, text in fields.items()
                        },
                        "additionalProperties": {"type": "string"},
                    }
                }
            },
        }
    }


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Accepted; empty TwiML (replies go through the outbox, never TwiML).",
        "content": {"application/xml": {"example": EMPTY_TWIML}},
    },
    400: {"description": "Signed, but not a usable Twilio form."},
    403: {"description": "X-Twilio-Signature missing or wrong; nothing was processed."},
    413: {"description": "Body larger than 64 KiB."},
}


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise _Rejected(413, "body too large")
    body = bytearray()
    # Count while streaming: a chunked request has no Content-Length to trust.
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY:
            raise _Rejected(413, "body too large")
    return bytes(body)


def _decode_form(request: Request, body: bytes) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise _Rejected(400, "not a form post")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise _Rejected(400, "form could not be decoded") from None
    return dict(pairs)


async def _verified_form(request: Request, validator: RequestValidator, url: str) -> dict[str, str]:
    """Read, size-check and signature-check the form; raise _Rejected otherwise."""
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        raise _Rejected(403, "signature missing")
    body = await _read_body(request)
    form = _decode_form(request, body)
    # The URL Twilio signed is the public one we configured, not request.url: behind a
    # proxy the scheme, host and port we see are not the ones Twilio called.
    if not validator.validate(url, form, signature):
        raise _Rejected(403, "signature invalid")
    return form


def _reject(path: str, rejected: _Rejected) -> Response:
    log.warning(
        "twilio webhook rejected: path=%s status=%s reason=%s",
        path,
        rejected.status,
        rejected.reason,
    )
    return Response(status_code=rejected.status, content=rejected.reason, media_type="text/plain")


def build_router(
    channel: SmsChannel,
    auth_token: str,
    public_url: str,
    receive: Callable[[Inbound], Awaitable[object]],
    on_status: Callable[[StatusUpdate], Awaitable[bool]],
) -> APIRouter:
    """Return the router for Twilio's incoming-message and status-callback webhooks.

    `public_url` is the address Twilio calls (scheme, host, any path prefix the router is
    mounted under); signatures are checked against it plus the route path.
    """
    validator = RequestValidator(auth_token)
    base = public_url.rstrip("/")
    router = APIRouter(tags=["sms"])
    # `channel` is unused for now: replies go through the outbox and the dispatcher, never
    # through this response. It is in the signature so the app factory wires one object.

    @router.post(
        SMS_PATH,
        summary="Incoming SMS or MMS from Twilio",
        description=(
            "Twilio's incoming-message webhook. Verifies X-Twilio-Signature against the "
            "configured public URL, hands the message to the engine and answers empty TwiML."
        ),
        response_class=Response,
        responses=_RESPONSES,
        openapi_extra=_form_schema(
            ["MessageSid", "From", "To"],
            {
                "MessageSid": "Twilio message SID (SM… or MM…).",
                "From": "Sender, E.164.",
                "To": "Our number that received it.",
                "Body": "Text of the message.",
                "NumMedia": "Number of media attachments (MMS).",
            },
        ),
    )
    async def incoming_sms(request: Request) -> Response:
        try:
            form = await _verified_form(request, validator, base + SMS_PATH)
            inbound = parse_inbound(form)
        except _Rejected as rejected:
            return _reject(SMS_PATH, rejected)
        except MalformedPayload as exc:
            return _reject(SMS_PATH, _Rejected(400, str(exc)))
        await receive(inbound)
        return Response(content=EMPTY_TWIML, media_type="application/xml")

    @router.post(
        STATUS_PATH,
        summary="Delivery status callback from Twilio",
        description=(
            "Twilio's status callback for messages we sent. Verified like the incoming "
            "webhook; statuses for unknown message SIDs are acknowledged and ignored."
        ),
        response_class=Response,
        responses=_RESPONSES,
        openapi_extra=_form_schema(
            ["MessageSid", "MessageStatus"],
            {
                "MessageSid": "SID of the message we sent.",
                "MessageStatus": "queued, sent, delivered, undelivered, failed, read, …",
                "ErrorCode": "Twilio error code when undelivered or failed (e.g. 30003).",
            },
        ),
    )
    async def status_callback(request: Request) -> Response:
        try:
            form = await _verified_form(request, validator, base + STATUS_PATH)
            update = parse_status(form)
        except _Rejected as rejected:
            return _reject(STATUS_PATH, rejected)
        except MalformedPayload as exc:
            return _reject(STATUS_PATH, _Rejected(400, str(exc)))
        if not await on_status(update):
            # 200 all the same: an error would make Twilio retry a callback we can never use.
            log.info(
                "twilio status for unknown message ignored: sid=%s status=%s",
                update.provider_id,
                update.status,
            )
        return Response(content=EMPTY_TWIML, media_type="application/xml")

    return router
