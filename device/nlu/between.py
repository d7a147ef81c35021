"""The time between two named clients' visits, asked in any words: "hinner jag ta en halvtimmes
rast mellan Gittan och Anna?", "a twenty minute coffee break after Anna's lunch, does that fit
before Bertil?". The templates hold a few wordings (a second client slot, ``since``, kept out of
the similar reader's examples); this reads the two clients from the words that join them and
the break's length when one is named. Pure: the question and the names' reader in, a reading out."""

from __future__ import annotations

import re
from collections.abc import Callable

from device.nlu.numbers import minutes_said
from device.nlu.question import Question
from device.nlu.recognizer import Recognition

# The words that join the earlier client and the later ("mellan Greta och Anna").
_JOINED = (
    re.compile(r"\bmellan (.+?) och (.+)"),
    re.compile(r"\bbetween (.+?) and (.+)"),
    re.compile(r"\befter (.+?) (?:innan|före|till) (.+)"),
    re.compile(r"\bafter (.+?) (?:before|until) (.+)"),
)
# A question of time: how long, whether a break fits.
_TIME_ASKED = re.compile(
    r"\b(hinner|hur (lång|länge|mycket tid)|paus|rast|lucka|fika|tid|time|break|gap|fits?|"
    r"how long|enough)\b"
)


def between_reading(
    question: Question, named_in: Callable[[str], tuple[str, ...]]
) -> Recognition | None:
    """``time_left`` from one named client's visit to another's (``since`` the first), with the
    break asked about; None when the question joins no two clients or asks no time."""
    said, language = question.plain, question.language
    if not _TIME_ASKED.search(said):
        return None
    for pattern in _JOINED:
        joined = pattern.search(said)
        if joined is None:
            continue
        first, then = named_in(joined.group(1)), named_in(joined.group(2))
        if len(first) != 1 or len(then) != 1 or first == then:
            return None
        slots: dict[str, object] = {"since": first, "client": then}
        lengths = [m for m in minutes_said(said, language) if 0 < m <= 240]
        if lengths:
            slots["break_minutes"] = lengths[0]
        return Recognition("time_left", language, slots)
    return None
