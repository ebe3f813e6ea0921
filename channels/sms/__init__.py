"""SMS over Twilio: encoding, phone numbers, sending, webhooks."""

from channels.sms.channel import SmsChannel
from channels.sms.encoding import SmsShape, analyse, fit
from channels.sms.parse import MalformedPayload, StatusUpdate, parse_inbound, parse_status
from channels.sms.phone import InvalidPhoneNumber, normalise

__all__ = [
    "InvalidPhoneNumber",
    "MalformedPayload",
    "SmsChannel",
    "SmsShape",
    "StatusUpdate",
    "analyse",
    "fit",
    "normalise",
    "parse_inbound",
    "parse_status",
]
