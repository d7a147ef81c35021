"""Which of the templates' Swedish sentences a worker would say (issue 41). The templates accept
forms that only typing produces ("hos bertils", "bertil dotter", "på i kväll"): harmless when
reading text, but in the spoken grammar each is one more sentence to shortlist and score
against the audio, crowding out the sentence that was said. Pure: text and name forms in."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from device.nlu.names import genitive

# A preposition never followed by another, nor by a part of the day that has its own ("på i
# kväll", "i efter lunchen", "i före lunchen"): the optional "[på|i]" before a part of the day.
_TWO_PREPOSITIONS = re.compile(r"\b(i|på) (i|på|ikväll|efter|före|innan)\b")

# After a possessive name comes what is hers ("bertils dotter", "gretas medicin"), never one of
# these: "hos bertils", "har bertils några", "ska bertils ha".
_NOT_OWNED = frozenset(
    "på i med för före efter innan till hos vid om och att som är har ska kan får tar ta ha "
    "några någon något nu idag ikväll".split()
)


@dataclass(frozen=True)
class Said:
    """The forms a sentence is checked against: names ``plain`` ("bertil", "greta nilsson") and
    ``possessive`` ("bertils"); the ``definite`` words no possessive precedes ("dottern",
    "lunchen"); relations in the possessive ("dotterns"); ``nouns``, which never follow a name
    without a preposition ("hos bertil lunch"); and ``times``, the parts of the day, which
    follow neither ("hos bertils eftermiddag")."""

    plain: frozenset[str]
    possessive: frozenset[str]
    definite: frozenset[str]
    possessive_relations: frozenset[str]
    nouns: frozenset[str]
    times: frozenset[str]

    @staticmethod
    def of(
        names: Iterable[str],
        relations: Iterable[tuple[Iterable[str], Iterable[str]]],
        kinds: Iterable[str],
        times: Iterable[str],
    ) -> Said:
        """``relations``: each relation's indefinite and definite words (slot_lists.py);
        ``kinds``: the visit kinds as said ("lunch", "kvällsbesöket"); ``times``: the words of
        the parts of the day ("eftermiddagen", "em")."""
        forms, kinds, times = set(names), set(kinds), {t for t in times if " " not in t}
        possessive = {genitive(f) for f in forms if genitive(f) != f} & forms
        owned, definite = set[str](), set[str]()
        for plain, known in relations:
            owned |= set(plain)
            definite |= set(known)
        relational = {genitive(w) for w in owned | definite} - owned - definite
        definite |= {k for k in kinds if k.endswith(("en", "et"))}  # "lunchen": no "gretas lunchen"
        return Said(
            plain=frozenset(forms - possessive),
            possessive=frozenset(possessive),
            definite=frozenset(definite),
            possessive_relations=frozenset(relational),
            nouns=frozenset({*owned, *definite, *relational, *kinds, *times}),
            times=frozenset(times),
        )

    def __call__(self, sentence: str) -> bool:
        """False for a normalised sentence nobody would say."""
        if _TWO_PREPOSITIONS.search(sentence):
            return False
        words = sentence.split()
        for i, word in enumerate(words):
            after = words[i + 1] if i + 1 < len(words) else None
            owns = word in self.possessive or word in self.possessive_relations
            if owns and (after is None or after in _NOT_OWNED or after in self.times):
                return False  # "hos bertils", "ring karins dotterns"
            if word in self.possessive and after in self.definite:
                return False  # "karins systern": said, it is "karins syster"
            if word in self.plain and after in self.nouns:
                return False  # "bertil dotter", "hos karin lunch"
        return True
