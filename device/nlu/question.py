"""A question read once: its words, its language, the clients it names and what it asks for.

Every reader no template answered (the nearest template sentences, the records, the time between
two clients, a question for every client) and the decision over their readings take this one
value, so the question is normalised and its names and its ask are read once per turn.
Pure: text and the names' reader in, a value out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from device.nlu.text import normalize

# What kind of answer a question asks for, and the intents whose answers are of that kind: a
# length is answered by a length ("hur länge är jag hos Anna?" is not when the visit ends), a
# person by a person, a number by a number, a time by a time. First match wins.
_ASKS: tuple[tuple[str, str, frozenset[str]], ...] = (
    (  # "finns det nån medicin Bertil inte tål?" is not answered by his medication list
        "tolerates",
        r"\b(tål|tåla|tåls|allergi\w*|allergisk\w*|överkänslig\w*|allergic|allerg(y|ies)|"
        r"intoleran\w*|tolerate\w*|react\w* to)\b",
        # "contact": a relative named as if a client ("har Eva Nilsson några allergier?") is
        # told who she is, never given a client's fact
        frozenset({"flags", "records", "notes", "contact"}),
    ),
    (
        "fits",
        r"\bhinner (jag|vi)\b|\bhar (jag|vi) tid\b|\bdo i have time\b|\bis there time\b",
        frozenset({"time_left"}),
    ),
    (  # "hur lång tid har jag till nästa?" is the time until it, not the length of a visit
        "until",
        r"\bhur (länge|lång tid|lång stund|mycket tid)\b.*\b(till|tills|innan|före)\b.*\bnästa\b|"
        r"\bhow (long|much time)\b.*\b(till|until|before)\b.*\bnext\b",
        frozenset({"time_left"}),
    ),
    (
        "length",
        r"\bhur (länge|lång tid|långt|mycket tid)\b|\bhur många minuter\b|\bhow long\b|"
        r"\bhow (many minutes|much time)\b",
        frozenset({"visit_length", "time_left"}),
    ),
    (  # "när är jag färdig?" is when a visit or the day ends, not when the next one starts
        "end",
        r"^(och )?(när|vilken tid|hur dags|what time|when)\b.*\b(färdig\w*|klar|slut\w*|done|"
        r"finish\w*|over|ends?)\b|\bhur sent (jobbar|arbetar|slutar|håller|är)\b|"
        r"\bhow late\b.*\b(work\w*|finish\w*)\b",
        frozenset({"day_end", "visit_time"}),
    ),
    (
        "number",
        r"\bhur många\b|\bhow many\b",
        frozenset({"schedule_count", "medication", "records", "notes", "routine", "remaining"}),
    ),
    (
        "person",
        r"^(och )?(vem|who|whom)\b",  # not "vilka": "vilka mediciner" asks for medicines
        frozenset(
            {
                "next_visit",
                "schedule",
                "escalation",
                "contact",
                "relative_phone",
                "records",
                "notes",
                "remaining",
                "choose_client",
                "medication",  # "vem ska ha medicin i kväll?": the round names the clients
                "visit_worker",
            }
        ),
    ),
    (
        "time",
        r"^(och )?(när|vilken tid|hur dags|what time|when)\b",
        frozenset(
            {
                "visit_time",
                "next_visit",
                "day_end",
                "schedule",
                "medication",
                "routine",
                "records",
                "notes",
                "time_left",
                "remaining",
            }
        ),
    ),
)
# Readings that answer nothing of their own (a "ja", "stopp", not understood): never refused.
_NOT_ANSWERS = frozenset(
    {"unknown", "confirm", "deny", "repeat", "stop", "feedback", "help", "new_question"}
)


# "Vem har jag kvar?", "who do I still have to see?": what is left of the day, never all of it
# (the whole day's list names visits that are over).
_LEFT = re.compile(r"\b(kvar|återstår|resten|left|remaining)\b|\bstill (have|got|need|to)\b")
_WHOLE_DAY = frozenset({"schedule", "schedule_count"})
_UNTIL = re.compile(r"\b(till|tills|innan|före|mellan|until|before|to|between)\b")


@dataclass(frozen=True)
class Asked:
    """What a question asks for, read once: the kind of answer (``_ASKS``) and whether it asks
    for what is left of the day."""

    kind: str | None
    intents: frozenset[str] | None  # the intents whose answers are of that kind
    left: bool
    until: bool = True  # says "till", "innan", "before": a time until a client's visit may be asked

    def allows(self, intent: str, slots: Mapping[str, Any] = {}) -> bool:
        """Is an answer of ``intent`` with ``slots`` the kind of answer asked for?"""
        if intent in _NOT_ANSWERS:
            return True
        if self.intents is not None and intent not in self.intents:
            return False
        if self.kind == "tolerates" and slots.get("flag_topic") not in (None, "allergy"):
            return False  # "nåt han inte tål": his allergies, not his aids
        if self.kind == "end" and slots.get("boundary") == "start":
            return False  # when the visit starts is not when it ends
        if self.kind == "until" and slots.get("client"):
            return False  # "klar hos Bertil, hur lång tid till nästa?": not until Bertil's
        if intent == "time_left" and slots.get("client") and not self.until:
            return False  # "hur lång tid har jag hos Greta?" is her visit's length
        if self.left and intent == "next_visit":
            return False  # "vad har jag kvar efter Märta?" asks for all that is left, not one
        return not (self.left and intent in _WHOLE_DAY and slots.get("remaining") is not True)


def _asked(said: str) -> Asked:
    """The ask of a normalised question."""
    left, until = _LEFT.search(said) is not None, _UNTIL.search(said) is not None
    for kind, pattern, intents in _ASKS:
        if re.search(pattern, said):
            return Asked(kind, intents, left, until)
    return Asked(None, None, left, until)


def _nobody(_: str) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class Question:
    """What was said (``said``), normalised (``plain``), in ``language``, naming ``clients``
    (client references, in the order said), asking for ``asked``."""

    said: str
    plain: str
    language: str
    clients: tuple[str, ...]
    asked: Asked

    @property
    def words(self) -> list[str]:
        return self.plain.split()


def read_question(
    text: str, language: str, named_in: Callable[[str], tuple[str, ...]] = _nobody
) -> Question:
    """``text`` read once. ``named_in``: the clients a text names (the care data's names)."""
    plain = normalize(text)
    clients = tuple(dict.fromkeys(named_in(text)))  # "… karl do before karl retired": one
    return Question(text, plain, language, clients, _asked(plain))


def asked(text: str) -> Asked:
    """The ask of ``text`` as said (normalised here)."""
    return _asked(normalize(text))


def answer_kind(text: str) -> str | None:
    """ "fits", "until", "length", "end", "number", "person", "time" or None: what the question
    asks for."""
    return asked(text).kind
