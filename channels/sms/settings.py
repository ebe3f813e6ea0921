"""SMS settings: INDGANG_TWILIO_* and INDGANG_SMS_* in the environment or `.env`."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field, model_validator

from channels.base import ChannelSettings

# Where the provider posts to, below INDGANG_PUBLIC_URL.
SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"


class SmsSettings(ChannelSettings):
    """The Twilio account and auth token turn SMS on; a sender is then required.

    Field names are the variable names without `INDGANG_`: Twilio's credentials and the
    SMS length limit share this class but not a prefix.
    """

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = Field(default=None, repr=False)
    twilio_messaging_service_sid: str | None = None
    twilio_from: str | None = None
    # Send REST calls to another server (the tests' fake).
    twilio_api_base: AnyHttpUrl | None = None
    sms_max_segments: int = Field(default=3, ge=1, le=10)

    @model_validator(mode="after")
    def _account_needs_token_and_sender(self) -> SmsSettings:
        if self.twilio_account_sid and not self.twilio_auth_token:
            raise ValueError("INDGANG_TWILIO_AUTH_TOKEN is needed with a Twilio account")
        if self.twilio_account_sid and not (self.twilio_messaging_service_sid or self.twilio_from):
            raise ValueError(
                "INDGANG_TWILIO_MESSAGING_SERVICE_SID or INDGANG_TWILIO_FROM is required for SMS"
            )
        return self
