"""Security headers: on the staff inbox no framing, no foreign scripts, no referrer, no
caching; on the JSON API no caching and no sniffing; HSTS everywhere when served over https."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

INBOX_PREFIX = "/inbox"
API_PREFIX = "/api"
# A year, as browsers' preload lists expect; only sent when the public URL is https.
STRICT_TRANSPORT = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
# htmx and our script are served from /inbox/static; nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
)
API_HEADERS = ((b"x-content-type-options", b"nosniff"),)


class SecurityHeaders:
    """Pure ASGI middleware (so the inbox's server-sent events still stream)."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to every response under /inbox and /api (HSTS: to every one)."""
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith(INBOX_PREFIX):
            added: tuple[tuple[bytes, bytes], ...] = HEADERS
        elif path.startswith(API_PREFIX):
            added = API_HEADERS
        elif self.https and scope["type"] == "http":
            added = ()
        else:
            await self.app(scope, receive, send)
            return
        no_store = path.startswith((INBOX_PREFIX, API_PREFIX))
        if self.https:
            added = (*added, STRICT_TRANSPORT)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in added if name not in present]
                if no_store and b"cache-control" not in present:
                    # Pages and data about young people must not stay in a shared cache.
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
