"""Structured logging that never carries message bodies, phone numbers or tokens."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Keys that could carry what a young person wrote or how to reach them.
SECRET_KEYS = frozenset({
    "body", "text", "message", "address", "phone", "to", "from", "from_", "chat_id",
    "token", "password", "secret", "authorization", "code",
})
_PHONE_OR_CPR = re.compile(r"\+?\d[\d\s-]{6,}\d")


def scrub(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop sensitive keys and mask long digit runs in whatever remains."""
    for key in list(event):
        if key.lower() in SECRET_KEYS and key != "event":
            event[key] = "[redacted]"
        elif isinstance(event[key], str):
            event[key] = _PHONE_OR_CPR.sub("[digits]", event[key])
    return event


def configure(level: str = "INFO", json: bool = False) -> None:
    """Send structlog and standard logging through one scrubbing pipeline to stderr."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
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
    # Access logs carry query strings and client addresses; keep them out.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("aiogram").setLevel("WARNING")
    logging.getLogger("twilio").setLevel("WARNING")
