"""Times and days read the way people say them: "halv tre", "kvart i fem", "quarter past two"."""

from __future__ import annotations

from datetime import date, datetime

from device.nlu.numbers import EN_HOUR_WORDS, SV_HOUR_WORDS

_SV_NEAR = {5: "fem över", 10: "tio över", 15: "kvart över", 20: "tjugo över"}
_SV_TO = {40: "tjugo i", 45: "kvart i", 50: "tio i", 55: "fem i"}
_SV_WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _h12(hour: int) -> int:
    return hour % 12 or 12


def say_time(moment: datetime, lang: str) -> str:
    """The clock time of ``moment`` (already local) in words, as a person would say it."""
    hour, minute = moment.hour, moment.minute
    this_hour, next_hour = _h12(hour), _h12(hour + 1)
    if lang == "sv":
        words = SV_HOUR_WORDS
        if minute == 0:
            return f"klockan {words[this_hour]}"
        if minute in _SV_NEAR:
            return f"{_SV_NEAR[minute]} {words[this_hour]}"
        if minute == 25:
            return f"fem i halv {words[next_hour]}"
        if minute == 30:
            return f"halv {words[next_hour]}"
        if minute == 35:
            return f"fem över halv {words[next_hour]}"
        if minute in _SV_TO:
            return f"{_SV_TO[minute]} {words[next_hour]}"
        return f"klockan {hour}.{minute:02d}"
    words = EN_HOUR_WORDS
    if minute == 0:
        return f"{words[this_hour]} o'clock"
    if minute == 15:
        return f"quarter past {words[this_hour]}"
    if minute == 30:
        return f"half past {words[this_hour]}"
    if minute == 45:
        return f"quarter to {words[next_hour]}"
    if minute % 5 == 0:
        return (
            f"{minute} past {words[this_hour]}"
            if minute < 30
            else f"{60 - minute} to {words[next_hour]}"
        )
    return f"{hour}:{minute:02d}"


def say_day(day: date, today: date, lang: str) -> str:
    """ "" for today, "i morgon"/"tomorrow", otherwise the weekday and date."""
    delta = (day - today).days
    if delta == 0:
        return ""
    if lang == "sv":
        if delta == 1:
            return "i morgon"
        if delta == -1:
            return "i går"
        return f"{_SV_WEEKDAYS[day.weekday()]} den {day.day}/{day.month}"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return f"{_EN_WEEKDAYS[day.weekday()]} {day.day}/{day.month}"
