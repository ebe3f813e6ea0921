"""A fake Twilio REST API on 127.0.0.1, speaking the real wire format.

Point a twilio `Client` at it with `client.api.base_url = fake.base_url`. It checks
HTTP Basic auth, answers `POST /2010-04-01/Accounts/{sid}/Messages.json` like Twilio
(201 and a Message resource as JSON) and `GET` on the same path with Twilio's list page
(`messages`, `first_page_uri`, `next_page_uri`, `page`, `page_size`, … ; the `To`, `From`,
`DateSent`, `DateSent<` and `DateSent>` filters; newest first), records every call and can
be told to fail. A created message is answered 'queued' (or 'accepted' with a Messaging
Service) with no `date_sent`, as Twilio answers; the fake then sends it at once, so what is
listed afterwards is 'sent' with its `date_sent`.
`FakeTwilio.start()` serves in the test's event loop, `start_in_thread()` from a thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlencode

from aiohttp import web
from twilio.request_validator import RequestValidator

from tests.fakes.threads import served_in_thread

API_VERSION = "2010-04-01"

# Twilio's own error codes and messages for the failures tests script.
_KNOWN_ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "Invalid 'To' Phone Number"),
    21602: (400, "Message body is required."),
    21603: (400, "The 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
}
_CODE_FOR_STATUS = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}


def _rough_segments(body: str) -> int:
    """Twilio's num_segments, roughly; kept independent of the code under test."""
    units = len(body.encode("utf-16-le")) // 2
    wide = any(ord(c) > 0xFF and c not in "ΔΦΓΛΩΠΨΣΘΞ€" for c in body)
    single, part = (70, 67) if wide else (160, 153)
    return 1 if units <= single else -(-units // part)


# DateSent filters by operator: "=" one day, ">" on or after it, "<" on or before it.
_DATE_FILTERS = {"=": "DateSent", ">": "DateSent>", "<": "DateSent<"}


def _day(value: str) -> date:
    """A DateSent value: Twilio documents `YYYY-MM-DD` (GMT) and compares whole days; the
    helper libraries send a datetime as `YYYY-MM-DDTHH:MM:SSZ`, of which only the day counts."""
    return date.fromisoformat(value[:10])


def _listed(message: dict[str, object], params: dict[str, str], dates: dict[str, date]) -> bool:
    """Whether a message passes a list request's filters. A message not yet sent has no
    date_sent and passes no DateSent filter."""
    if "To" in params and message["to"] != params["To"]:
        return False
    if "From" in params and message["from"] != params["From"]:
        return False
    if not dates:
        return True
    if message["date_sent"] is None:
        return False
    day = parsedate_to_datetime(str(message["date_sent"])).astimezone(UTC).date()
    return all(
        (op == "=" and day == when) or (op == ">" and day >= when) or (op == "<" and day <= when)
        for op, when in dates.items()
    )


def _newest_first(message: dict[str, object]) -> tuple[int, float]:
    """Twilio's order: most recently sent first (one not sent yet before any sent one)."""
    sent = message["date_sent"]
    if sent is None:
        return (0, -parsedate_to_datetime(str(message["date_created"])).timestamp())
    return (1, -parsedate_to_datetime(str(sent)).timestamp())


def new_sid(prefix: str) -> str:
    """Return a Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def sign(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """Return the X-Twilio-Signature Twilio would send for a form post to `url`."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))


def signed_headers(url: str, params: Mapping[str, str], auth_token: str) -> dict[str, str]:
    """Headers for posting `params` to `url` as Twilio does (signature and content type)."""
    return {
        "X-Twilio-Signature": sign(url, params, auth_token),
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "TwilioProxy/1.1",
    }


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str
    path: str
    params: dict[str, str]
    authorised: bool
    status: int
    # When the request arrived (time.monotonic()), as the fake Telegram server notes it.
    received_at: float = field(default_factory=time.monotonic)


@dataclass
class _Failure:
    status: int
    code: int
    message: str
    retry_after: str | None = None
    stall: float = 0.0


@dataclass
class FakeTwilio:
    """The fake's state; use `FakeTwilio.start()` to run it."""

    account_sid: str = field(default_factory=lambda: new_sid("AC"))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    base_url: str = ""
    calls: list[Call] = field(default_factory=list)
    messages: list[dict[str, object]] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _list_failures: list[_Failure] = field(default_factory=list)

    @classmethod
    @asynccontextmanager
    async def start(
        cls, account_sid: str | None = None, auth_token: str | None = None
    ) -> AsyncIterator[FakeTwilio]:
        """Serve on a free port of 127.0.0.1 for the duration of the block."""
        fake = cls()
        fake.account_sid = account_sid or fake.account_sid
        fake.auth_token = auth_token or fake.auth_token
        app = web.Application()
        app.router.add_post(
            "/2010-04-01/Accounts/{account_sid}/Messages.json", fake._create_message
        )
        app.router.add_get("/2010-04-01/Accounts/{account_sid}/Messages.json", fake._list_messages)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        fake.base_url = f"http://{host}:{port}"
        try:
            yield fake
        finally:
            await runner.cleanup()

    @classmethod
    @contextmanager
    def start_in_thread(cls) -> Iterator[FakeTwilio]:
        """Serve from a background thread with its own loop, so it outlives a server process."""
        with served_in_thread(lambda: cls.start(), "Twilio") as fake:
            yield fake

    def fail_next(
        self,
        error: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        message: str | None = None,
        listing: bool = False,
    ) -> None:
        """Make the next `times` message creations (with `listing`: message lists) fail.

        `error` is an HTTP status (429, 500, 503, …) or a Twilio error code (21610, …).
        """
        failures = self._list_failures if listing else self._failures
        if error >= 10000:
            status, default = _KNOWN_ERRORS.get(error, (400, "Error"))
            code = error
        else:
            status = error
            code = _CODE_FOR_STATUS.get(error, error)
            default = _KNOWN_ERRORS.get(code, (status, "Error"))[1]
        for _ in range(times):
            failures.append(_Failure(status, code, message or default, retry_after))

    def stall_next(self, seconds: float) -> None:
        """Make the next message creation wait `seconds` before answering (a timeout)."""
        self._failures.append(_Failure(201, 0, "", stall=seconds))

    def lists(self) -> list[Call]:
        """The list requests received (GET on the Messages list), in order."""
        return [call for call in self.calls if call.method == "GET"]

    def sent_bodies(self, to: str) -> list[str]:
        """Bodies of the messages accepted for `to`, in order."""
        return [str(m["body"]) for m in self.messages if m["to"] == to]

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user, self.account_sid) and secrets.compare_digest(
            password, self.auth_token
        )

    def _error(
        self,
        request: web.Request,
        params: dict[str, str],
        failure: _Failure,
        authorised: bool = True,
    ) -> web.Response:
        self.calls.append(Call(request.method, request.path, params, authorised, failure.status))
        headers = {"Retry-After": failure.retry_after} if failure.retry_after else None
        return web.json_response(
            {
                "code": failure.code,
                "message": failure.message,
                "more_info": f"https://www.twilio.com/docs/errors/{failure.code}",
                "status": failure.status,
            },
            status=failure.status,
            headers=headers,
        )

    def _known(self, code: int) -> _Failure:
        status, message = _KNOWN_ERRORS[code]
        return _Failure(status, code, message)

    async def _create_message(self, request: web.Request) -> web.Response:
        params = {k: str(v) for k, v in (await request.post()).items()}
        if not self._authorised(request):
            return self._error(request, params, self._known(20003), authorised=False)
        if request.match_info["account_sid"] != self.account_sid:
            return self._error(request, params, self._known(20404))
        if self._failures:
            failure = self._failures.pop(0)
            if failure.stall:
                await asyncio.sleep(failure.stall)
            else:
                return self._error(request, params, failure)
        if not params.get("To"):
            return self._error(request, params, self._known(21604))
        if not params.get("Body"):
            return self._error(request, params, self._known(21602))
        service = params.get("MessagingServiceSid")
        if not (params.get("From") or service):
            return self._error(request, params, self._known(21603))
        self.calls.append(Call(request.method, request.path, params, True, 201))
        message = self._message(params, service)
        answer = dict(message)
        # Twilio answers before it sends; the fake sends at once.
        message.update(status="sent", date_sent=message["date_created"])
        self.messages.append(message)
        return web.json_response(answer, status=201)

    async def _list_messages(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        if not self._authorised(request):
            return self._error(request, params, self._known(20003), authorised=False)
        if request.match_info["account_sid"] != self.account_sid:
            return self._error(request, params, self._known(20404))
        if self._list_failures:
            return self._error(request, params, self._list_failures.pop(0))
        try:
            size = min(int(params.get("PageSize", "50")), 1000)
            number = int(params.get("Page", "0"))
            dates = {op: _day(params[key]) for op, key in _DATE_FILTERS.items() if key in params}
        except ValueError:
            return self._error(request, params, _Failure(400, 20001, "Invalid date value."))
        self.calls.append(Call(request.method, request.path, params, True, 200))
        # Newest first; of two sent in the same second, the later created first.
        chosen = [m for m in reversed(self.messages) if _listed(m, params, dates)]
        chosen.sort(key=_newest_first)
        return web.json_response(self._page(request.path, params, chosen, number, size))

    def _page(
        self,
        path: str,
        params: dict[str, str],
        chosen: list[dict[str, object]],
        number: int,
        size: int,
    ) -> dict[str, object]:
        """Twilio's list page: the records under their resource's name, then the paging."""
        filters = {k: v for k, v in params.items() if k not in ("Page", "PageSize", "PageToken")}
        start = number * size
        rows = chosen[start : start + size]

        def uri(page: int, token: str | None = None) -> str:
            query = {**filters, "PageSize": str(size), "Page": str(page)}
            if token:
                query["PageToken"] = token
            return f"{path}?{urlencode(query)}"

        more = start + size < len(chosen)
        return {
            "end": start + len(rows) - 1 if rows else 0,
            "first_page_uri": uri(0),
            "messages": rows,
            "next_page_uri": uri(number + 1, f"PASM{secrets.token_hex(16)}") if more else None,
            "page": number,
            "page_size": size,
            "previous_page_uri": uri(number - 1, f"PBSM{secrets.token_hex(16)}")
            if number > 0
            else None,
            "start": start,
            "uri": uri(number, params.get("PageToken")),
        }

    def _message(self, params: dict[str, str], service: str | None) -> dict[str, object]:
        sid = new_sid("SM")
        now = format_datetime(datetime.now(UTC), usegmt=False)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": params["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            # With a Messaging Service Twilio picks the sender later and says "accepted".
            "from": params.get("From"),
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(_rough_segments(params["Body"])),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service else "queued",
            "subresource_uris": {
                "media": uri.removesuffix(".json") + "/Media.json",
                "feedback": uri.removesuffix(".json") + "/Feedback.json",
            },
            "to": params["To"],
            "uri": uri,
        }
