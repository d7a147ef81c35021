"""Follow-ups in a conversation (issue 38): words that refer to the client or person in focus,
and a question that repeats the last one with one part changed. Pure: text and names in, text
out; the session (device/assistant.py) keeps the focus and its time.

A follow-up is rewritten into the question it stands for ("Har hon några allergier?" → "Har
Greta några allergier?"), which then goes the usual way: the same readers, the same check of the
names said (device/nlu/people.py), the same confirmation before a code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from device.nlu.names import genitive
from device.nlu.text import normalize

# Who: the person in focus (a relative when the last answer was about one, else the client).
_SV_WHO = frozenset({"han", "hon", "hen", "honom", "henne", "kunden", "brukaren"})
_SV_WHOSE = frozenset({"hans", "hennes", "hens", "kundens", "brukarens"})
_EN_WHO = frozenset({"he", "she", "him"})
_EN_WHOSE = frozenset({"his"})
# Where: the client in focus (a relative has no place in the care data).
_SV_WHERE = {"dit": "till {}", "där": "hos {}", "därifrån": "från {}", "därinne": "hos {}"}
_EN_WHERE = {"there": "at {}"}  # filled with the genitive: "at gretas"
# "vad heter katten?", "what's the bird called?": the pet of the client in focus.
_SV_PET = frozenset({"hunden", "katten", "fågeln"})
_EN_PET = frozenset({"dog", "cat", "bird"})
# "her" is "henne" or "hennes": possessive before a word that is not one of these.
_EN_HER_OBJECT_AFTER = frozenset(
    "to at for about with from today tomorrow now again up next before after please".split()
)
# "Anders ska komma idag, vem är det?", "Eva just called me, who is she?": who the one name
# said before the ask is.
_WHO_IS_THAT = re.compile(
    r"^(?P<before>.+?) (?:(?P<sv>vem är (?:det|han|hon)(?: där)?)"
    r"|(?P<en>(?:who is|whos) (?:that|she|he|it|this)))$"
)
_NEW_QUESTION = re.compile(r"^(ny fråga|nästa fråga|new question|next question)\b\s*")
# "och i morgon då?", "och Bertil?", "and tomorrow?": a short question leaning on the last.
_ELLIPSIS = re.compile(r"^(och|and|men|but|what about|how about)\b(.*?)( då| then)?$")
# "I meant Siv", "Greta menar jag": the last question again, about the one now named.
_CORRECTION = re.compile(
    r"^(?:(?:nej )?(?:förlåt |ursäkta )?jag (?:menade|menar)|(?:no )?(?:sorry )?i (?:meant|mean))"
    r"\b(.*)$"
    r"|^(.*?) (?:menar|menade) jag$"
)
_MAX_ELLIPSIS_WORDS = 6
_MAX_CORRECTION_WORDS = 12  # "nej jag menade Maria Svensson, när ska jag dit?"


def new_question(text: str) -> str | None:
    """ "Ny fråga." (None: not said) and what follows it in the same breath ("" or a question)."""
    found = _NEW_QUESTION.match(normalize(text))
    return None if found is None else normalize(text)[found.end() :]


# "den där flickan", "det där": a demonstrative, not a place; "are there", "there is": not one.
_DEMONSTRATIVE = frozenset({"den", "det", "de", "dom"})
_BE = frozenset({"is", "are", "was", "were", "will", "be"})


def _not_a_place(words: list[str], i: int) -> bool:
    before = words[i - 1] if i > 0 else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    if words[i] == "där":
        return before in _DEMONSTRATIVE
    return words[i] == "there" and (before in _BE or after in _BE or i == 0)


def _pet(words: list[str], i: int) -> bool:
    """ "katten", "the cat": an animal of the client in focus."""
    after = words[i + 1] if i + 1 < len(words) else ""
    return words[i] in _SV_PET or (words[i] == "the" and after in _EN_PET)


def _referring(words: list[str]) -> list[str]:
    """The words of ``words`` that stand for the person or place in focus."""
    every = _SV_WHO | _SV_WHOSE | set(_SV_WHERE) | _EN_WHO | _EN_WHOSE | set(_EN_WHERE) | {"her"}
    return [
        w
        for i, w in enumerate(words)
        if (w in every and not _not_a_place(words, i)) or _pet(words, i)
    ]


def refers(text: str) -> bool:
    """Does ``text`` use a word that stands for the person or place in focus?"""
    return bool(_referring(normalize(text).split()))


def refers_to_a_place(text: str) -> bool:
    found = set(_referring(normalize(text).split()))
    return bool(found & (set(_SV_WHERE) | set(_EN_WHERE)))


def substitute(text: str, person: str, place: str) -> str:
    """``text`` with its referring words replaced: ``person`` (a first or full name) for who,
    ``place`` (the client's first name) for where. Normalised text out."""
    words = normalize(text).split()
    person, place = normalize(person), normalize(place)
    out: list[str] = []
    for i, word in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else ""
        if word in _SV_WHO or word in _EN_WHO:
            out.append(person)
        elif word in _SV_WHOSE or word in _EN_WHOSE:
            out.append(genitive(person))
        elif word == "her":
            own = after and after not in _EN_HER_OBJECT_AFTER
            out.append(genitive(person) if own else person)
        elif _pet(words, i) and word == "the":
            out.append(genitive(place))  # "what is olles dog called"
        elif _pet(words, i):
            out.append(f"{genitive(place)} {word.removesuffix('en').removesuffix('n')}")
        elif word in _SV_WHERE and not _not_a_place(words, i):
            out.append(_SV_WHERE[word].format(place))
        elif word in _EN_WHERE and not _not_a_place(words, i):
            out.append(_EN_WHERE[word].format(genitive(place)))
        else:
            out.append(word)
    return " ".join(out)


@dataclass(frozen=True)
class Ellipsis:
    """What a short follow-up keeps of the last question: its remaining words ("i morgon",
    "bertil", "på kvällen") to be read for one slot."""

    rest: str


def ellipsis(text: str) -> Ellipsis | None:
    """ "och i morgon då?" → Ellipsis("i morgon"), "I meant Siv" → Ellipsis("siv"); None when
    ``text`` is not such a follow-up."""
    said = normalize(text)
    if len(said.split()) > _MAX_CORRECTION_WORDS:
        return None
    corrected = _CORRECTION.match(said)
    if corrected is None and len(said.split()) > _MAX_ELLIPSIS_WORDS:
        return None
    if corrected is not None:
        rest = (corrected.group(1) or corrected.group(2) or "").strip()
        return Ellipsis(rest) if rest else None
    found = _ELLIPSIS.match(said)
    if found is None or not found.group(2).strip():
        return None
    return Ellipsis(found.group(2).strip())


def who_is_that(text: str) -> tuple[str, str] | None:
    """ "anders ska komma idag vem är det" → ("anders ska komma idag", "sv"): the words before
    an ask of who someone named in them is, and its language; None for any other text."""
    found = _WHO_IS_THAT.match(normalize(text))
    if found is None:
        return None
    return found.group("before"), "sv" if found.group("sv") else "en"
