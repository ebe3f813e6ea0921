"""Sending SMS through Twilio's REST API without blocking the event loop."""

from __future__ import annotations

import base64
import contextvars
import dataclasses
import email.utils
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from channels import rendering
from channels.base import Capabilities, Choice, Outbound, Reconciled, SendError, SendResult
from channels.sms.encoding import analyse, plain_spaces, within_segments
from channels.sms.phone import InvalidPhoneNumber, normalise

log = logging.getLogger(__name__)

# Twilio error codes that say this number will not receive our messages.
UNREACHABLE_CODES = frozenset({21610, 21211, 21614})

# Twilio's clock and ours may differ: a message Twilio dates this much before our attempt
# began still counts as that attempt's when an in-doubt row is reconciled.
CLOCK_SKEW = timedelta(minutes=2)
# Messages per page when listing what was sent to one number (Twilio allows up to 1,000).
LIST_PAGE_SIZE = 100

# The Retry-After of the last failed response in this task. A context variable, not an
# attribute, because one client serves many concurrent sends.
_retry_after: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "sms_retry_after", default=None
)


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class _HttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]  # twilio is untyped
    """Twilio's aiohttp client, plus a default timeout and Retry-After capture."""

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the parent's signature)
        allow_redirects: bool = False,
    ) -> Response:
        if auth is not None:
            # As a header, because aiohttp 3.14 deprecates its `auth=` (BasicAuth).
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers = {**(headers or {}), "Authorization": f"Basic {token}"}
        # The parent stores `timeout` but never applies it; without this a stalled
        # Twilio would hold a dispatcher worker for aiohttp's five-minute default.
        response = await super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=timeout if timeout is not None else self.timeout,
            allow_redirects=allow_redirects,
        )
        if response.status_code >= 400 and response.headers is not None:
            _retry_after.set(_parse_retry_after(response.headers.get("Retry-After")))
        return response


def _send_error(status: int, code: int | None, retry_after: float | None) -> SendError:
    """Classify a Twilio error response. Twilio's message is left out: it may quote the number."""
    details = {"http_status": str(status)}
    code_text = str(code) if code is not None else None
    if code in UNREACHABLE_CODES:
        return SendError(
            f"twilio refused the recipient (code {code})",
            permanent=True,
            unreachable=True,
            code=code_text,
            details=details,
        )
    if status == 429 or status >= 500:
        return SendError(
            f"twilio is busy or failing (HTTP {status}, code {code})",
            retry_after=retry_after,
            code=code_text,
            details=details,
        )
    return SendError(
        f"twilio rejected the message (HTTP {status}, code {code})",
        permanent=True,
        code=code_text,
        details=details,
    )


class SmsChannel:
    """The SMS channel: numbered choices, GSM-7 aware length, Twilio Messaging Service."""

    name = "sms"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        messaging_service_sid: str | None = None,
        from_number: str | None = None,
        status_callback_url: str | None = None,
        api_base: str | None = None,
        max_segments: int = 3,
        timeout: float = 15.0,
    ) -> None:
        if not (messaging_service_sid or from_number):
            raise ValueError("SmsChannel needs messaging_service_sid or from_number")
        if max_segments < 1:
            raise ValueError("max_segments must be at least 1")
        self.capabilities = Capabilities(
            buttons=False,
            max_length=160 * max_segments,
            per_second=10,
            per_recipient_interval=0,
            pace_key=f"sms:{messaging_service_sid or from_number}",
        )
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._messaging_service_sid = messaging_service_sid
        self._from_number = from_number
        self._status_callback_url = status_callback_url
        self._api_base = api_base
        self._fits = within_segments(max_segments)
        self._timeout = timeout
        self._http: _HttpClient | None = None
        self._client: Client | None = None

    def _twilio(self) -> Client:
        # Created on first use, inside the running loop: aiohttp binds its session
        # to the loop that exists when it is made.
        if self._client is None:
            self._http = _HttpClient(timeout=self._timeout)
            client = Client(self._account_sid, self._auth_token, http_client=self._http)
            if self._api_base:
                client.api.base_url = self._api_base.rstrip("/")
            self._client = client
        return self._client

    def render(self, text: str, choices: tuple[Choice, ...]) -> str:
        """Return text with choices as numbered lines (no buttons), shortened to max_segments."""
        plain = tuple(Choice(choice.key, plain_spaces(choice.label)) for choice in choices)
        return rendering.render(plain_spaces(text), plain, self.capabilities, fits=self._fits)

    async def send(self, outbound: Outbound) -> SendResult:
        """Send one SMS; raise SendError classified as permanent or transient."""
        try:
            to = normalise(outbound.address)
        except InvalidPhoneNumber as exc:
            raise SendError(
                f"recipient address is unusable: {exc}",
                permanent=True,
                unreachable=True,
                code="invalid_address",
            ) from None
        body = self.render(outbound.text, outbound.choices)
        kwargs: dict[str, Any] = {"to": to, "body": body}
        if self._messaging_service_sid:
            kwargs["messaging_service_sid"] = self._messaging_service_sid
        if self._from_number:
            kwargs["from_"] = self._from_number
        if self._status_callback_url:
            kwargs["status_callback"] = self._status_callback_url
        async with _twilio_errors(outbound.message_id, "send"):
            message = await self._twilio().messages.create_async(**kwargs)
        return _result(message.sid, message.status, body)

    async def reconcile(self, outbound: Outbound, since: datetime) -> Reconciled:
        """The messages Twilio holds that an attempt begun at `since` may have sent.

        Lists what went to the recipient from our sender (Twilio's `To`, `From` and
        `DateSent>` filters, all pages; the date filter counts whole days in GMT, so the
        rest is checked here): outgoing, from our number or Messaging Service, created since
        `since` less `CLOCK_SKEW`, with exactly the body `send` would post now. Oldest first.
        A failed listing raises a SendError that is never permanent: the row waits and asks
        again, it is never sent blind.
        """
        try:
            to = normalise(outbound.address)
        except InvalidPhoneNumber:
            return Reconciled(known=True)  # `send` never posted to it
        body = self.render(outbound.text, outbound.choices)
        start = since - CLOCK_SKEW
        filters: dict[str, Any] = {"to": to, "date_sent_after": start.strftime("%Y-%m-%d")}
        if self._from_number:
            filters["from_"] = self._from_number
        async with _twilio_errors(outbound.message_id, "list", transient=True):
            listed = await self._twilio().messages.stream_async(**filters, page_size=LIST_PAGE_SIZE)
            found = [m async for m in listed if self._sent_by_us(m, to, body, start)]
        found.sort(key=lambda m: m.date_created)
        return Reconciled(known=True, found=tuple(_result(m.sid, m.status, body) for m in found))

    def _sent_by_us(self, message: Any, to: str, body: str, start: datetime) -> bool:
        """A listed message is ours to claim: outgoing to `to` from our sender, created since
        `start`, with `body` exactly."""
        sender_ok = (
            message.messaging_service_sid == self._messaging_service_sid
            if self._messaging_service_sid
            else message.from_ == self._from_number
        )
        return bool(
            sender_ok
            and str(message.direction or "").startswith("outbound")
            and message.to == to
            and message.date_created is not None
            and message.date_created >= start
            and message.body == body
        )

    async def close(self) -> None:
        """Close the aiohttp session behind the Twilio client."""
        http, self._http, self._client = self._http, None, None
        if http is not None:
            await http.close()


def _result(sid: str, status: object, body: str) -> SendResult:
    """What `send` records for a message Twilio holds: its sid, status and our body's shape."""
    shape = analyse(body)
    return SendResult(
        provider_id=sid,
        status=str(status or "queued"),
        encoding=shape.encoding,
        segments=shape.segments,
    )


@asynccontextmanager
async def _twilio_errors(
    message_id: int, action: str, *, transient: bool = False
) -> AsyncIterator[None]:
    """Turn what a Twilio call raises into a classified SendError, logged without the body
    or number; `transient` makes every failure one to try again later."""
    _retry_after.set(None)
    try:
        yield
    except (TwilioRestException, TwilioServiceException) as exc:
        error = _send_error(int(exc.status), _int_or_none(exc.code), _retry_after.get())
    except TwilioException as exc:
        # A list page that failed: twilio raises ("Unable to fetch page", response).
        response = exc.args[1] if len(exc.args) > 1 else None
        if not isinstance(response, Response):
            raise
        error = _send_error(response.status_code, _code_of(response), _retry_after.get())
    except TimeoutError:
        # Twilio may have taken it all the same: asked before it is tried again.
        error = SendError("twilio unreachable (TimeoutError)", in_doubt=True)
    except (aiohttp.ClientError, OSError) as exc:
        # Not done as far as we know: worth another try later.
        error = SendError(f"twilio unreachable ({type(exc).__name__})")
    else:
        return
    if transient:
        error = dataclasses.replace(error, permanent=False, unreachable=False)
    log.warning("sms %s failed: message_id=%s %s", action, message_id, error.reason)
    raise error from None


def _code_of(response: Response) -> int | None:
    """Twilio's error code in an error response's JSON, if any."""
    try:
        body = json.loads(response.text or "{}")
    except ValueError:
        return None
    return _int_or_none(body.get("code")) if isinstance(body, dict) else None


def _int_or_none(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


__all__ = ["UNREACHABLE_CODES", "SmsChannel", "plain_spaces"]
