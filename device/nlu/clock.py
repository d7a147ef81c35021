"""Spoken clock times → (hour, minute), and choosing morning or afternoon for "klockan tre".

Pure functions: ``parse_clock`` never raises, whatever text it is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from device.nlu.numbers import read_number

_DIGITAL = re.compile(r"^(\d{1,2})[:.](\d{2})$", re.ASCII)
_FILLER = {
    "sv": {"klockan", "kl", "vid", "runt", "omkring", "cirka", "ungefär", "strax"},
    "en": {"at", "around", "about", "o'clock", "oclock", "o", "clock", "the"},
}
_PM = {
    "sv": [
        ("på", "eftermiddagen"),
        ("på", "kvällen"),
        ("i", "eftermiddag"),
        ("i", "kväll"),
        ("em",),
        ("e.m.",),
    ],
    "en": [("pm",), ("p.m.",), ("in", "the", "afternoon"), ("in", "the", "evening"), ("tonight",)],
}
_AM = {
    "sv": [("på", "morgonen"), ("på", "förmiddagen"), ("i", "morse"), ("fm",), ("f.m.",)],
    "en": [("am",), ("a.m.",), ("in", "the", "morning")],
}


@dataclass(frozen=True, slots=True)
class ClockTime:
    """A time of day as said; ``exact`` when the hour can't be a 12-hour reading (14:30)."""

    hour: int
    minute: int
    exact: bool = False
    meridiem: str | None = None  # "am", "pm" or None when not said

    def resolve(self, now: datetime) -> time:
        """The clock time meant: a 12-hour reading is placed in the working day near *now*."""
        if self.exact:
            return time(self.hour % 24, self.minute)
        base = self.hour % 12
        if self.meridiem == "pm":
            return time(base + 12, self.minute)
        if self.meridiem == "am":
            return time(base, self.minute)
        # Home care runs about 06–23: "tre" is 15:00; "sju" is 07:00 or 19:00, whichever comes
        # next (allowing for a visit that started up to an hour ago).
        candidates = [h for h in (base, base + 12) if 6 <= h <= 23] or [base + 12]
        now_minutes = now.hour * 60 + now.minute - 60
        for hour in candidates:
            if hour * 60 + self.minute >= now_minutes:
                return time(hour, self.minute)
        return time(candidates[-1], self.minute)


def _strip_meridiem(tokens: list[str], lang: str) -> tuple[list[str], str | None]:
    for meridiem, phrases in (("pm", _PM[lang]), ("am", _AM[lang])):
        for phrase in phrases:
            n = len(phrase)
            if len(tokens) > n and tuple(tokens[-n:]) == phrase:
                return tokens[:-n], meridiem
    return tokens, None


def parse_clock(text: str, lang: str) -> ClockTime | None:
    """Parse "halv tre", "kvart över två", "klockan 14:30", "quarter to five", … or None."""
    if lang not in ("sv", "en") or not isinstance(text, str):
        return None
    tokens = [t for t in text.lower().replace("-", " ").split() if t]
    tokens, meridiem = _strip_meridiem(tokens, lang)
    tokens = [t for t in tokens if t not in _FILLER[lang]]
    if not tokens:
        return None
    parsed = _parse_sv(tokens) if lang == "sv" else _parse_en(tokens)
    if parsed is None:
        return None
    hour, minute, exact = parsed
    if not (0 <= hour <= 24 and 0 <= minute <= 59) or (hour == 24 and minute):
        return None
    if hour > 12 or hour == 0:
        exact = True
    if exact and meridiem == "pm" and hour < 12:
        hour += 12
    return ClockTime(hour % 24, minute, exact, None if exact else meridiem)


def _digital(tokens: list[str]) -> tuple[int, int, bool] | None:
    if len(tokens) == 1:
        match = _DIGITAL.match(tokens[0])
        if match:
            hour, minute = int(match.group(1)), int(match.group(2))
            return hour, minute, hour >= 13 or tokens[0].startswith("0") or hour == 0
    return None


def _hour_only(tokens: list[str], i: int, lang: str) -> int | None:
    """A number that ends the phrase and can be an hour (1–24)."""
    got = read_number(tokens, i, lang)
    if got is None or i + got[1] != len(tokens) or not 1 <= got[0] <= 24:
        return None
    return got[0]


def _parse_sv(tokens: list[str]) -> tuple[int, int, bool] | None:
    if (digital := _digital(tokens)) is not None:
        return digital
    first = tokens[0]
    if first == "halv":
        hour = _hour_only(tokens, 1, "sv")
        return None if hour is None else ((hour - 1) % 12 or 12, 30, False)
    if first == "kvart" and len(tokens) > 2 and tokens[1] in ("över", "i"):
        hour = _hour_only(tokens, 2, "sv")
        if hour is None:
            return None
        return (hour, 15, hour > 12) if tokens[1] == "över" else (hour - 1 or 12, 45, hour > 13)
    got = read_number(tokens, 0, "sv")
    if got is None:
        return None
    value, used = got
    rest = tokens[used:]
    if not rest:
        return (value, 0, value > 12) if value <= 24 else None
    # "fem i halv tre", "tio över halv fyra"
    if len(rest) >= 3 and rest[0] in ("i", "över") and rest[1] == "halv" and value <= 10:
        hour = _hour_only(rest, 2, "sv")
        if hour is None:
            return None
        minute = 30 - value if rest[0] == "i" else 30 + value
        return (hour - 1) % 12 or 12, minute, False
    if rest[0] in ("över", "i") and value <= 29:
        hour = _hour_only(rest, 1, "sv")
        if hour is None:
            return None
        if rest[0] == "över":
            return hour, value, hour > 12
        return (hour - 1) % 24 or 12, 60 - value, hour > 13
    # "fjorton trettio", "två och trettio"
    if rest[0] == "och":
        rest = rest[1:]
    minutes = read_number(rest, 0, "sv")
    if minutes is not None and minutes[1] == len(rest) and value <= 24:
        return value, minutes[0], value > 12
    return None


def _parse_en(tokens: list[str]) -> tuple[int, int, bool] | None:
    if (digital := _digital(tokens)) is not None:
        return digital
    if tokens in (["noon"], ["midday"]):
        return 12, 0, True
    if tokens[0] == "a":
        tokens = tokens[1:]
    if not tokens:
        return None
    first = tokens[0]
    if first in ("half", "quarter") and len(tokens) > 2 and tokens[1] in ("past", "after", "to"):
        hour = _hour_only(tokens, 2, "en")
        if hour is None or (first == "half" and tokens[1] == "to"):
            return None
        minute = 30 if first == "half" else 15
        if tokens[1] == "to":
            return (hour - 1) % 12 or 12, 60 - minute, False
        return hour, minute, hour > 12
    got = read_number(tokens, 0, "en")
    if got is None:
        return None
    value, used = got
    rest = tokens[used:]
    if not rest:
        return (value, 0, value > 12) if value <= 24 else None
    if rest[0] in ("past", "after", "to") and value <= 29:
        if rest[-1] == "minutes" or (len(rest) > 1 and rest[1] == "minutes"):
            rest = [t for t in rest if t != "minutes"]
        hour = _hour_only(rest, 1, "en")
        if hour is None:
            return None
        if rest[0] == "to":
            return (hour - 1) % 12 or 12, 60 - value, False
        return hour, value, hour > 12
    minutes = read_number(rest, 0, "en")
    if minutes is not None and minutes[1] == len(rest) and value <= 24:
        return value, minutes[0], value > 12
    return None
