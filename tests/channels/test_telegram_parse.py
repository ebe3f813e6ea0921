"""parse_update over recorded Telegram payloads: what the engine sees, what is ignored."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from channels.base import Inbound
from channels.telegram.parse import Ignored, MalformedUpdate, ParsedUpdate, parse_update
from tests.fakes.telegram_api import callback_update, load_update, text_update

BOT = "7000000001"
CHAT = "5123456789"


def inbound(update_id: int, **fields: Any) -> Inbound:
    return Inbound(
        channel="telegram",
        address=CHAT,
        provider_id=f"{BOT}:{update_id}",
        endpoint=BOT,
        **fields,
    )


CASES: list[tuple[str, ParsedUpdate | Ignored]] = [
    (
        "text",
        ParsedUpdate(inbound(873512001, text="Hej, jeg vil gerne tale med min kontaktperson")),
    ),
    ("start_plain", ParsedUpdate(inbound(873512002, text="/start"))),
    (
        "start_with_payload",
        ParsedUpdate(
            inbound(873512003, text="/start aarhus-K7Q2M9", start_payload="aarhus-K7Q2M9")
        ),
    ),
    ("emoji_text", ParsedUpdate(inbound(873512004, text="Det går godt 😊👍 tak for hjælpen ❤️"))),
    (
        "arabic_text",
        ParsedUpdate(inbound(873512005, text="مرحبا، أحتاج مساعدة في إيجاد تدريب مهني")),
    ),
    (
        "callback_query",
        ParsedUpdate(
            inbound(873512006, text="", choice="menu:plan"),
            callback_query_id="2200720184617593312",
        ),
    ),
    ("edited_message", Ignored("edited")),
    ("sticker", ParsedUpdate(inbound(873512008, has_media=True))),
    (
        "photo_caption",
        ParsedUpdate(inbound(873512009, text="Her er mit skema for næste uge", has_media=True)),
    ),
    ("voice", ParsedUpdate(inbound(873512010, has_media=True))),
    ("document", ParsedUpdate(inbound(873512011, has_media=True))),
    ("location", ParsedUpdate(inbound(873512012, has_media=True))),
    ("contact", ParsedUpdate(inbound(873512013, has_media=True))),
    ("video_note", ParsedUpdate(inbound(873512018, has_media=True))),
    ("my_chat_member", Ignored("my_chat_member")),
    ("channel_post", Ignored("channel_post")),
    ("group_text", Ignored("group chat")),
    ("future_kind", Ignored("unknown update kind")),
]


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[name for name, _ in CASES])
def test_recorded_payloads(name: str, expected: ParsedUpdate | Ignored) -> None:
    assert parse_update(load_update(name), BOT) == expected


def test_provider_id_is_unique_per_bot() -> None:
    payload = load_update("text")
    assert parse_update(payload, "111") != parse_update(payload, "222")


def with_text(text: str) -> dict[str, Any]:
    payload = copy.deepcopy(load_update("start_plain"))
    payload["message"]["text"] = text
    return payload


@pytest.mark.parametrize(
    ("text", "start_payload"),
    [
        ("/start K7Q2M9", "K7Q2M9"),
        ("/start@indgang_aarhus_bot K7Q2M9", "K7Q2M9"),
        ("/start   K7Q2M9  ", "K7Q2M9"),
        ("/start", None),
        ("/starting K7Q2M9", None),
        ("start K7Q2M9", None),
        # Typed by hand, not a deep link: the words stay text and are not taken as a code.
        ("/start hej med dig", None),
        ("/start " + "A" * 65, None),
        ("/start æøå", None),
    ],
)
def test_start_payload(text: str, start_payload: str | None) -> None:
    parsed = parse_update(with_text(text), BOT)
    assert isinstance(parsed, ParsedUpdate)
    assert parsed.inbound.start_payload == start_payload
    assert parsed.inbound.text == text


def test_callback_on_message_too_old_to_access_still_counts() -> None:
    payload = copy.deepcopy(load_update("callback_query"))
    message = payload["callback_query"]["message"]
    payload["callback_query"]["message"] = {
        "chat": message["chat"],
        "message_id": message["message_id"],
        "date": 0,
    }
    parsed = parse_update(payload, BOT)
    assert isinstance(parsed, ParsedUpdate)
    assert parsed.inbound.choice == "menu:plan"
    assert parsed.inbound.address == CHAT


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda q: q.pop("message") and q.update(inline_message_id="AgAAAB"), "inline callback"),
        (lambda q: q.pop("data") and q.update(game_short_name="quiz"), "callback without data"),
        (
            lambda q: q["message"].update(chat={"id": -4012345678, "title": "K", "type": "group"}),
            "group chat",
        ),
    ],
)
def test_callbacks_we_cannot_answer_are_ignored(change: Any, reason: str) -> None:
    payload = copy.deepcopy(load_update("callback_query"))
    change(payload["callback_query"])
    assert parse_update(payload, BOT) == Ignored(reason)


SECRET_TEXT = "mit cpr er 010203-1234"


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "update",
        {},
        {"update_id": "not a number", "message": {"text": SECRET_TEXT}},
        {"update_id": 1, "message": {"message_id": 1, "date": 1, "text": SECRET_TEXT}},
        {"update_id": 1, "callback_query": {"id": "1", "data": SECRET_TEXT}},
    ],
    ids=["null", "list", "string", "empty", "bad-id", "no-chat", "no-from"],
)
def test_malformed_updates_raise_without_echoing_text(payload: Any) -> None:
    with pytest.raises(MalformedUpdate) as caught:
        parse_update(payload, BOT)
    assert isinstance(caught.value, ValueError)
    assert "010203" not in str(caught.value)
    assert "cpr" not in str(caught.value)


def test_update_builders_for_other_tests_parse_as_expected() -> None:
    typed = parse_update(text_update("hjælp", chat_id=42), BOT)
    pressed = parse_update(callback_update("menu:human", chat_id=42), BOT)
    assert isinstance(typed, ParsedUpdate) and isinstance(pressed, ParsedUpdate)
    assert (typed.inbound.address, typed.inbound.text) == ("42", "hjælp")
    assert (pressed.inbound.address, pressed.inbound.choice) == ("42", "menu:human")
    assert typed.inbound.provider_id != pressed.inbound.provider_id
    assert pressed.callback_query_id is not None
