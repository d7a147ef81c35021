"""Words the assistant knows: a question's word outside them may be what it asks about.

A reading found by similarity ("När fyller Anna år?" nearest "när är jag hos Anna?") is answered
at once only when the question says nothing the assistant has no word for: "fyller" and "år" are
in no template and no record, so the birthday question is said back, not answered with a visit's
time. Words are compared by their Snowball stems (snowballstemmer, the one adapter of it here):
"djuret" is known from "djur". Pure apart from the stemmer: words in, words out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import snowballstemmer

from device.nlu.text import normalize

# Words that carry no topic, in case no template happens to hold them ("och", "alla", and the
# pronouns: "Annas dotter, vad heter hon nu igen?" asks nothing "hon" could be about).
FUNCTION_WORDS = frozenset(
    "och eller men alla allt alltid bara ens nu igen också så då ju väl nog just "
    "han hon honom henne hans hennes den det de dem deras "
    "and or but all any every also just only still now again so then too very "
    "it its a an the of to in on at for with "
    "he she him her his hers they them their".split()
)


@cache
def stemmer(lang: str) -> snowballstemmer.stemmer:
    """The Snowball stemmer of ``lang`` ("sv" or "en")."""
    return snowballstemmer.stemmer("swedish" if lang == "sv" else "english")


def stems(text: str, lang: str) -> set[str]:
    """The stems of the words of ``text`` (normalised) in ``lang``."""
    return {s for s in stemmer(lang).stemWords(normalize(text).split()) if s}


@dataclass(frozen=True)
class Known:
    """The words and stems (both languages') of the templates, the names and the care data."""

    words: frozenset[str]
    stems: frozenset[str]

    @classmethod
    def of(cls, texts: Iterable[str]) -> Known:
        words = frozenset(w for text in texts for w in normalize(text).split())
        found = {s for lang in ("sv", "en") for s in stemmer(lang).stemWords(sorted(words))}
        return cls(words, frozenset(found))

    def knows(self, word: str) -> bool:
        if word in self.words or word in FUNCTION_WORDS or word.isdigit():
            return True
        return any(stemmer(lang).stemWord(word) in self.stems for lang in ("sv", "en"))


def unheard(text: str, known: Known) -> list[str]:
    """The words of ``text`` the assistant has no word for, in order (a genitive "annas" is
    known when "anna" is)."""
    out = []
    for word in normalize(text).split():
        if known.knows(word) or (word.endswith("s") and known.knows(word[:-1])):
            continue
        out.append(word)
    return out
