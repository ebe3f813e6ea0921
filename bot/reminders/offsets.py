"""When a reminder falls relative to its target: '1d@16:00', '+1d@10:00', '2h', '30m'."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# "1d@16:00": N days before (or "+1d@10:00" after) at a local wall-clock time; "2h"/"90m": before.
_OFFSET = re.compile(
    r"^(?:(?P<sign>[+-]?)(?P<days>\d+)d@(?P<hh>\d{1,2}):(?P<mm>\d{2})"
    r"|(?P<amount>\d+)(?P<unit>[hm]))$"
)


@dataclass(frozen=True)
class Offset:
    """When a reminder falls relative to its target; its text is the reminder's offset_key."""

    key: str
    days: int = 0
    at: time | None = None
    before: timedelta | None = None

    def due(self, target: datetime, zone: ZoneInfo) -> datetime:
        """The UTC moment for a target time: local wall-clock arithmetic, so DST is right."""
        if self.before is not None:
            return target - self.before
        return self.on_day(target.astimezone(zone).date(), zone)

    def on_day(self, day: date, zone: ZoneInfo) -> datetime:
        """The UTC moment `days` from a local date at the offset's wall-clock time."""
        assert self.at is not None
        local_day = day + timedelta(days=self.days)
        return datetime.combine(local_day, self.at, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def parse_offset(key: str) -> Offset:
    """Parse '1d@16:00' (day before at 16:00), '+1d@10:00' (day after) or '2h' / '30m' (before)."""
    found = _OFFSET.match(key.strip())
    if found is None or len(key) > 24:
        raise ValueError(f"bad reminder offset {key!r}: use '1d@16:00', '+1d@10:00' or '2h'")
    if found["amount"]:
        amount = int(found["amount"])
        unit = timedelta(hours=1) if found["unit"] == "h" else timedelta(minutes=1)
        return Offset(key=key, before=amount * unit)
    days = int(found["days"]) * (1 if found["sign"] == "+" else -1)
    return Offset(key=key, days=days, at=time(int(found["hh"]), int(found["mm"])))
