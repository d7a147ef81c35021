"""Who a question names: one resolution of people's names for every path (issue 36).

Everyone the care data knows is a candidate: clients (first name, full name, nickname), their
relatives and the team's workers. A question's words are read left to right:

1. a known full name ("Karin Andersson", "Majsan Ek") is that person;
2. a first name followed by another name-like word ("Karin Nilsson", "Greta Svensson"), or a
   name-like word followed by a surname ("Olle Karlsson"), is a full name too: when it is nobody's
   full name it is **nobody**, never the client who shares half of it;
3. a first name or nickname alone is everyone called that; a surname alone is everyone with that
   surname (a weak mention: a door code is then said back before it is read).

"Name-like" is any word that is a known name or not one of the assistant's everyday words (the
templates' vocabulary and a short list of common words): a stranger's name is not in the
vocabulary. Pure: care data and words in, mentions out.

``vet`` then checks a reading from any path (templates, fuzzy names, similar reader, records,
LLM) against the mentions: a reading's client must be one the question named.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

from device.care.model import CareData
from device.nlu.names import genitive
from device.nlu.text import normalize

# Everyday words that may follow or precede a name and are not names themselves (beside the
# templates' own words, which the recogniser adds).
EVERYDAY = frozenset(
    """
    i på om av för till från med hos hos och eller men så som att det den de han hon hen hans
    hennes hens honom henne dem deras där dit här hit nu då sen sedan idag ikväll imorgon igår
    redan också bara just först sist igen alltid aldrig ofta ibland gärna nog väl ju inte ingen
    inget inga någon något några mycket lite mer mest bra dåligt ja nej tack hej snälla du ni vi
    jag mig min mitt mina din ditt dina sin sitt sina vår vårt våra er ert era man en ett
    is are was be the a an of for to from with at in on and or but so that this these those he
    she they his her their them there here now then today tonight tomorrow yesterday again also
    only just first last always never please thanks yes no me my mine you your we our us it its
    ska skall kan får måste vill brukar behöver har hade är var blir bli göra gör gjorde ta tar
    tål äter dricker sover bor heter ringer ring säg berätta visa hjälp hjälpa
    dotter dottern son sonen fru frun make maken man mannen bror brodern syster systern sambo
    do does did has have had can could should would will may must want need like likes eat
    eats drink drinks live lives call tell say show help
    måndag tisdag onsdag torsdag fredag lördag söndag morgon morse kväll kvällen natt lunch
    förmiddag eftermiddag middag monday tuesday wednesday thursday friday saturday sunday
    morning evening night noon afternoon
    nötter mandlar tomater bananer apelsiner jordgubbar kryddor grönsaker tabletter mediciner
    allergier
    """.split()
)

Part = Literal["full", "first", "family"]
# A full name this close (rapidfuzz ratio) to a client's is heard as hers, misheard: "greta
# nielsen" is 85 from "greta nilsson"; "karin nilsson" (69) and "greta svensson" (81) are not.
MISHEARD = 84


@dataclass(frozen=True)
class Mention:
    """One name said in a question and everyone it can be (``refs``; empty: nobody known)."""

    said: str
    refs: tuple[str, ...]
    part: Part

    @property
    def nobody(self) -> bool:
        return not self.refs


@dataclass(frozen=True)
class Directory:
    """The spoken forms of everyone in one care-data snapshot (normalised, with genitives)."""

    full: dict[str, frozenset[str]]
    first: dict[str, frozenset[str]]
    family: dict[str, frozenset[str]]
    kinds: dict[str, str]  # ref → "client", "relative" or "worker"
    common: frozenset[str]
    possessive: frozenset[str]  # "gretas": a surname never follows it ("Gretas dotter")

    @staticmethod
    def of(care: CareData, vocabulary: Iterable[str] = ()) -> Directory:
        full: dict[str, set[str]] = defaultdict(set)
        first: dict[str, set[str]] = defaultdict(set)
        family: dict[str, set[str]] = defaultdict(set)
        kinds: dict[str, str] = {}
        people: list[tuple[str, str, str, tuple[str, ...], str]] = [
            (c.ref, c.given, c.family, c.nicknames, "client") for c in care.clients
        ]
        people += [(r.ref, r.given, r.family, (), "relative") for r in care.relatives]
        people += [(p.ref, p.given, p.family, (), "worker") for p in care.practitioners]
        for ref, given, surname, nicknames, kind in people:
            kinds[ref] = kind
            fam = normalize(surname)
            givens = {normalize(given), *(normalize(n) for n in nicknames)}
            givens |= {normalize(given).split()[0]} if normalize(given) else set()
            for name in filter(None, givens):
                for form in _forms(name):
                    first[form].add(ref)
                if fam:
                    for form in _forms(f"{name} {fam}"):
                        full[form].add(ref)
            if fam:
                for form in _forms(fam):
                    family[form].add(ref)
        names = set(first) | set(family)
        words = {w for text in vocabulary for w in normalize(text).split()}
        common = frozenset((set(EVERYDAY) | words) - names)
        bases = {n for n in first if genitive(n) != n}
        possessive = frozenset(genitive(n) for n in bases) - bases
        return Directory(
            {k: frozenset(v) for k, v in full.items()},
            {k: frozenset(v) for k, v in first.items()},
            {k: frozenset(v) for k, v in family.items()},
            kinds,
            common,
            possessive,
        )

    def mentions(self, text: str) -> list[Mention]:
        """Every name said in ``text``, left to right, fullest reading first."""
        words = normalize(text).split()
        written = _capitalised(text)
        found: list[Mention] = []
        i = 0
        while i < len(words):
            taken = self._full_at(words, i)
            if taken is not None:
                mention, width = taken
                found.append(mention)
                i += width
                continue
            word = words[i]
            nxt = words[i + 1] if i + 1 < len(words) else None
            pairs = word not in self.possessive and nxt is not None
            if word in self.first and pairs and nxt is not None and self._surname(nxt, written):
                found.append(Mention(f"{word} {nxt}", (), "full"))  # "karin nilsson": nobody
                i += 2
                continue
            if nxt is not None and nxt in self.family and self._namelike(word):
                found.append(Mention(f"{word} {nxt}", (), "full"))  # "olle karlsson": nobody
                i += 2
                continue
            if word in self.first:
                found.append(Mention(word, tuple(sorted(self.first[word])), "first"))
            elif word in self.family:
                found.append(Mention(word, tuple(sorted(self.family[word])), "family"))
            i += 1
        return found

    def _surname(self, word: str, written: frozenset[str] | None) -> bool:
        """May ``word``, after a first name, be a surname? A known name always; else, in text
        with capitals, a word written with one ("Greta Svensson", not "Tål Bertil penicillin");
        in lower-case text (a recogniser's), a word shaped like a Swedish surname."""
        if word in self.first or word in self.family:
            return True
        if not self._namelike(word):
            return False
        if written is not None:
            return word in written
        return _SURNAME_SHAPE.search(word) is not None

    def is_client(self, ref: str) -> bool:
        return self.kinds.get(ref) == "client"

    def _full_at(self, words: list[str], i: int) -> tuple[Mention, int] | None:
        for width in (4, 3, 2):
            said = " ".join(words[i : i + width])
            if i + width <= len(words) and said in self.full:
                return Mention(said, tuple(sorted(self.full[said])), "full"), width
        return None

    def _namelike(self, word: str) -> bool:
        if word in self.first or word in self.family:
            return True
        return word.isalpha() and len(word) >= 2 and word not in self.common


# Endings of most Swedish surnames: -sson, -berg, -ström, -qvist, …
_SURNAME_SHAPE = re.compile(
    r"(s?son|sen|berg|ström|strom|qvist|kvist|lund|gren|dahl|dal|holm|stedt|stad|man|mark|"
    r"blad|borg|by|fors|hed|häll|lind|lin|ell|ius|er|ér|én|in|ek|åker)$"
)


def _capitalised(text: str) -> frozenset[str] | None:
    """The words written with a capital, but a sentence's first (normalised): "… to Yusuf.
    Remind me" names no "Yusuf Remind". None: no capitals at all (a recogniser's lower-case
    transcript says nothing by case)."""
    tokens = text.split()
    if not any(ch.isupper() for ch in text):
        return None
    return frozenset(
        normalize(token)
        for before, token in itertools.pairwise(tokens)
        if token[:1].isupper() and normalize(token) and not before.endswith((".", "!", "?"))
    )


def _sounds_like(said: str, clients: tuple[str, ...], directory: Directory) -> bool:
    """Is ``said`` a near miss of the full name of one of ``clients`` ("greta nielsen" for Greta
    Nilsson), not another person's name with half of it shared ("karin nilsson")?"""
    names = [form for form, refs in directory.full.items() if set(refs) & set(clients)]
    return any(fuzz.ratio(said, form) >= MISHEARD for form in names)


def _forms(name: str) -> set[str]:
    return {name, genitive(name)}


Verdict = Literal["ok", "say_back", "person", "nobody", "other_client", "colleague"]

# Intents that are about a person by their own slot, or about no one: not vetted here.
NOT_ABOUT_A_CLIENT = frozenset(
    {
        "contact",
        "escalation",
        "help",
        "confirm",
        "deny",
        "repeat",
        "stop",
        "feedback",
        "unknown",
        "choose_client",
    }
)
# Intents that answer about the next or current visit's client when none is named: a question
# that names someone else must not fall through to that client.
CLIENT_FACTS = frozenset(
    {
        "access",
        "address",
        "routine",
        "notes",
        "flags",
        "medication",
        "records",
        "visit_time",
        "visit_worker",
        "relative_phone",
    }
)
GATED = frozenset({"access"})  # door codes, key boxes, alarm codes: all in the access text
# Answers about the worker's own visits: "Vilken tid kommer Omar till Ahmed?" (Omar is his son)
# asks when Omar comes, which no record says; the visit's time would answer another question.
MY_VISITS = frozenset({"visit_time", "visit_length", "next_visit", "time_left", "routine"})


@dataclass(frozen=True)
class Vetting:
    """What to do with a reading: answer it (``ok``), say it back first, answer about the
    person named instead, say nobody by that name is known, or not answer (``other_client``: the
    reading is about another client than the one named)."""

    verdict: Verdict
    mention: Mention | None = None


def vet(
    intent: str, clients: tuple[str, ...], mentions: list[Mention], directory: Directory
) -> Vetting:
    """Check a reading's clients, from whatever path, against the names the question said."""
    if intent == "unknown":  # not read at all: a full name still says who is meant
        full = next((m for m in mentions if m.part == "full"), None)
        if full is not None and full.nobody:
            return Vetting("nobody", full)
        if full is not None and not any(directory.is_client(r) for r in full.refs):
            return Vetting("person", full)
        # "vad tar Omar för mediciner?", Omar a client's son: she hears who he is.
        only = mentions[0] if len(mentions) == 1 else None  # one person, never a shared name
        if only is not None and len(only.refs) == 1 and not directory.is_client(only.refs[0]):
            return Vetting("person", only)
        return Vetting("ok")
    if intent in NOT_ABOUT_A_CLIENT or (not clients and intent not in CLIENT_FACTS):
        return Vetting("ok")
    named = {r for m in mentions for r in m.refs if directory.is_client(r)}
    if clients and all(c in named for c in clients):
        supporting = [m for m in mentions if any(c in m.refs for c in clients)]
        weak = all(m.part == "family" for m in supporting)  # "portkoden till Nilsson"
        others = [
            m for m in mentions if not m.nobody and not any(directory.is_client(r) for r in m.refs)
        ]
        # "När kommer Jonas till Ahmed?": a colleague's visit, read as hers (one worker named).
        colleague = [m for m in others if all(directory.kinds.get(r) == "worker" for r in m.refs)]
        one = len(others) == 1 == len(colleague) and len(colleague[0].refs) == 1
        if intent == "visit_time" and one and len(clients) == 1:
            return Vetting("colleague", colleague[0])
        someone = intent in MY_VISITS and bool(others)
        return Vetting("say_back" if (weak and intent in GATED) or someone else "ok")
    nobody = next((m for m in mentions if m.nobody), None)
    if nobody is not None and clients and _sounds_like(nobody.said, clients, directory):
        return Vetting("say_back")  # "Greta Nielsen": misheard, said back in full before use
    if nobody is not None:
        return Vetting("nobody", nobody)
    other = next((m for m in mentions if not any(directory.is_client(r) for r in m.refs)), None)
    if other is not None:
        return Vetting("person", other)
    if named:
        return Vetting("other_client")
    if clients and intent in GATED:  # a misheard name snapped to a client, or a guessed one
        return Vetting("say_back")
    return Vetting("ok")
