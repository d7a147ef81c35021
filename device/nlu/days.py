"""Which day a question is about: "i morgon", "i går", "på fredag", "nästa måndag", "den 11
december", "tomorrow", "on Friday". Pure: normalised text in, the text without the day phrase and
a ``DaySpec`` out; the spec becomes a date only against the day it is asked.

"i morgon" (tomorrow) is never "på morgonen" / "i morse" (this morning): the day phrase is taken
out before the templates see the text, so their part-of-day words can't claim it. "i morgon bitti"
is tomorrow, in the morning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_SV_WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
_EN_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SV_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
              "september", "oktober", "november", "december")  # fmt: skip
_EN_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december")  # fmt: skip


@dataclass(frozen=True)
class DaySpec:
    """A day relative to the day of asking: ``offset`` days, the next (or last) ``weekday``, or a
    ``month``/``day_of_month``. ``part`` is a part of the day said with it ("i morgon bitti")."""

    offset: int | None = None
    weekday: int | None = None  # 0 = Monday
    past: bool = False  # "i fredags", "last Friday": the one before today
    next_week: bool = False  # "nästa fredag", "next Friday"
    month: int | None = None
    day_of_month: int | None = None
    part: str | None = None

    def resolve(self, today: date) -> date | None:
        if self.offset is not None:
            return today + timedelta(days=self.offset)
        if self.weekday is not None:
            ahead = (self.weekday - today.weekday()) % 7
            if self.past:
                return today - timedelta(days=(today.weekday() - self.weekday) % 7 or 7)
            if self.next_week:
                return today + timedelta(days=ahead or 7)
            return today + timedelta(days=ahead)  # "på fredag" on a Friday: today
        if self.month is not None and self.day_of_month is not None:
            for year in (today.year, today.year + 1, today.year - 1):
                try:
                    candidate = date(year, self.month, self.day_of_month)
                except ValueError:
                    return None
                if abs((candidate - today).days) <= 183:  # the nearest such date
                    return candidate
        return None


def _words(options: tuple[str, ...]) -> str:
    return "|".join(options)


_SV_DAY = _words(_SV_WEEKDAYS)
_EN_DAY = _words(_EN_WEEKDAYS)
_MONTHS = _words(_SV_MONTHS + _EN_MONTHS)
# (pattern, how to make the spec from the match); the first that matches is taken.
_RULES: list[tuple[re.Pattern[str], object]] = [
    (re.compile(r"\bi ?morgon bitti\b"), lambda m: DaySpec(offset=1, part="morning")),
    (re.compile(r"\bi ?över ?morgon\b"), lambda m: DaySpec(offset=2)),
    # "i morgon ska jag…", "vem har jag i morgon sen?": tomorrow whatever follows (a
    # lookahead here had missed every "i morgon" before a word starting with s).
    (re.compile(r"\bi ?(morgon|morrn|morron)\b"), lambda m: DaySpec(offset=1)),
    (re.compile(r"\bi ?förrgår\b"), lambda m: DaySpec(offset=-2)),
    (re.compile(r"\bi ?går\b"), lambda m: DaySpec(offset=-1)),
    (re.compile(r"\b(the )?day after tomorrow\b"), lambda m: DaySpec(offset=2)),
    (re.compile(r"\btomorrow\b"), lambda m: DaySpec(offset=1)),
    (re.compile(r"\byesterday\b"), lambda m: DaySpec(offset=-1)),
    (
        re.compile(rf"\bi ({_SV_DAY})s\b"),
        lambda m: DaySpec(weekday=_SV_WEEKDAYS.index(m.group(1)), past=True),
    ),
    (
        re.compile(rf"\b(nästa|kommande) ({_SV_DAY})\b"),
        lambda m: DaySpec(weekday=_SV_WEEKDAYS.index(m.group(2)), next_week=True),
    ),
    (
        re.compile(rf"\b(på |min |mitt )?({_SV_DAY})(en)?s?\b"),
        lambda m: DaySpec(weekday=_SV_WEEKDAYS.index(m.group(2))),
    ),
    (
        re.compile(rf"\blast ({_EN_DAY})\b"),
        lambda m: DaySpec(weekday=_EN_WEEKDAYS.index(m.group(1)), past=True),
    ),
    (
        re.compile(rf"\bnext ({_EN_DAY})\b"),
        lambda m: DaySpec(weekday=_EN_WEEKDAYS.index(m.group(1)), next_week=True),
    ),
    (
        re.compile(rf"\b(on |this )?({_EN_DAY})s?\b"),
        lambda m: DaySpec(weekday=_EN_WEEKDAYS.index(m.group(2))),
    ),
    (
        re.compile(rf"\b(den |on the |on )?(\d{{1,2}})(:e|e|st|nd|rd|th)? (of )?({_MONTHS})\b"),
        lambda m: DaySpec(month=_month(m.group(5)), day_of_month=int(m.group(2))),
    ),
]  # fmt: skip
# "hur ser min fredag ut", "what does my Friday look like": the day, said as "my day".
_POSSESSIVE = [
    (re.compile(rf"\bmin ({_SV_DAY})\b"), _SV_WEEKDAYS, "min dag"),
    (re.compile(rf"\bmy ({_EN_DAY})\b"), _EN_WEEKDAYS, "my day"),
]


def _month(name: str) -> int:
    return (_SV_MONTHS.index(name) if name in _SV_MONTHS else _EN_MONTHS.index(name)) + 1


# With another day named, the past tense asks about that day: "vilka besök hade jag i går".
_SV_TENSE = [
    (re.compile(r"\bhade\b"), "har"),
    (re.compile(r"\bvar\b(?= (min|mitt|den|det))"), "är"),
]
_EN_TENSE = [(re.compile(r"\bdid i have\b"), "do i have"), (re.compile(r"\bwas\b"), "is")]


def find_day(text: str) -> tuple[str, DaySpec | None]:
    """``text`` (normalised) without its day phrase, and the day; ``(text, None)`` when the
    question names no day other than today."""
    for possessive, names, said in _POSSESSIVE:
        match = possessive.search(text)
        if match is not None:
            weekday = DaySpec(weekday=names.index(match.group(1)))
            return _tidy(text[: match.start()] + said + text[match.end() :]), weekday
    for pattern, make in _RULES:
        match = pattern.search(text)
        if match is None:
            continue
        spec: DaySpec = make(match)  # type: ignore[operator]
        stripped = text[: match.start()] + " " + text[match.end() :]
        if spec.part == "morning":
            stripped += " på morgonen"
        return _tidy(stripped), spec
    return text, None


def _tidy(text: str) -> str:
    for tense, now in (*_SV_TENSE, *_EN_TENSE):
        text = tense.sub(now, text)
    return " ".join(text.split())
