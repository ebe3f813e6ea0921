"""The web channel: its 'provider' is the browser, which polls for what was sent."""

from __future__ import annotations

from datetime import datetime

from channels import rendering
from channels.base import UNKNOWN, Capabilities, Choice, Outbound, Reconciled, SendResult


class WebChannel:
    """Messages are delivered the moment they are sent; the page reads them from history."""

    name = "web"
    capabilities = Capabilities(buttons=True, max_length=4000, per_second=1000.0)

    def render(self, text: str, choices: tuple[Choice, ...]) -> str:
        """The page shows choices as buttons (capabilities.buttons), not in the text."""
        return rendering.render(text, choices, self.capabilities)

    async def send(self, outbound: Outbound) -> SendResult:
        """Mark the message delivered; the browser fetches it."""
        return SendResult(
            provider_id=f"web:{outbound.message_id}", status="delivered", encoding="UTF-8"
        )

    async def reconcile(self, outbound: Outbound, since: datetime) -> Reconciled:
        """Sending again is harmless here: the page reads each message once, by its id."""
        return UNKNOWN

    async def close(self) -> None:
        """Nothing to release."""
