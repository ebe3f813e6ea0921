"""Each channel reads its own INDGANG_* settings; the wiring builds what is configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import describe_error
from bot.wiring import CHANNELS, build_channels, read_channel_settings
from channels.base import Deployment
from channels.sms.settings import SmsSettings
from channels.telegram.settings import TelegramSettings

DEVELOPMENT = Deployment(environment="development", public_base="https://indgang.example.dk")
PRODUCTION = Deployment(environment="production", public_base="https://indgang.example.dk")


def test_variable_names_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "INDGANG_TELEGRAM_TOKEN": "7000000001:AAAA",
        "INDGANG_TELEGRAM_WEBHOOK_SECRET": "s3cr3t",
        "INDGANG_TELEGRAM_API_BASE": "http://127.0.0.1:9/",
        "INDGANG_TELEGRAM_BOT_USERNAME": "bot",
        "INDGANG_TWILIO_ACCOUNT_SID": "AC1",
        "INDGANG_TWILIO_AUTH_TOKEN": "tok",
        "INDGANG_TWILIO_MESSAGING_SERVICE_SID": "MG1",
        "INDGANG_TWILIO_FROM": "+4552123456",
        "INDGANG_TWILIO_API_BASE": "http://127.0.0.1:8/",
        "INDGANG_SMS_MAX_SEGMENTS": "2",
    }.items():
        monkeypatch.setenv(name, value)

    telegram = TelegramSettings(_env_file=None)
    sms = SmsSettings(_env_file=None)

    assert (telegram.token, telegram.webhook_secret, telegram.bot_username) == (
        "7000000001:AAAA",
        "s3cr3t",
        "bot",
    )
    assert str(telegram.api_base) == "http://127.0.0.1:9/"
    assert (
        sms.twilio_account_sid,
        sms.twilio_auth_token,
        sms.twilio_messaging_service_sid,
        sms.twilio_from,
        sms.sms_max_segments,
    ) == ("AC1", "tok", "MG1", "+4552123456", 2)
    assert str(sms.twilio_api_base) == "http://127.0.0.1:8/"


def test_env_file_is_read_unless_turned_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("INDGANG_TELEGRAM_BOT_USERNAME=from_dotenv\n", "utf-8")

    assert TelegramSettings().bot_username == "from_dotenv"
    assert TelegramSettings(_env_file=None).bot_username is None
    assert read_channel_settings(env_file=None)["telegram"].model_dump()["bot_username"] is None


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda: TelegramSettings(_env_file=None, token="7:A"), "INDGANG_TELEGRAM_WEBHOOK_SECRET"),
        (
            lambda: SmsSettings(_env_file=None, twilio_account_sid="AC1"),
            "INDGANG_TWILIO_AUTH_TOKEN",
        ),
        (
            lambda: SmsSettings(_env_file=None, twilio_account_sid="AC1", twilio_auth_token="t"),
            "INDGANG_TWILIO_MESSAGING_SERVICE_SID or INDGANG_TWILIO_FROM",
        ),
    ],
)
def test_incomplete_credentials_are_refused_naming_the_variable(make: object, named: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make()  # type: ignore[operator]
    assert named in describe_error(caught.value)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"INDGANG_SMS_MAX_SEGMENTS": "99"}, "INDGANG_SMS_MAX_SEGMENTS"),
        ({"INDGANG_TELEGRAM_API_BASE": "not a url"}, "INDGANG_TELEGRAM_API_BASE"),
        ({"INDGANG_TELEGRAM_TOKEN": "7:A"}, "INDGANG_TELEGRAM_WEBHOOK_SECRET"),
    ],
)
def test_bad_channel_setting_stops_start_up_with_one_line(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env={**os.environ, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr


async def test_channels_are_on_where_configured() -> None:
    nothing = read_channel_settings(env_file=None)
    configured = read_channel_settings(
        {
            "telegram": TelegramSettings(_env_file=None, token="7000000001:AA", webhook_secret="s"),
            "sms": SmsSettings(
                _env_file=None,
                twilio_account_sid="AC1",
                twilio_auth_token="t",
                twilio_from="+4552123456",
            ),
        },
        env_file=None,
    )

    built = [
        build_channels(deployment, settings)
        for deployment in (DEVELOPMENT, PRODUCTION)
        for settings in (nothing, configured)
    ]
    try:
        bare_dev, full_dev, bare_prod, full_prod = built
        assert sorted(bare_dev) == ["console", "web"]
        assert list(full_dev) == [plugin.name for plugin in CHANNELS]
        assert bare_prod == {}
        assert sorted(full_prod) == ["sms", "telegram"]
    finally:
        for channels in built:
            for channel in channels.values():
                await channel.close()
