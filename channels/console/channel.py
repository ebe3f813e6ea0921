"""The console channel: a reply is 'sent' by printing it, choices as numbered lines."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime

from channels import rendering
from channels.base import UNKNOWN, Capabilities, Choice, Outbound, Reconciled, SendResult


def _print(text: str) -> None:
    # Looked up on every call: a test runner may replace sys.stdout in between.
    sys.stdout.write(text + "\n\n")
    sys.stdout.flush()


class ConsoleChannel:
    """A terminal has no buttons: the renderer turns choices into "1. …" lines to type."""

    name = "console"
    capabilities = Capabilities(buttons=False, max_length=4096, per_second=1000.0)

    def __init__(self, write: Callable[[str], None] = _print) -> None:
        self._write = write

    def render(self, text: str, choices: tuple[Choice, ...]) -> str:
        """The text with numbered choices, as the capabilities ask."""
        return rendering.render(text, choices, self.capabilities)

    async def send(self, outbound: Outbound) -> SendResult:
        """Print the reply; it is delivered the moment it is printed."""
        self._write(self.render(outbound.text, outbound.choices))
        return SendResult(
            provider_id=f"console:{outbound.message_id}", status="delivered", encoding="UTF-8"
        )

    async def reconcile(self, outbound: Outbound, since: datetime) -> Reconciled:
        """A terminal keeps no record to ask: printed again."""
        return UNKNOWN

    async def close(self) -> None:
        """Nothing to release."""
