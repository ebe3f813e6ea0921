"""A fake Telegram Bot API on 127.0.0.1, speaking the real wire format.

Point aiogram at it with `TelegramAPIServer.from_base(fake.base_url)` (or
`TelegramChannel(token, api_base=fake.base_url)`). aiogram posts form data to
`POST /bot{token}/{method}`; the fake answers `{"ok": true, "result": ...}` like Telegram,
records every call with its parameters decoded, and can be told to fail the next calls.

    async with FakeTelegram.start() as telegram:       # in the test's event loop
        ...
    with FakeTelegram.start_in_thread() as telegram:   # for synchronous tests
        ...
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.threads import served_in_thread

DATA = Path(__file__).resolve().parent.parent / "data" / "telegram"

# Parameters aiogram sends as JSON text inside the form.
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "scope",
        "media",
        "results",
    }
)
_INT_PARAMS = frozenset({"chat_id", "offset", "limit", "timeout", "message_id", "cache_time"})

# A well-formed token for bot 7000000001 (aiogram checks the shape).
TEST_TOKEN = "7000000001:AAH3kq-test_token_for_the_fake_api_0"

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64


def load_update(name: str) -> dict[str, Any]:
    """Load a recorded Telegram Update from tests/data/telegram/<name>.json."""
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


_update_ids = itertools.count(900_000_001)


def text_update(
    text: str, *, chat_id: int = 5123456789, update_id: int | None = None
) -> dict[str, Any]:
    """A private-chat text Update shaped like tests/data/telegram/text.json, with new text."""
    update = load_update("text")
    update["update_id"] = next(_update_ids) if update_id is None else update_id
    update["message"]["text"] = text
    update["message"]["chat"]["id"] = update["message"]["from"]["id"] = chat_id
    return update


def callback_update(
    data: str, *, chat_id: int = 5123456789, update_id: int | None = None
) -> dict[str, Any]:
    """A button press Update shaped like tests/data/telegram/callback_query.json."""
    update = load_update("callback_query")
    update["update_id"] = next(_update_ids) if update_id is None else update_id
    query = update["callback_query"]
    query["data"] = data
    query["id"] = str(next(_update_ids))
    query["from"]["id"] = query["message"]["chat"]["id"] = chat_id
    return update


@dataclass(frozen=True)
class Failure:
    """A scripted error answer, in Telegram's shape; `delay` stalls first (for timeouts)."""

    status: int
    description: str
    retry_after: int | None = None
    delay: float = 0.0

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def too_many_requests(retry_after: int = 3) -> Failure:
    """Flood control, as Telegram words it."""
    return Failure(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


BLOCKED = Failure(403, "Forbidden: bot was blocked by the user")
SERVER_ERROR = Failure(500, "Internal Server Error")
BAD_GATEWAY = Failure(502, "Bad Gateway")
CHAT_NOT_FOUND = Failure(400, "Bad Request: chat not found")
UNAUTHORIZED = Failure(401, "Unauthorized")


def stall(seconds: float) -> Failure:
    """Answer 500 only after `seconds`, so a client with a shorter timeout gives up first."""
    return Failure(500, "Internal Server Error", delay=seconds)


@dataclass(frozen=True)
class Call:
    """One request the fake received, with form values decoded."""

    method: str
    token: str
    params: dict[str, Any]
    status: int
    # What the fake answered in `result` (for sendMessage: the Message, with its message_id).
    result: Any = None
    # When the request arrived (time.monotonic()); it is recorded once answered.
    received_at: float = 0.0


@dataclass
class _Scripted:
    failure: Failure
    method: str | None
    remaining: int
    chat_id: int | None = None

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id


class FakeTelegram:
    """The fake server's state; start it with `start()` or `start_in_thread()`."""

    def __init__(self, *, max_poll_wait: float = 1.0) -> None:
        self.base_url = ""
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] | None = None
        self.blocked_chats: set[int] = set()
        # Long polls are cut short so tests and shutdown never wait the client's full timeout.
        self.max_poll_wait = max_poll_wait
        self._lock = threading.Lock()
        self._scripted: list[_Scripted] = []
        self._updates: list[dict[str, Any]] = []
        # As in the Bot API, a message_id is unique only inside its chat: every chat counts
        # from 1, so two chats' messages share ids.
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._closing = False
        # Requests received and not answered yet (a stalled one, say).
        self.in_flight = 0

    def fail_next(
        self,
        failure: Failure,
        *,
        method: str | None = "sendMessage",
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (None: any method), to `chat_id` if
        given, with `failure`."""
        with self._lock:
            self._scripted.append(_Scripted(failure, method, times, chat_id))

    def block_chat(self, chat_id: int) -> None:
        """Make every later sendMessage to `chat_id` fail as if the user blocked the bot."""
        with self._lock:
            self.blocked_chats.add(chat_id)

    def queue_update(self, update: dict[str, Any]) -> None:
        """Queue an Update for getUpdates."""
        with self._lock:
            self._updates.append(update)
            # Telegram hands out updates in update_id order.
            self._updates.sort(key=lambda queued: int(queued["update_id"]))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        with self._lock:
            return list(self._updates)

    def calls_to(self, method: str) -> list[Call]:
        """All calls of one Bot API method, oldest first."""
        with self._lock:
            return [call for call in self.calls if call.method.lower() == method.lower()]

    def sent_messages(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Parameters of successful sendMessage calls, optionally to one chat."""
        return [
            call.params
            for call in self.calls_to("sendMessage")
            if call.status == 200
            and (chat_id is None or call.params.get("chat_id") == int(chat_id))
        ]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Texts successfully sent, optionally to one chat."""
        return [str(params.get("text", "")) for params in self.sent_messages(chat_id)]

    @classmethod
    @asynccontextmanager
    async def start(cls, **options: Any) -> AsyncIterator[FakeTelegram]:
        """Serve in the running event loop on a free port; stop on exit."""
        fake = cls(**options)
        runner = web.AppRunner(fake._app(), access_log=None, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        fake.base_url = f"http://{host}:{port}"
        try:
            yield fake
        finally:
            fake._closing = True
            await runner.cleanup()

    @classmethod
    @contextmanager
    def start_in_thread(cls, **options: Any) -> Iterator[FakeTelegram]:
        """Serve from a background thread with its own loop, for synchronous tests."""
        with served_in_thread(lambda: cls.start(**options), "Telegram") as fake:
            yield fake

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        try:
            return await self._respond(request, received=time.monotonic())
        finally:
            self.in_flight -= 1

    async def _respond(self, request: web.Request, *, received: float) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        params = await _decode(request)
        failure = self._take_failure(method, params)
        if failure is not None:
            if failure.delay:
                await asyncio.sleep(failure.delay)
            return self._answer(
                Call(method, token, params, failure.status, None, received), failure.body()
            )
        handler = _METHODS.get(method.lower())
        if handler is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            return self._answer(Call(method, token, params, 404, None, received), body)
        status, body = await handler(self, token, params)
        return self._answer(Call(method, token, params, status, body.get("result"), received), body)

    def _answer(self, call: Call, body: dict[str, Any]) -> web.Response:
        with self._lock:
            self.calls.append(call)
        return web.json_response(body, status=call.status)

    def _take_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        with self._lock:
            for scripted in self._scripted:
                if scripted.matches(method, params):
                    scripted.remaining -= 1
                    if scripted.remaining <= 0:
                        self._scripted.remove(scripted)
                    return scripted.failure
        return None

    def _bot_user(self, token: str) -> dict[str, Any]:
        bot_id = token.split(":", 1)[0]
        return {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": "Indgang",
            "username": "indgang_test_bot",
        }

    async def _send_message(self, token: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = params.get("chat_id")
        text = params.get("text", "")
        if not isinstance(chat_id, int):
            return 400, CHAT_NOT_FOUND.body()
        if chat_id in self.blocked_chats:
            return 403, BLOCKED.body()
        if not isinstance(text, str) or not text.strip():
            return 400, Failure(400, "Bad Request: message text is empty").body()
        if len(text) > MAX_TEXT:
            return 400, Failure(400, "Bad Request: message is too long").body()
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if len(str(button.get("callback_data", "")).encode()) > MAX_CALLBACK_DATA:
                    return 400, Failure(400, "Bad Request: BUTTON_DATA_INVALID").body()
        message: dict[str, Any] = {
            "message_id": next(self._message_ids.setdefault(chat_id, itertools.count(1))),
            "from": self._bot_user(token),
            "chat": {"id": chat_id, "first_name": "Test", "type": "private"},
            "date": int(time.time()),
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        return 200, {"ok": True, "result": message}

    async def _get_updates(self, token: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.webhook is not None:
            description = (
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first"
            )
            return 409, Failure(409, description).body()
        offset = params.get("offset")
        limit = params.get("limit") or 100
        wait = min(float(params.get("timeout") or 0), self.max_poll_wait)
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                if isinstance(offset, int):
                    # Telegram forgets updates below the offset: they are confirmed.
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = self._updates[:limit]
            if pending or self._closing or time.monotonic() >= deadline:
                return 200, {"ok": True, "result": pending}
            await asyncio.sleep(0.01)

    async def _set_webhook(self, token: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = params.get("url", "")
        if not isinstance(url, str) or not url.startswith("https://"):
            return 400, Failure(400, "Bad Request: bad webhook: HTTPS url must be provided").body()
        self.webhook = params
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    async def _delete_webhook(
        self, token: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        self.webhook = None
        if params.get("drop_pending_updates") is True:
            with self._lock:
                self._updates.clear()
        return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}

    async def _get_webhook_info(
        self, token: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        info: dict[str, Any] = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        return 200, {"ok": True, "result": info}

    async def _answer_callback(
        self, token: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if not params.get("callback_query_id"):
            description = (
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
            return 400, Failure(400, description).body()
        return 200, {"ok": True, "result": True}

    async def _get_me(self, token: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": self._bot_user(token)}


_METHODS = {
    "sendmessage": FakeTelegram._send_message,
    "getupdates": FakeTelegram._get_updates,
    "setwebhook": FakeTelegram._set_webhook,
    "deletewebhook": FakeTelegram._delete_webhook,
    "getwebhookinfo": FakeTelegram._get_webhook_info,
    "answercallbackquery": FakeTelegram._answer_callback,
    "getme": FakeTelegram._get_me,
}


async def _decode(request: web.Request) -> dict[str, Any]:
    """Read form (urlencoded or multipart), JSON or query parameters the way Telegram does."""
    raw: dict[str, Any]
    if request.content_type == "application/json":
        raw = await request.json()
        return raw
    raw = dict(request.query)
    if request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                raw[key] = f"<file {value.filename}>"
            elif isinstance(value, bytes | bytearray):
                raw[key] = value.decode("utf-8", "replace")
            else:
                raw[key] = value
    return {key: _decode_value(key, value) for key, value in raw.items()}


def _decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _JSON_PARAMS:
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if value in ("true", "false"):
        return value == "true"
    if key in _INT_PARAMS and value.lstrip("-").isdigit():
        return int(value)
    return value
