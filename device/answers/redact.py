"""A gated value is never spoken unconfirmed, wherever it is written.

Access codes live in their own field, but people also write them into notes, routines, names and
medication text ("Portkod 4512, ring på"). Before any answer is spoken, every code-like token of
any client's access-code field, and any run of digits right after a word like "kod", "port" or
"dörr", is replaced by a placeholder that tells the worker how to hear it. Pure: text in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from device.care.model import CareData

PLACEHOLDER = {"sv": "(kod – bekräfta för att höra den)", "en": "(code – confirm to hear it)"}

# A token of an access code worth hiding: three or more characters with at least one digit.
_CODE_TOKEN = re.compile(r"(?<!\w)(?=\w*\d)[\w#*-]{3,}(?!\w)")
# Digits (3–8, maybe split by a space or dash) within a few words after a code word.
_NEAR_CODE_WORD = re.compile(
    r"(?P<word>\b(?:\w*kod\w*|port\w*|dörr\w*|lås\w*|nyckel\w*|code\w*|door\w*|gate\w*|"
    r"key\w*|lock\w*|pin)\b)(?P<gap>(?:\W+\w+){0,3}?\W+)"
    r"(?P<digits>\d[\d -]{1,10}\d)(?!\w)",
    re.IGNORECASE,
)


def code_tokens(care: CareData) -> set[str]:
    """Every code-like token written in any client's access-code field."""
    tokens: set[str] = set()
    for client in care.clients:
        if client.access_code:
            tokens.update(m.group(0) for m in _CODE_TOKEN.finditer(client.access_code))
    return tokens


def redact(text: str, tokens: Iterable[str], lang: str) -> str:
    """``text`` with every access-code token and code-like digit run replaced."""
    placeholder = PLACEHOLDER.get(lang, PLACEHOLDER["sv"])
    for token in sorted(tokens, key=len, reverse=True):
        text = re.sub(rf"(?<![\w]){re.escape(token)}(?![\w])", placeholder, text)

    def near(match: re.Match[str]) -> str:
        digits = match.group("digits")
        if sum(c.isdigit() for c in digits) < 3:
            return match.group(0)
        return f"{match.group('word')}{match.group('gap')}{placeholder}"

    return _NEAR_CODE_WORD.sub(near, text)
