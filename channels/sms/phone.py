"""Phone numbers to E.164, the form we store and Twilio expects."""

from __future__ import annotations

import phonenumbers


class InvalidPhoneNumber(ValueError):
    """A phone number that cannot be parsed or is not a valid number.

    The message never repeats the number: exceptions end up in logs.
    """


def normalise(raw: str, region: str = "DK") -> str:
    """Return `raw` as E.164 ("+4520123456"), reading national forms in `region`."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhoneNumber("phone number is empty")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        # `from None`: the library's message may quote the input.
        raise InvalidPhoneNumber(f"phone number could not be parsed (region {region})") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(f"phone number is not a valid number (region {region})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
