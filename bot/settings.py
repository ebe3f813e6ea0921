"""The service's configuration, read once from INDGANG_* environment variables.

Each channel reads its own (channels/<name>/settings.py, listed through bot/wiring.py).
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Where content/ and locales/ live: the checkout, or INDGANG_HOME in an installed image.
REPO_ROOT = Path(os.environ.get("INDGANG_HOME") or Path(__file__).resolve().parents[1])


class Settings(BaseSettings):
    """Indgang's settings; every field is INDGANG_<NAME> in the environment (or `.env`)."""

    model_config = SettingsConfigDict(env_prefix="INDGANG_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./indgang.db"
    public_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000")
    timezone: str = "Europe/Copenhagen"
    secret_key: str = Field(default="", repr=False)
    demo_data: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False

    dispatcher_interval: float = Field(default=1.0, gt=0)
    dispatcher_batch: int = Field(default=50, gt=0)
    send_max_attempts: int = Field(default=8, gt=0)
    send_backoff_base: float = Field(default=2.0, gt=0)
    send_backoff_cap: float = Field(default=900.0, gt=0)
    lease_seconds: int = Field(default=120, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return async_database_url(value)

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        if self.env == "production" and len(self.secret_key) < 32:
            raise ValueError("INDGANG_SECRET_KEY needs at least 32 characters in production")
        if not self.secret_key:
            # Development only: sessions do not survive a restart, which is fine there.
            self.secret_key = secrets.token_urlsafe(32)
        return self

    @property
    def public_base(self) -> str:
        """The public address without a trailing slash."""
        return str(self.public_url).rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        """True on the embedded default database."""
        return self.database_url.startswith("sqlite")


def async_database_url(url: str) -> str:
    """Pick the async driver for a plain database URL."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+psycopg://", "postgresql+asyncpg://")):
        raise ValueError("must be a sqlite:// or postgresql:// URL")
    return url


def describe_error(exc: ValidationError, prefix: str = "INDGANG_") -> str:
    """One line per bad setting, naming the environment variable."""
    lines = []
    for error in exc.errors():
        name = "_".join(str(part) for part in error["loc"][:1]).upper()
        where = f"{prefix}{name}" if name else "settings"
        lines.append(f"{where}: {error['msg']}")
    return "; ".join(lines)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
