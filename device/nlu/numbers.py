"""Spoken numbers 0–59 in Swedish and English, as workers and speech-to-text write them."""

from __future__ import annotations

import re

_SV_UNITS = {
    "noll": 0,
    "ett": 1,
    "en": 1,
    "två": 2,
    "tre": 3,
    "fyra": 4,
    "fem": 5,
    "sex": 6,
    "sju": 7,
    "åtta": 8,
    "nio": 9,
    "tio": 10,
    "elva": 11,
    "tolv": 12,
    "tretton": 13,
    "fjorton": 14,
    "femton": 15,
    "sexton": 16,
    "sjutton": 17,
    "arton": 18,
    "aderton": 18,
    "nitton": 19,
}
_SV_TENS = {"tjugo": 20, "trettio": 30, "fyrtio": 40, "femtio": 50}
_EN_UNITS = {
    "zero": 0,
    "oh": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}


def _table(units: dict[str, int], tens: dict[str, int], joiner: str) -> dict[str, int]:
    table = dict(units)
    for word, value in tens.items():
        table[word] = value
        for unit_word, unit in units.items():
            if 1 <= unit <= 9:
                table[f"{word}{joiner}{unit_word}"] = value + unit
    return table


# Swedish writes compounds as one word (tjugofem); English with a hyphen, made a space here.
WORDS: dict[str, dict[str, int]] = {
    "sv": _table(_SV_UNITS, _SV_TENS, ""),
    "en": _table(_EN_UNITS, _EN_TENS, ""),
}
_TENS = {"sv": _SV_TENS, "en": _EN_TENS}

SV_HOUR_WORDS = {
    1: "ett",
    2: "två",
    3: "tre",
    4: "fyra",
    5: "fem",
    6: "sex",
    7: "sju",
    8: "åtta",
    9: "nio",
    10: "tio",
    11: "elva",
    12: "tolv",
}
EN_HOUR_WORDS = {
    1: "one",
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
    11: "eleven",
    12: "twelve",
}


def read_number(tokens: list[str], i: int, lang: str) -> tuple[int, int] | None:
    """(value, tokens used) for a number starting at tokens[i]: digits, a word, or two words."""
    if i >= len(tokens):
        return None
    token = tokens[i]
    # isdigit() also accepts "²" and other digits int() refuses: ASCII digits only.
    if token.isascii() and token.isdigit() and len(token) <= 2:
        return int(token), 1
    words = WORDS[lang]
    if token not in words:
        return None
    value = words[token]
    tens = _TENS[lang]
    # "tjugo fem" / "twenty five": a tens word followed by a unit word.
    if token in tens and i + 1 < len(tokens):
        nxt = words.get(tokens[i + 1])
        if nxt is not None and 1 <= nxt <= 9:
            return value + nxt, 2
    return value, 1


# Lengths said as words, not minutes ("en halvtimmes lunch", "a quarter-hour break").
_LENGTH_WORDS = (
    (r"\btre ?kvarts?\b|\bthree quarters of an hour\b", 45),
    (r"\bhalvtimmes?\b|\bhalvtimma\b|\ben halv timme\b|\bhalf an hour\b|\bhalf hour\b", 30),
    (r"\bkvarts?\b|\bquarter of an hour\b|\bquarter hour\b", 15),
    (r"\b(en|1) ?timmes?\b|\b(an|one|1) hours?\b|\btimmes\b", 60),  # "an hour's": "an hours"
)
_MINUTE_UNIT = re.compile(r"^(min|minuter|minuters|minut|minute|minutes|mins)$")


def minutes_said(text: str, lang: str) -> list[int]:
    """The lengths in minutes that normalised ``text`` names: "20 minuter", "tjugo minuters",
    "a 45 minute break", "en halvtimmes lunch", "a quarter of an hour". Each once, in order."""
    found: list[int] = []
    tokens = text.split()
    i = 0
    while i < len(tokens):
        number = read_number(tokens, i, lang)
        used = 1 if number is None else number[1]
        if number is not None and i + used < len(tokens) and _MINUTE_UNIT.match(tokens[i + used]):
            found.append(number[0])
        i += used
    if not found:
        for pattern, value in _LENGTH_WORDS:
            if re.search(pattern, text):
                found.append(value)
                break
    return list(dict.fromkeys(found))
