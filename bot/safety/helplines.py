"""Help lines to show next to an urgent handoff, chosen by what happened, age and hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal, cast

from bot.content.yaml_files import load_yaml
from bot.safety.content import content_dir

Kind = Literal["emergency", "phone", "chat", "sms"]
TOPICS: Final = (
    "suicide",
    "self_harm",
    "violence",
    "abuse",
    "forced_marriage",
    "homelessness",
    "acute_danger",
    "general",
)
"""What a line helps with: the crisis categories, and `general` for any worry."""
VERIFIED_WITHIN_DAYS: Final = 365
KINDS: tuple[Kind, ...] = ("emergency", "phone", "chat", "sms")
MIN_OPTIONS: Final = 2
MAX_OPTIONS: Final = 3
AgeRange = tuple[int, int] | None


class HelplineFileError(ValueError):
    """helplines.yaml breaks the format described at its top."""


@dataclass(frozen=True, slots=True)
class Hours:
    """Daily opening hours in local time: always, unknown, or from/to (may cross midnight)."""

    always: bool = False
    opens: time | None = None
    closes: time | None = None

    def is_open(self, at: time) -> bool | None:
        """Tell whether the line is open at a local time; None when the hours are unknown."""
        if self.always:
            return True
        if self.opens is None or self.closes is None:
            return None
        if self.opens <= self.closes:
            return self.opens <= at < self.closes
        return at >= self.opens or at < self.closes


ALWAYS: Final = Hours(always=True)
UNKNOWN: Final = Hours()


@dataclass(frozen=True, slots=True)
class Helpline:
    """One help line as the young person sees it."""

    id: str
    name: str
    contact: str
    kind: Kind
    text: str
    age_min: int | None
    age_max: int | None
    hours: Hours
    last_verified: date | None
    notes: str = ""
    topics: tuple[str, ...] = ("general",)
    sources: tuple[str, ...] = ()

    def fits_age(self, age: int | AgeRange | None) -> bool:
        """Tell whether the line serves this age, or any age of a range (unknown fits all)."""
        if age is None:
            return True
        low, high = (age, age) if isinstance(age, int) else age
        return (self.age_min is None or high >= self.age_min) and (
            self.age_max is None or low <= self.age_max
        )

    def verified_since(self, today: date) -> bool:
        """Tell whether the line's facts were checked within the last year."""
        return (
            self.last_verified is not None
            and (today - self.last_verified).days <= VERIFIED_WITHIN_DAYS
        )

    def is_open(self, now_local: datetime) -> bool | None:
        """Tell whether the line is open at a local time; None when unknown."""
        return self.hours.is_open(now_local.time())


# 112 is set by law, never changes and is always shown first and on its own, so it is
# fixed here rather than in content.
EMERGENCY: Final = Helpline(
    id="112",
    name="Alarm 112",
    contact="112",
    kind="emergency",
    text="Er du i fare lige nu? Ring 112.",
    age_min=None,
    age_max=None,
    hours=ALWAYS,
    last_verified=None,
)


def _clock(value: Any, where: str) -> time:
    if not isinstance(value, str):
        raise HelplineFileError(f'{where}: write times in quotes, like "11:00"')
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise HelplineFileError(f"{where}: not a time: {value!r}") from exc


def _hours(value: Any, where: str) -> Hours:
    if value == "always":
        return ALWAYS
    if value == "unknown":
        return UNKNOWN
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        return Hours(opens=_clock(value["from"], where), closes=_clock(value["to"], where))
    raise HelplineFileError(f"{where}: hours must be always, unknown or {{from: .., to: ..}}")


def _age(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise HelplineFileError(f"{where}: age must be a whole number or empty")
    return value


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise HelplineFileError(f"{where}: '{key}' is required")
    return value.strip()


def parse_helplines(data: Any, source: str = "helplines.yaml") -> tuple[Helpline, ...]:
    """Validate parsed helplines.yaml and return its lines in file order."""
    if not isinstance(data, dict) or not isinstance(data.get("lines"), list):
        raise HelplineFileError(f"{source}: needs a 'lines' list")
    lines = []
    for i, raw in enumerate(cast(list[Any], data["lines"])):
        where = f"{source}: line #{i + 1}"
        if not isinstance(raw, dict):
            raise HelplineFileError(f"{where}: must be a mapping")
        kind = raw.get("kind")
        if kind not in KINDS or kind == "emergency":
            raise HelplineFileError(f"{where}: kind must be phone, chat or sms")
        contact = _text(raw, "contact", where)
        if "http" in contact or "www." in contact:
            raise HelplineFileError(f"{where}: no links in contact (SMS filters them)")
        verified = raw.get("last_verified")
        if verified is not None and not isinstance(verified, date):
            raise HelplineFileError(f"{where}: last_verified must be a date like 2026-01-31")
        topics = raw.get("categories") or ["general"]
        if not isinstance(topics, list) or not set(topics) <= set(TOPICS):
            raise HelplineFileError(f"{where}: categories must be among {TOPICS}")
        sources = raw.get("sources") or []
        if not isinstance(sources, list) or not all(
            isinstance(x, dict) and isinstance(x.get("url"), str) for x in sources
        ):
            raise HelplineFileError(f"{where}: sources must be a list of {{fact, url, seen}}")
        age_min, age_max = _age(raw.get("age_min"), where), _age(raw.get("age_max"), where)
        if age_min is not None and age_max is not None and age_min > age_max:
            raise HelplineFileError(f"{where}: age_min is above age_max")
        lines.append(
            Helpline(
                id=_text(raw, "id", where),
                name=_text(raw, "name", where),
                contact=contact,
                kind=cast(Kind, kind),
                text=_text(raw, "text", where),
                age_min=age_min,
                age_max=age_max,
                hours=_hours(raw.get("hours"), where),
                last_verified=verified,
                notes=str(raw.get("notes") or "").strip(),
                topics=tuple(topics),
                sources=tuple(str(x["url"]) for x in sources),
            )
        )
    if len(lines) < MIN_OPTIONS:
        raise HelplineFileError(f"{source}: needs at least {MIN_OPTIONS} lines")
    return tuple(lines)


@lru_cache(maxsize=8)
def _cached(path: Path) -> tuple[Helpline, ...]:
    with path.open(encoding="utf-8") as fh:
        return parse_helplines(load_yaml(fh), path.name)


def load_helplines(content: Path | str | None = None) -> tuple[Helpline, ...]:
    """Return the (cached) help lines from a content root's safety/helplines.yaml."""
    return _cached((content_dir(content) / "safety" / "helplines.yaml").resolve())


def helplines_for(
    topic: str,
    age: int | AgeRange | None,
    now_local: datetime,
    *,
    limit: int = MAX_OPTIONS,
    include_unverified: bool = True,
    content: Path | str | None = None,
) -> list[Helpline]:
    """Up to `limit` lines for what happened, this age and this hour; 112 is separate.

    Lines for the topic come before general lines; lines open now before lines whose hours
    are unknown; closed lines are never offered. An age range (known birth year, unknown
    birthday) errs toward including a line near its age boundary.
    """
    lines = load_helplines(content)
    today = now_local.date()
    order = {line.id: i for i, line in enumerate(lines)}
    openness = {True: 0, None: 1}

    def relevance(line: Helpline) -> int:
        return 0 if topic in line.topics else 1 if "general" in line.topics else 2

    candidates = [
        line
        for line in lines
        if line.fits_age(age)
        and line.is_open(now_local) is not False
        and relevance(line) < 2
        and (include_unverified or line.verified_since(today))
    ]
    candidates.sort(
        key=lambda line: (openness[line.is_open(now_local)], relevance(line), order[line.id])
    )
    return candidates[:limit]


def clear_cache() -> None:
    """Forget loaded help lines (after editing content, or in tests)."""
    _cached.cache_clear()
