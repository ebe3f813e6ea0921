"""Structured logging that never carries message bodies, phone numbers, chat ids or tokens.

Two defences: our own events never name a body or an address (keys listed in SECRET_KEYS are
replaced wholesale), and every string that does reach a log, ours or a library's (uvicorn,
aiogram, twilio, httpx), has digit runs, bot tokens and echoed inputs masked. Libraries that
log request bodies or SQL parameters at INFO or DEBUG are held at WARNING whatever the level.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Keys that could carry what a young person wrote or how to reach them.
SECRET_KEYS = frozenset(
    {
        "body",
        "text",
        "message",
        "address",
        "phone",
        "to",
        "from",
        "from_",
        "chat_id",
        "token",
        "password",
        "secret",
        "authorization",
        "code",
        "caption",
        "payload",
        "form",
        "params",
        "update",
        "first_name",
        "name",
        "username",
        "cookie",
        "signature",
    }
)
_MASKS = (
    # Telegram bot tokens, also inside URLs: 123456789:AA...
    (re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}"), "[token]"),
    # Pydantic and friends echo the offending input in their error messages.
    (
        re.compile(r"input_value=(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\S+)"),
        "input_value=[redacted]",
    ),
    # PostgreSQL's error detail quotes the failing row or key ("Failing row contains (…)",
    # "Key (address)=(…) already exists"), and SQLAlchemy its bound parameters if not hidden.
    (re.compile(r"(DETAIL:\s*)[^\n]*"), r"\1[redacted]"),
    (re.compile(r"\[parameters: [^\n]*"), "[parameters: redacted]"),
    # Phone numbers, chat ids and CPR numbers: any run of 8 or more digits.
    (re.compile(r"\+?\d[\d\s-]{6,}\d"), "[digits]"),
)
# Loggers that print request bodies, SQL parameters or URLs with tokens below WARNING
# (and apscheduler, which logs every run of every sweep at INFO; alembic's plugin set-up).
QUIET_LOGGERS = (
    "aiogram",
    "aiohttp.access",
    "aiohttp.client",
    "aiosqlite",
    "alembic.runtime.plugins",
    "apscheduler",
    "asyncio",
    "hpack",
    "httpcore",
    "httpx",
    "multipart",
    "python_multipart",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "twilio",
    "uvicorn.access",
)


def mask(text: str) -> str:
    """Mask tokens, echoed inputs and long digit runs in a string."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def _clean(key: str, value: Any) -> Any:
    if key.lower() in SECRET_KEYS:
        return "[redacted]"
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _clean(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean("", v) for v in value]
    return value


def scrub(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace sensitive keys and mask digit runs and tokens in whatever remains."""
    for key in list(event):
        if key.startswith("_"):
            continue  # structlog's own bookkeeping (the LogRecord), never rendered
        if key in ("event", "exception"):
            # The message itself and formatted tracebacks: keep them, masked.
            event[key] = mask(str(event[key]))
        else:
            event[key] = _clean(key, event[key])
    return event


def configure(level: str = "INFO", json: bool = False) -> None:
    """Send structlog and standard logging through one scrubbing pipeline to stderr."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        # Tracebacks become text here, so scrub sees (and masks) what they say.
        structlog.processors.format_exc_info,
        scrub,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # Uvicorn hands its loggers their own handlers; route them through ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.propagate = True
    # Access logs carry query strings and client addresses; keep them out.
    logging.getLogger("uvicorn.access").disabled = True
