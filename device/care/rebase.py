"""Place an example bundle on another day: every FHIR date and time moved by whole days.

The example bundle is one day of a team's schedule (2026-11-24). A demo shown weeks later must
not answer from a plan older than the device may keep (store.retention_days), so the demo moves
the bundle to the day it is shown. Times keep their wall-clock time in the team's time zone
(a 07:30 visit stays 07:30 across a change to summer time). Pure: a dict in, a new dict out.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# A FHIR date, dateTime or instant: 2026-11-24, 2026-11-24T08:00:00+01:00, …Z
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?")
_NOT_MOVED = frozenset({"birthDate", "deceasedDateTime"})  # a person's dates are not the plan's


def first_day(bundle: dict[str, Any], tz: ZoneInfo) -> date | None:
    """The local day of the bundle's first visit (None without visits)."""
    starts = [
        _parse(entry["resource"]["start"], tz)
        for entry in bundle.get("entry") or []
        if isinstance(entry, dict)
        and isinstance(entry.get("resource"), dict)
        and entry["resource"].get("resourceType") == "Appointment"
        and isinstance(entry["resource"].get("start"), str)
        and _MOMENT.fullmatch(entry["resource"]["start"])
    ]
    return min(starts).astimezone(tz).date() if starts else None


def move_to_day(bundle: dict[str, Any], day: date, tz: ZoneInfo) -> dict[str, Any]:
    """A copy of ``bundle`` whose first visit falls on ``day``; unchanged without visits."""
    first = first_day(bundle, tz)
    if first is None:
        return bundle
    days = (day - first).days
    moved: dict[str, Any] = _walk(bundle, days, tz)
    return moved


def _walk(value: Any, days: int, tz: ZoneInfo, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, days, tz, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, days, tz, key) for v in value]
    if isinstance(value, str) and key not in _NOT_MOVED and _MOMENT.fullmatch(value):
        return _shift(value, days, tz)
    return value


def _shift(text: str, days: int, tz: ZoneInfo) -> str:
    if "T" not in text:
        return (date.fromisoformat(text) + timedelta(days=days)).isoformat()
    moment = _parse(text, tz)
    local = moment.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
    moved = local.replace(tzinfo=tz)
    if text.endswith("Z"):
        return moved.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")
    return moved.isoformat()


def _parse(text: str, tz: ZoneInfo) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)
