"""The composition root: the lists of plug-ins, and what the service does with each alike.

`CONVERSATION` holds every domain's part of the conversation (and `GUARDS` the order of what
runs before a flow step); `CHANNELS` every channel. Adding a channel is a package in
`channels/<name>/` with a `plugin` (see docs/channels.md) and one line in CHANNELS. Nothing
here knows what any one channel or domain does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bot.campaigns import conversation as campaigns
from bot.checkins import conversation as checkins
from bot.conversation import flood, preferences
from bot.conversation.engine import Engine
from bot.conversation.registry import ConversationPlugin, Registry
from bot.handoff import conversation as handoff
from bot.plans import conversation as plans
from bot.privacy import conversation as privacy
from bot.reminders import conversation as reminders
from bot.reminders import moving
from bot.safety import conversation as safety
from bot.settings import Settings
from channels import rendering
from channels.base import (
    Channel,
    ChannelContext,
    ChannelPlugin,
    ChannelSettings,
    Choice,
    CommandHost,
    Deployment,
    InviteWay,
    Measure,
    Sample,
)
from channels.console import plugin as console
from channels.parts import split
from channels.sms import plugin as sms
from channels.telegram import plugin as telegram
from channels.web import plugin as web

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

# Every domain's part of the conversation.
CONVERSATION: tuple[ConversationPlugin, ...] = (
    preferences.plugin,
    flood.plugin,
    safety.plugin,
    handoff.plugin,
    plans.plugin,
    checkins.plugin,
    reminders.plugin,
    moving.plugin,
    privacy.plugin,
    campaigns.plugin,
)
# What runs before a flow step, in this order: a crisis is answered before anything else
# (a human holding the conversation, STOP); a worry is asked about only when no human has it.
GUARDS = (
    "privacy.cpr_notice",
    "safety.crisis",
    "preferences.opt_out",
    "flood.fast_sender",
    "handoff.held",
    "safety.worry",
)

CHANNELS: list[ChannelPlugin[Any, Any]] = [
    web.plugin,
    telegram.plugin,
    sms.plugin,
    console.plugin,
]

ChannelSettingsMap = Mapping[str, ChannelSettings]


def build_registry() -> Registry:
    """Every action, view, choice source, reader and guard the flows can use."""
    return Registry.of(CONVERSATION, guard_order=GUARDS)


def build_engine() -> Engine:
    """The conversation engine with every domain's plug-in."""
    return Engine(build_registry())


def deployment_of(settings: Settings) -> Deployment:
    """What channels are told about this installation."""
    return Deployment(environment=settings.env, public_base=settings.public_base)


def read_channel_settings(
    given: ChannelSettingsMap | None = None, *, env_file: str | None = ".env"
) -> dict[str, ChannelSettings]:
    """Every plug-in's settings: those `given`, the others read from the environment.

    Raises pydantic's ValidationError for a bad one, like Settings().
    """
    given = given or {}
    return {
        plugin.name: given[plugin.name] if plugin.name in given else plugin.read_settings(env_file)
        for plugin in CHANNELS
    }


def build_channels(
    deployment: Deployment, channel_settings: ChannelSettingsMap
) -> dict[str, Channel]:
    """Every channel that is on here, one object each, by name."""
    channels: dict[str, Channel] = {}
    for plugin in CHANNELS:
        channel = plugin.build(channel_settings[plugin.name], deployment)
        if channel is not None:
            channels[plugin.name] = channel
    return channels


def build_routers(
    channels: Mapping[str, Channel], channel_settings: ChannelSettingsMap, context: ChannelContext
) -> list[APIRouter]:
    """The webhook and page routes of the channels that are on."""
    routers = []
    for plugin in CHANNELS:
        if plugin.name in channels:
            router = plugin.router(channels[plugin.name], channel_settings[plugin.name], context)
            if router is not None:
                routers.append(router)
    return routers


def home_page(channels: Mapping[str, Channel]) -> str | None:
    """The first page for people among the channels that are on (the simulator), if any."""
    return next(
        (plugin.home_page for plugin in CHANNELS if plugin.name in channels and plugin.home_page),
        None,
    )


def invite_ways(channel_settings: ChannelSettingsMap, code: str) -> dict[str, InviteWay]:
    """How the invite `code` is used on each configured channel that offers a way, by name."""
    ways = {}
    for plugin in CHANNELS:
        if plugin.name in channel_settings:
            way = plugin.invite(channel_settings[plugin.name], code)
            if way is not None:
                ways[plugin.name] = way
    return ways


def show_as_sent(
    channel_settings: ChannelSettingsMap,
) -> Callable[[str, str, tuple[Choice, ...]], Sample]:
    """How a message looks on a named channel, without sending it (a campaign's preview)."""
    plugins = {plugin.name: plugin for plugin in CHANNELS}

    def show(channel: str, text: str, choices: tuple[Choice, ...]) -> Sample:
        plugin = plugins.get(channel)
        if plugin is None or channel not in channel_settings:
            return Sample(text, tuple(choice.label for choice in choices))
        return plugin.sample(channel_settings[channel], text, choices)

    return show


def measure_as_sent(channel_settings: ChannelSettingsMap) -> Callable[[str, str], Measure]:
    """How long a text is on a named channel, and the parts it goes in (a staff reply).

    By the channel's own rules (SMS segments), whether or not the channel is on here.
    """
    plugins = {plugin.name: plugin for plugin in CHANNELS}

    def measure(channel: str, text: str) -> Measure:
        plugin = plugins.get(channel)
        if plugin is None or channel not in channel_settings:
            # No such channel here: characters, against the longest text most channels take.
            most = ChannelPlugin.max_length
            return Measure(len(text), most, split(text, rendering.within(most)))
        return plugin.measure(channel_settings[channel], text)

    return measure


def add_channel_commands(app: typer.Typer, host: CommandHost) -> None:
    """Add each plug-in's commands to `indgang` as `indgang <name> …`."""
    for plugin in CHANNELS:
        group = plugin.commands(host)
        if group is not None:
            app.add_typer(group, name=plugin.name)
