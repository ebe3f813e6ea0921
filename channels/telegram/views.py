"""The Telegram webhook route: verify the secret, bound the body, parse, hand over."""

from __future__ import annotations

import json
import secrets
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from channels.telegram.channel import TelegramChannel
from channels.telegram.intake import Receive, deliver
from channels.telegram.parse import Ignored, MalformedUpdate, parse_update
from channels.telegram.settings import WEBHOOK_PATH

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
# Real updates are a few KiB; anything near this is not from Telegram.
MAX_BODY_BYTES = 256 * 1024

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Stored, or deliberately ignored (then `ignored` says why).",
        "content": {"application/json": {"example": {"ok": True, "ignored": "edited"}}},
    },
    400: {"description": "The body is not JSON or not a Telegram Update."},
    403: {"description": "Missing or wrong secret token header."},
    413: {"description": "Body larger than 256 KiB."},
}


def build_router(channel: TelegramChannel, secret: str, receive: Receive) -> APIRouter:
    """Build the router for `POST /webhooks/telegram`, bound to one bot and its webhook secret."""
    if not secret:
        raise ValueError("a webhook secret is required")
    router = APIRouter(tags=["telegram"])
    expected = secret.encode()

    @router.post(
        WEBHOOK_PATH,
        summary="Receive a Telegram update",
        description=(
            "Called by Telegram with one Update as JSON. The header "
            f"`{SECRET_HEADER}` must equal the secret given to setWebhook. "
            "Errors make Telegram retry; ignored updates are answered 200 so it does not."
        ),
        responses=_RESPONSES,
    )
    async def telegram_webhook(request: Request) -> dict[str, Any]:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, expected):
            raise HTTPException(status_code=403, detail="invalid secret token")
        body = await _read_bounded(request)
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise HTTPException(status_code=400, detail="body is not valid JSON") from None
        try:
            parsed = parse_update(payload, channel.bot_id)
        except MalformedUpdate as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        await deliver(channel, parsed, receive)
        if isinstance(parsed, Ignored):
            return {"ok": True, "ignored": parsed.reason}
        return {"ok": True}

    return router


async def _read_bounded(request: Request) -> bytes:
    """Read the body, refusing more than MAX_BODY_BYTES even if Content-Length lies or is absent."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail="body too large")
        chunks.append(chunk)
    return b"".join(chunks)
