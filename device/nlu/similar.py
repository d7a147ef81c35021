"""Questions in other words: the readings of the template sentences nearest in meaning.

Pure (numpy and plain values): the sentences the templates accept (one client's name in all of
them, ``Recognizer.examples``), their readings and their sentence vectors form an index; a
question no template reads is compared with it by cosine, with its clients' names masked the same
way. A reading is never written, only taken from a template sentence, and it keeps only what
the question itself says: its client, its relative, its medicine, its kind of visit, its day.
Readings that would need a word the question lacks are dropped (``fill``), so the nearest
sentence about a daughter does not answer a question about a son.

``choose`` then answers only a clear first: at least ``floor`` alike, and ``margin`` ahead of the
best reading that means something else; else the nearest reading is said back for a yes or no.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from device.nlu.agreement import PART_WORDS, without_tomorrow
from device.nlu.situations import HEALTH_EVENT
from device.nlu.text import normalize

NAME = "nn"  # what every client's name becomes, in the examples and in the question
# Slots whose values are words the question must say itself (a list of the care data).
DATA_SLOTS = ("relation", "medicine", "visit_kind", "symptom", "animal")
# Slots whose values are numbers the question must say itself; a reading keeps one only then
# (an example's sampled "156 minutes" must never decide whether a break fits).
SAID_NUMBERS = ("break_minutes",)
# The agreement rules' words for the parts of the day, and one more a reading must be shown.
_MORE_PARTS = {"forenoon": r"|forenoon"}
# Codes a reading may carry only when the question says them (a sentence about the evening must
# not turn "vilka väntar på mig i dag?" into the evening's list).
SAID_CODES: dict[str, dict[str, str]] = {
    "part_of_day": {
        **{part: words + _MORE_PARTS.get(part, "") for part, words in PART_WORDS.items()},
        "night": r"\bnatt|night",
    },
    "order": {
        "first": r"först|first|börja",
        "last": r"\bsist|last|slut",
        # "vem kommer efter Siv?" is never read as who comes before her
        "before": r"\b(innan|före|tidigare|before|prior|earlier)\b",
        "after": r"\b(efter|sen|sedan|nästa|after|next|then)\b",
    },
    "boundary": {"end": r"slut|klar|färdig|\bend|finish|done|hur länge|how long"},
    "remaining": {"True": r"\bkvar\b|\bleft\b|remain"},
    # "Vad kan du hjälpa mig med?" is not the next visit's routine: the question must say "next".
    # "Är det akut, ring 112" only when the question speaks of the client's health.
    "ill": {"True": HEALTH_EVENT.pattern},
    "next": {"True": r"nästa|härnäst|\bsen\b|sedan|\bdär\b|kommer fram|\bnext\b|\bthen\b|there"},
}
# Intents never read this way: conversation words, and reading a person from another sentence.
NOT_SIMILAR = frozenset(
    {"stop", "confirm", "deny", "repeat", "feedback", "choose_client", "contact", "unknown"}
)


@dataclass(frozen=True)
class Example:
    """A template sentence (names masked) and its reading: intent and slots (plain values)."""

    text: str
    intent: str
    slots: tuple[tuple[str, Any], ...]

    @property
    def has_client(self) -> bool:
        return any(name == "client" for name, _ in self.slots)


@dataclass(frozen=True)
class Candidate:
    score: float  # cosine, -1..1
    intent: str
    slots: Mapping[str, Any]
    fits: bool = True  # the question has a word of its intent: it may be chosen

    def key(self) -> Hashable:
        return (self.intent, tuple(sorted((k, repr(v)) for k, v in self.slots.items())))


# Sounds a recogniser writes for a pause ("uh is there like an animal …"): no template says them,
# and in the embedding they moved a question away from its own wording.
_HESITATIONS = re.compile(r"(?<= )(uh|um|uhm|erm|eh|ehm|öh|öhm|hmm|mm)(?= )")


def mask(text: str, names: Sequence[str], masks: Mapping[str, Sequence[str]] = {}) -> str:
    """``text`` normalised, each client name form (longest first, whole words) replaced by
    ``NAME`` (a genitive by ``NAME`` + "s"), and each form in ``masks`` by its key (a medicine
    by "medicinen"): the index then holds no name or medicine of the care data, and a question
    is compared by its wording, not by whom or what it names."""
    said = _HESITATIONS.sub(" ", f" {normalize(text)} ")
    known = set(names)
    replacements = [(form, NAME) for form in known]
    replacements += [(form, word) for word, forms in masks.items() for form in forms if form]
    for form, word in sorted(replacements, key=lambda r: len(r[0]), reverse=True):
        if f" {form} " not in said:
            continue
        genitive = word == NAME and form.endswith("s") and form[:-1] in known
        # Each whole-word use, side by side too ("anna anna": str.replace took only the first).
        said = re.sub(rf"(?<= ){re.escape(form)}(?= )", f"{word}s" if genitive else word, said)
    return re.sub(r"\s+", " ", said).strip()


@dataclass(frozen=True)
class Index:
    examples: Sequence[Example]
    vectors: npt.NDArray[np.float32]  # one unit row per example

    def nearest(self, vector: npt.NDArray[np.float32], limit: int) -> list[tuple[float, Example]]:
        """The ``limit`` most alike examples, most alike first."""
        if not len(self.examples):
            return []
        scores = self.vectors @ vector
        limit = min(limit, len(scores))
        top = np.argpartition(-scores, limit - 1)[:limit]
        return [(float(scores[i]), self.examples[i]) for i in top[np.argsort(-scores[top])]]


def fill(
    example: Example,
    question: str,
    clients: tuple[str, ...],
    said: Callable[[str], list[Any]],
    extra: Mapping[str, Any],
) -> dict[str, Any] | None:
    """The example's reading with the question's own words: its clients (exactly as many as
    the example names: one), each data slot's value as the question says it (``said``: the
    values of a slot list found in the question), and codes such as a part of the day only when
    the (normalised) ``question`` says them. None when the question lacks one, or names a client
    the reading would leave out."""
    slots: dict[str, Any] = {}
    for name, value in example.slots:
        if name == "day":
            continue  # the question's own day only (``extra``): an example's "i morgon" is not
        if name == "client":
            if len(clients) != 1:
                return None
            slots[name] = clients
        elif name in SAID_CODES and str(value) in SAID_CODES[name]:
            if not re.search(SAID_CODES[name][str(value)], question):
                return None
            if name == "part_of_day" and _parts_said(question) > 1:
                return None  # "på eftermiddagen och kvällen": one part would leave one out
            slots[name] = value
        elif name in SAID_NUMBERS:
            values = said(name)
            if len(values) == 1:  # none said: answered without it (the time left, no verdict)
                slots[name] = values[0]
        elif name in DATA_SLOTS:
            values = said(name)
            if name == "relation":
                found = tuple(sorted({word for v in values for word in v}))
                if not found and value != "any":
                    return None
                slots[name] = found or value
            elif len(values) == 1:
                slots[name] = values[0]
            else:
                return None
        else:
            slots[name] = value
    if clients and "client" not in slots:
        return None  # "vad gör jag efter Siv?" must not become a question about no one
    return {**slots, **extra}


def _parts_said(question: str) -> int:
    said = without_tomorrow(question)
    return sum(1 for words in SAID_CODES["part_of_day"].values() if re.search(words, said))


def choose(
    candidates: Sequence[Candidate], floor: float, margin: float
) -> tuple[Candidate | None, bool]:
    """The reading to use and whether it is clear enough to answer at once (else say it back):
    None when the most alike reading the question has a word for is under ``floor``. Clear:
    ``margin`` ahead of the best reading with another intent or other slots, a reading without
    such a word included."""
    best = next((c for c in candidates if c.fits), None)
    if best is None or best.score < floor:
        return None, False
    # The same reading with more of what the question says ("kvällsbesöket hos Maria": her
    # evening visit, not just her visit) is that reading, more precisely: it is taken when
    # within the margin, and the two never stand in each other's way.
    for other in candidates[candidates.index(best) + 1 :]:
        near = best.score - other.score < margin or _said_more(other, best, floor)
        if near and other.fits and _refines(other, best):
            best = other
    rivals = [
        c.score
        for c in candidates
        if c.key() != best.key() and not _refines(best, c) and not _refines(c, best)
    ]
    return best, not rivals or candidates[0].score - rivals[0] >= margin


def _said_more(more: Candidate, less: Candidate, floor: float) -> bool:
    """Does ``more`` add only what the question itself says (``fill`` keeps a part of the day,
    a relation, a number only when said), and is it alike enough to be read at all? "Marias
    kvällsbesök" is her evening visit however near "her visit" comes. A topic or a role is an
    example's, not the question's: never taken this way."""
    said = {*SAID_CODES, *DATA_SLOTS, *SAID_NUMBERS}
    return more.score >= floor and set(more.slots) - set(less.slots) <= said


def _refines(more: Candidate, less: Candidate) -> bool:
    """Is ``more`` the reading ``less`` with slots added (and none changed)?"""
    return more.intent == less.intent and all(
        k in more.slots and more.slots[k] == v for k, v in less.slots.items()
    )
