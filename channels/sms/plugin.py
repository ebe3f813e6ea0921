"""SMS as a plug-in: on with a Twilio account; inbound and status webhooks."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from channels import rendering
from channels.base import (
    Capabilities,
    ChannelContext,
    ChannelPlugin,
    Choice,
    Deployment,
    InviteWay,
    Measure,
    Sample,
    url_base,
)
from channels.parts import MAX_PARTS, split
from channels.sms.settings import STATUS_PATH, SmsSettings

if TYPE_CHECKING:
    from fastapi import APIRouter

    from channels.sms.channel import SmsChannel


class SmsPlugin(ChannelPlugin[SmsSettings, "SmsChannel"]):
    """SMS through one Twilio account (twilio is imported only when it is on)."""

    name = "sms"
    settings_type = SmsSettings

    def build(self, settings: SmsSettings, deployment: Deployment) -> SmsChannel | None:
        """The SMS channel when the Twilio account and its auth token are set."""
        if not (settings.twilio_account_sid and settings.twilio_auth_token):
            return None
        from channels.sms.channel import SmsChannel

        return SmsChannel(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            from_number=settings.twilio_from,
            status_callback_url=deployment.public_base + STATUS_PATH,
            api_base=url_base(settings.twilio_api_base),
            max_segments=settings.sms_max_segments,
        )

    def router(
        self, channel: SmsChannel, settings: SmsSettings, context: ChannelContext
    ) -> APIRouter:
        """Twilio's incoming-message and status webhooks, signature-checked."""
        from channels.sms.views import build_router

        assert settings.twilio_auth_token  # build() returns no channel without it
        return build_router(
            channel,
            settings.twilio_auth_token,
            context.deployment.public_base,
            context.receive,
            partial(context.record_status, self.name),
        )

    def sample(self, settings: SmsSettings, text: str, choices: tuple[Choice, ...]) -> Sample:
        """Numbered choices, cut to the segment limit, with its segments and encoding."""
        from channels.sms.encoding import analyse, plain_spaces, within_segments

        plain = tuple(Choice(choice.key, plain_spaces(choice.label)) for choice in choices)
        capabilities = Capabilities(buttons=False, max_length=160 * settings.sms_max_segments)
        body = rendering.render(
            plain_spaces(text),
            plain,
            capabilities,
            fits=within_segments(settings.sms_max_segments),
        )
        shape = analyse(body)
        return Sample(body, (), shape.segments, shape.encoding)

    def measure(self, settings: SmsSettings, text: str, *, max_parts: int = MAX_PARTS) -> Measure:
        """Segments as Twilio counts them; parts of at most INDGANG_SMS_MAX_SEGMENTS each."""
        from channels.sms.encoding import analyse, limit_of, plain_spaces, within_segments

        plain = plain_spaces(text)  # as `SmsChannel.render` sends it
        shape = analyse(plain)
        most = settings.sms_max_segments
        return Measure(
            characters=shape.characters,
            limit=limit_of(shape.encoding, most),
            parts=split(plain, within_segments(most), max_parts=max_parts),
            segments=shape.segments,
            max_segments=most,
            encoding=shape.encoding,
        )

    def invite(self, settings: SmsSettings, code: str) -> InviteWay | None:
        """The number to text the code to, when a sender number is set."""
        return InviteWay(address=settings.twilio_from) if settings.twilio_from else None


plugin = SmsPlugin()
