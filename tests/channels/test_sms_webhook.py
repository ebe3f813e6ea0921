"""Twilio webhooks: signature checks, TwiML answers, inbound and status parsing."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from channels.base import Inbound, StatusUpdate
from channels.sms.channel import SmsChannel
from channels.sms.parse import MalformedPayload, parse_inbound, parse_status
from channels.sms.views import EMPTY_TWIML, build_router
from tests.fakes.twilio_api import sign, signed_headers

DATA = Path(__file__).parent.parent / "data" / "twilio"
TOKEN = "12345678901234567890123456789012"
PUBLIC = "https://indgang.example.dk/"  # trailing slash on purpose: must be stripped
SMS_URL = "https://indgang.example.dk/webhooks/twilio/sms"
STATUS_URL = "https://indgang.example.dk/webhooks/twilio/status"


def payload(name: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


@dataclass
class Recorder:
    inbound: list[Inbound] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    known: set[str] = field(default_factory=set)

    async def receive(self, message: Inbound) -> None:
        self.inbound.append(message)

    async def on_status(self, update: StatusUpdate) -> bool:
        self.statuses.append(update)
        return update.provider_id in self.known


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    channel = SmsChannel(account_sid="AC" + "0" * 32, auth_token=TOKEN, from_number="+4552123456")
    app = FastAPI()
    app.include_router(build_router(channel, TOKEN, PUBLIC, recorder.receive, recorder.on_status))
    # The app sees http://internal:8000, as behind a proxy; Twilio signed the public URL.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://internal:8000") as http:
        yield http
    await channel.close()


async def post_signed(
    http: httpx.AsyncClient, path: str, form: dict[str, str], signed_url: str
) -> httpx.Response:
    return await http.post(path, data=form, headers=signed_headers(signed_url, form, TOKEN))


INBOUND = [
    # payload file, text, has_media, provider_id
    (
        "inbound_sms",
        "Hej, hvornår er mit møde på jobcentret?",
        False,
        "SM9b2f4c1d7e3a4f0b8c6d2e1f5a7b9c3d",
    ),
    ("inbound_mms", "Her er billedet af min plan", True, "MM4d6e8f0a2b4c6d8e0f1a3b5c7d9e1f2a"),
    ("inbound_mms_no_text", "", True, "MM1f3e5d7c9b1a3f5e7d9c1b3a5f7e9d1c"),
    ("inbound_emoji", "Tak 🙏 vi ses i morgen 😊", False, "SM6c8e0a2c4e6a8c0e2a4c6e8a0c2e4a6c"),
    (
        "inbound_arabic",
        "مرحبا، أريد التحدث مع مستشاري",
        False,
        "SM2e4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e",
    ),
    (
        "inbound_long_multipart",
        "Jeg ved ikke helt hvad jeg skal vælge. " * 5,
        False,
        "SM8a0c2e4a6c8e0a2c4e6a8c0e2a4c6e8a",
    ),
]


@pytest.mark.parametrize(("name", "text", "has_media", "sid"), INBOUND, ids=[c[0] for c in INBOUND])
async def test_signed_inbound_is_received(
    client: httpx.AsyncClient, recorder: Recorder, name: str, text: str, has_media: bool, sid: str
) -> None:
    response = await post_signed(client, "/webhooks/twilio/sms", payload(name), SMS_URL)

    assert response.status_code == 200
    assert response.text == EMPTY_TWIML
    assert response.headers["content-type"].startswith("application/xml")
    assert recorder.inbound == [
        Inbound(
            channel="sms",
            address="+4520123456",
            provider_id=sid,
            text=text,
            endpoint="+4552123456",
            has_media=has_media,
        )
    ]


def forged(form: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": sign(SMS_URL, form, "another-accounts-token")}


def tampered(form: dict[str, str]) -> dict[str, str]:
    # Signed, then the body was changed in flight.
    return {"X-Twilio-Signature": sign(SMS_URL, {**form, "Body": "noget andet"}, TOKEN)}


def other_host(form: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": sign("https://evil.example.com/webhooks/twilio/sms", form, TOKEN)}


def request_url(form: dict[str, str]) -> dict[str, str]:
    # What a naive check against request.url would accept.
    return {"X-Twilio-Signature": sign("http://internal:8000/webhooks/twilio/sms", form, TOKEN)}


def missing(form: dict[str, str]) -> dict[str, str]:
    return {}


def empty(form: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": ""}


BAD_SIGNATURES = [forged, tampered, other_host, request_url, missing, empty]


@pytest.mark.parametrize("headers", BAD_SIGNATURES, ids=[f.__name__ for f in BAD_SIGNATURES])
@pytest.mark.parametrize("path", ["/webhooks/twilio/sms", "/webhooks/twilio/status"])
async def test_bad_signature_is_403_and_nothing_processed(
    client: httpx.AsyncClient, recorder: Recorder, headers: Any, path: str
) -> None:
    form = payload("inbound_sms") if path.endswith("sms") else payload("status_delivered")
    response = await client.post(path, data=form, headers=headers(form))

    assert response.status_code == 403
    assert recorder.inbound == [] and recorder.statuses == []


async def test_sms_signature_does_not_open_the_status_route(
    client: httpx.AsyncClient, recorder: Recorder
) -> None:
    form = payload("status_delivered")
    response = await post_signed(client, "/webhooks/twilio/status", form, SMS_URL)

    assert response.status_code == 403
    assert recorder.statuses == []


MALFORMED = [
    ("no From", lambda f: {k: v for k, v in f.items() if k != "From"}),
    ("no MessageSid", lambda f: {k: v for k, v in f.items() if k not in ("MessageSid", "SmsSid")}),
    ("bad From", lambda f: {**f, "From": "ikke et nummer"}),
    ("bad NumMedia", lambda f: {**f, "NumMedia": "mange"}),
]


@pytest.mark.parametrize("mangle", [c[1] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
async def test_signed_but_malformed_is_400(
    client: httpx.AsyncClient, recorder: Recorder, mangle: Any
) -> None:
    response = await post_signed(
        client, "/webhooks/twilio/sms", mangle(payload("inbound_sms")), SMS_URL
    )

    assert response.status_code == 400
    assert recorder.inbound == []


async def test_json_body_is_400(client: httpx.AsyncClient, recorder: Recorder) -> None:
    form = payload("inbound_sms")
    response = await client.post(
        "/webhooks/twilio/sms",
        json=form,
        headers={"X-Twilio-Signature": sign(SMS_URL, form, TOKEN)},
    )

    assert response.status_code == 400
    assert recorder.inbound == []


async def test_body_over_64_kib_is_413(client: httpx.AsyncClient, recorder: Recorder) -> None:
    form = {**payload("inbound_sms"), "Body": "a" * (65 * 1024)}
    response = await post_signed(client, "/webhooks/twilio/sms", form, SMS_URL)

    assert response.status_code == 413
    assert recorder.inbound == []


async def test_chunked_body_over_64_kib_is_413(
    client: httpx.AsyncClient, recorder: Recorder
) -> None:
    form = {**payload("inbound_sms"), "Body": "a" * (65 * 1024)}
    encoded = httpx.QueryParams(form).__str__().encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(encoded), 8192):
            yield encoded[start : start + 8192]

    headers = signed_headers(SMS_URL, form, TOKEN)
    response = await client.post("/webhooks/twilio/sms", content=chunks(), headers=headers)

    assert response.status_code == 413
    assert recorder.inbound == []


STATUSES = [
    ("status_sent", "sent", None),
    ("status_delivered", "delivered", None),
    ("status_undelivered_30003", "undelivered", "30003"),
    ("status_failed_30008", "failed", "30008"),
]


@pytest.mark.parametrize(("name", "status", "error_code"), STATUSES, ids=[c[0] for c in STATUSES])
async def test_status_callback_reaches_on_status(
    client: httpx.AsyncClient, recorder: Recorder, name: str, status: str, error_code: str | None
) -> None:
    form = payload(name)
    recorder.known.add(form["MessageSid"])
    response = await post_signed(client, "/webhooks/twilio/status", form, STATUS_URL)

    assert response.status_code == 200
    assert recorder.statuses == [StatusUpdate(form["MessageSid"], status, error_code)]
    assert recorder.inbound == []


async def test_status_for_unknown_message_is_acknowledged_and_logged_without_number(
    client: httpx.AsyncClient, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    form = payload("status_undelivered_30003")
    with caplog.at_level(logging.INFO, logger="channels.sms"):
        response = await post_signed(client, "/webhooks/twilio/status", form, STATUS_URL)

    assert response.status_code == 200
    assert len(recorder.statuses) == 1
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("channels.sms")]
    assert any(form["MessageSid"] in m and "unknown" in m for m in messages)
    assert not any("20123456" in m or "52123456" in m for m in messages)


async def test_unknown_status_value_is_400(client: httpx.AsyncClient, recorder: Recorder) -> None:
    form = {**payload("status_delivered"), "MessageStatus": "exploded", "SmsStatus": "exploded"}
    response = await post_signed(client, "/webhooks/twilio/status", form, STATUS_URL)

    assert response.status_code == 400
    assert recorder.statuses == []


async def test_routes_are_documented(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    for path in ("/webhooks/twilio/sms", "/webhooks/twilio/status"):
        operation = schema["paths"][path]["post"]
        assert operation["summary"]
        assert {"200", "400", "403", "413"} <= set(operation["responses"])
        assert "application/x-www-form-urlencoded" in operation["requestBody"]["content"]


def test_parse_prefers_message_sid_and_falls_back_to_sms_sid() -> None:
    form = payload("inbound_sms")
    del form["MessageSid"]
    assert parse_inbound(form).provider_id == form["SmsSid"]
    status = payload("status_delivered")
    del status["MessageStatus"]
    assert parse_status(status).status == "delivered"


def test_malformed_payload_is_a_value_error_without_the_number() -> None:
    with pytest.raises(MalformedPayload) as info:
        parse_inbound({**payload("inbound_sms"), "From": "+45 123"})
    assert isinstance(info.value, ValueError)
    assert "123" not in str(info.value)
