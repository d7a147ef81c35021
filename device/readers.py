"""The readers a question goes to when no template reads it: the template sentences nearest in
meaning (device/nlu/similar_reader.py) and the client's own records (device/answers/records.py).
Each proposes a reading; the assistant decides (device/assistant.py)."""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace

from device.answers.handlers import can_restate
from device.answers.records import NOT_FOR_RECORDS, client_sentences, nearest, search
from device.care.model import CareData
from device.nlu.agreement import (
    agrees,
    asks_a_name_it_lacks,
    says_only_known,
    supported_beyond_time,
)
from device.nlu.between import between_reading
from device.nlu.known import Known, unheard
from device.nlu.question import Question
from device.nlu.recognizer import Recognition, Recognizer
from device.nlu.similar_reader import SimilarReader
from device.nlu.text import normalize
from device.settings import Settings, SimilarSettings
from device.turn import ms_since

# The known words of each snapshot: a Recognizer is built once per snapshot.
_KNOWN: weakref.WeakKeyDictionary[Recognizer, Known] = weakref.WeakKeyDictionary()
# What happened at a time gone by ("vad hade Kjell för blodsocker i morse?"): the records hold
# plans and facts, not what was measured or done, so a sentence of them is never sure for it.
_WHAT_HAPPENED = re.compile(
    r"\b(i morse|i går|igår|i förrgår|i går kväll|förra (veckan|gången)|yesterday|"
    r"last (night|week|time))\b|\b(was|were|did|had)\b.*\bthis morning\b"
)


def recorded(care: CareData) -> list[str]:
    """Every sentence of every client's records."""
    return [hit.text for client in care.clients for hit in client_sentences(client, care)]


def known_words(recognizer: Recognizer, care: CareData) -> Known:
    """The templates' words, the names and every word of the care data's records."""
    if recognizer not in _KNOWN:
        texts = [*recognizer.vocabulary(), *recognizer.names.forms, *recognizer.people.forms]
        _KNOWN[recognizer] = Known.of([*texts, *recorded(care)])
    return _KNOWN[recognizer]


def in_records(
    question: Question,
    rec: Recognition,
    recognizer: Recognizer,
    care: CareData,
    similar: SimilarReader | None = None,
    settings: SimilarSettings | None = None,
) -> Recognition:
    """A question naming one client, about something written in their records: every content
    word in one sentence, or else (with ``similar``) the sentences nearest in meaning, answered
    when sure, offered as the nearest the records come when not."""
    text, clients = question.said, question.clients
    if NOT_FOR_RECORDS.search(question.plain):
        return rec
    if not clients:  # "which of my clients used to be a midwife?": the one whose records say so
        return across_clients(question, rec, recognizer, care)
    if len(clients) != 1:
        return rec
    reading = Recognition("records", rec.language, {"client": clients, "about": text})
    client = care.client(clients[0])
    if client is None:
        return rec
    names = set(recognizer.names.forms)
    if search(care, client, text, names, rec.language):
        return reading
    if similar is None or settings is None:
        return rec
    sentences = client_sentences(client, care)
    scores = similar.nearest_records(text, [hit.text for hit in sentences])
    if scores is None:
        return rec
    found, sure = nearest(
        scores, settings.records_floor, settings.records_sure, settings.records_margin
    )
    if not found:
        return rec
    # A word no record or template holds, found only as the start of a recorded word, is a
    # likeness of spelling, not of meaning: "har Leila några barn?" is not answered by
    # "Arbetade som barnmorska"; it is offered as the nearest, never read as the answer.
    if sure:
        asked = unheard(text, known_words(recognizer, care))
        written = normalize(sentences[int(found[0])].text).split()
        sure = not any(w.startswith(a) and w != a for a in asked for w in written)
        # A sentence with her own name in it ("Vill bli kallad Gittan") is near any question
        # that names her so: near by the name, not by the meaning.
        sure = sure and clients[0] not in recognizer.names.named_in(" ".join(written))
        sure = sure and not _WHAT_HAPPENED.search(question.plain)
    slots = {**reading.slots, "found": tuple(str(i) for i in found)}
    return replace(reading, slots={**slots, "nearest": "sure" if sure else "unsure"})


def read_similar(
    question: Question,
    rec: Recognition,
    similar: SimilarReader | None,
    recognizer: Recognizer,
    care: CareData,
    settings: Settings,
    timings: dict[str, float],
) -> tuple[Recognition | None, bool]:
    """The reading of the template sentences nearest in meaning (None: none near enough, or
    one that could only be said back and can't be), and whether it is sure enough to answer
    at once: clear ahead of every other reading, its words fit the question, and the question
    says nothing the templates, the names and the records have no word for."""
    if similar is None or not care.clients:
        return None, False
    started = time.perf_counter()
    found = similar.read(question, rec, recognizer)
    timings["similar"] = ms_since(started)
    if found is None:
        return None, False
    reading, clear = found
    threshold = settings.answers.name_match_threshold
    fits = agrees(reading, question, recognizer.names, threshold)
    if asks_a_name_it_lacks(reading, question):  # a "ja" would not get the name asked for
        return None, False
    sure = clear and fits and supported_beyond_time(reading.intent, question)
    # A word nothing here knows may be what is asked ("när fyller Anna år?"): say it back.
    sure = sure and says_only_known(reading.intent, question, known_words(recognizer, care))
    if not sure and not can_restate(reading.language, reading.intent):
        return None, False
    return reading, sure


@dataclass(frozen=True)
class Proposal:
    """One reader's reading of a question, and whether it is sure enough to answer at once."""

    reader: str  # "between", "similar" or "records"
    reading: Recognition
    sure: bool


# The order of evidence when more than one reader is sure: two clients joined by "mellan …
# och", the templates' nearest sentences, the records' own sentences.
_EVIDENCE = ("between", "similar", "records")


def decide(proposals: Sequence[Proposal], rec: Recognition) -> tuple[Recognition, bool]:
    """The one decision over every reader's reading, and whether it is to be said back: a sure
    reading is answered (by the order of evidence); else the templates' nearest reading is said
    back for a yes or no; else the nearest the records come is offered as that; else ``rec``
    (nothing read)."""
    order = {name: i for i, name in enumerate(_EVIDENCE)}
    ranked = sorted(proposals, key=lambda p: order[p.reader])
    for proposal in ranked:
        if proposal.sure:
            return proposal.reading, False
    for proposal in ranked:
        if proposal.reader == "similar":
            return proposal.reading, True
    if ranked:  # only the records' nearest is left: offered as the nearest they come
        return ranked[0].reading, False
    return rec, False


def read_unknown(
    question: Question,
    rec: Recognition,
    similar: SimilarReader | None,
    recognizer: Recognizer,
    care: CareData,
    settings: Settings,
    timings: dict[str, float],
    focus: str | None = None,
) -> tuple[Recognition, bool]:
    """A question no template reads: every reader's reading (the time between two named
    clients, the nearest template sentences, the records' own sentences: "vad för tabletter
    står Olof på?" found "Ge förmiddagens tabletter ur dosetten" in a routine), then one
    decision. A reader runs only while no reader before it in the order of evidence is sure:
    its reading could not change the decision. ``focus``: the client the conversation is about,
    whose records a question naming no one is searched in (not a question across clients)."""
    proposals: list[Proposal] = []
    joined = between_reading(question, recognizer.names.named_in)
    if joined is not None:  # "hinner jag en halvtimmes rast mellan Gittan och Anna?"
        proposals.append(Proposal("between", joined, True))
    if not proposals:
        reading, sure = read_similar(question, rec, similar, recognizer, care, settings, timings)
        if reading is not None:
            proposals.append(Proposal("similar", reading, sure))
    if not any(p.sure for p in proposals):
        started = time.perf_counter()
        about = question
        if focus and not question.clients and not _WHICH_CLIENT.search(question.plain):
            about = replace(question, clients=(focus,))
        found = in_records(about, rec, recognizer, care, similar, settings.similar)
        timings["records"] = ms_since(started)
        if found.intent != "unknown":
            proposals.append(Proposal("records", found, found.slots.get("nearest") != "unsure"))
    return decide(proposals, rec)


_WHICH_CLIENT = re.compile(
    r"^(och )?(vem|vilken|vilka|who|which)\b.*\b(brukare\w*|kund\w*|clients?|of them|av dem)\b|"
    r"^(och )?(vem|who|vilka har|vilka av|which of)\b|"
    r"^(och )?(har|is|does|do) (någon|nån|anyone|any of|someone)\b"
)


# More clients than this whose records hold the words: the words tell too little to read out.
MOST_ACROSS = 4
_ASKING_WHO = re.compile(
    r"\b(och|vem|vilken|vilka|who|which|av|of|mina|våra|my|our|brukar\w*|kund\w*|clients?|"
    r"har|hade|has|have|had|used to|is|är|any|någon|nån|anyone|someone|does|do|tar|ta|"
    r"takes?|taking|on)\b"
)


def across_clients(
    question: Question, rec: Recognition, recognizer: Recognizer, care: CareData
) -> Recognition:
    """A question for the clients whose records say something ("vem av brukarna har hund?",
    "vilka har allergier?"): read from each client whose own sentences hold every content word,
    up to ``MOST_ACROSS`` of them; none, or more (a word too common to tell), not read."""
    if not _WHICH_CLIENT.search(question.plain):
        return rec
    names = set(recognizer.names.forms)
    asked = _ASKING_WHO.sub(" ", question.plain)  # the words that say what, not who
    found = [c for c in care.clients if search(care, c, asked, names, rec.language)]
    if not found or len(found) > MOST_ACROSS:
        return rec
    refs = tuple(c.ref for c in found)
    return Recognition("records", rec.language, {"client": refs, "about": asked, "across": True})
