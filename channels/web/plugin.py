"""The web chat simulator as a plug-in: on in development only, with its page and JSON API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from channels.base import ChannelContext, ChannelPlugin, ChannelSettings, Deployment
from channels.web.channel import WebChannel

if TYPE_CHECKING:
    from fastapi import APIRouter


class WebPlugin(ChannelPlugin[ChannelSettings, WebChannel]):
    """The simulator has no settings of its own: the environment decides."""

    name = "web"
    settings_type = ChannelSettings
    home_page = "/chat"

    def build(self, settings: ChannelSettings, deployment: Deployment) -> WebChannel | None:
        """The simulator's channel, in development only."""
        return WebChannel() if deployment.development else None

    def router(
        self, channel: WebChannel, settings: ChannelSettings, context: ChannelContext
    ) -> APIRouter:
        """The chat page and its JSON API, reading this channel's history."""
        from channels.web.views import build_router

        async def history(address: str, after: int) -> list[dict[str, Any]]:
            return await context.history(self.name, address, after)

        return build_router(context.receive, history, context.visitors, context.translate)


plugin = WebPlugin()
