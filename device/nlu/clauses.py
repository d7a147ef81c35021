"""A question said with words around it: "Okej, jag är klar hos Anna nu. Vem är nästa?",
"What's the address for Ahmed? The GPS is acting up again.", "god morgon hur många besök har
jag idag".

No template reads the whole, but one reads a part of it exactly. That part is taken as the
question when the words left out cannot change what it asks: no "inte"/"not", no "om"/"if", no
other day, no second question word, and no client the reading would leave out (a worker-wide
reading such as the next visit may leave out where she has just been). Pure: text and a reader
in, a reading out; the templates stay the only judge of what a part means.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from device.nlu.days import find_day
from device.nlu.followup import refers, substitute
from device.nlu.people import CLIENT_FACTS
from device.nlu.recognizer import Recognition
from device.nlu.situations import HEALTH_EVENT, asked_of_someone_else, someone_else
from device.nlu.text import normalize

# Sentences, then clauses, split before normalising (it drops the punctuation). A recogniser
# writes no commas, but "asså" ends a clause too ("vart ska jag nu asså vem är nästa").
_SENTENCES = re.compile(r"[.!?]+(?:\s+|$)")
_CLAUSES = re.compile(r"[;:]\s+|\s+[–—-]\s+|,\s+|\s+(?:asså|alltså|liksom)\s+")
# Words that change what the rest of the sentence asks when left out of it ("om Greta har
# feber, vem ringer jag?"); another sentence ("Har inte varit där förut.") is only said beside.
_CHANGES_MEANING = re.compile(
    r"\b(inte|ej|aldrig|ingen|inget|inga|om|utan|istället|eller|men|"
    r"not|no|never|if|unless|instead|or|but|dont|doesnt|isnt|wont|cant)\b"
)
_ASKS = re.compile(
    r"\b(vem|vad|när|var|vart|hur|vilken|vilket|vilka|who|what|when|where|how|which|whose)\b"
)
# Readings a part of a sentence never stands for: "Okej." is not a yes.
_NOT_A_QUESTION = frozenset(
    {"unknown", "confirm", "deny", "repeat", "stop", "feedback", "choose_client", "help"}
)
# Readings about the worker's day, not a client's: "klar hos Anna, vem är nästa?" asks the next.
_WORKERS_OWN = frozenset({"next_visit", "schedule", "schedule_count", "remaining", "day_end"})
# How a question starts: a clause's end is tried only from such a word ("okej klar hos anna
# vem är nästa" from "vem"), which keeps the tries few.
_STARTS = re.compile(
    r"^(vem|vad|när|var|vart|hur|vilken|vilket|vilka|har|är|finns|ska|kan|behöver|tål|ring|ge|något|"
    r"who|what|when|where|how|which|is|are|do|does|can|has|have|call|give|tell)\b"
)
# "… ring Ahmeds son, vad är numret?": a second ask that only asks for the number of whom the
# rest names; left out of a reading that gives a number, it changes nothing.
_NUMBER_ASK = re.compile(
    r"(vad|vilket|what|which) (är|is|has)( (det|the|her|his|their|hennes|hans|deras))? "
    r"(nummer|numret|telefonnummer|telefonnumret|number|phone number)"
)
_GIVES_A_NUMBER = frozenset({"relative_phone", "contact", "escalation"})
# "… får hon ta nåt, och hur mycket max då?": the medicine's answer reads its dose as recorded.
_DOSE_ASK = re.compile(
    r"(och |and )?(hur mycket|hur många|hur ofta|how much|how many|how often)"
    r"( (max|maximalt|högst|at most|max then))?( (då|per dygn|a day))?"
)
_TOMORROW = re.compile(r"\bi ?morgon\b|\btomorrow\b")  # whatever find_day makes of the rest
_MIN_WORDS = 2
_JOINS = frozenset({"och", "and", "så", "so"})
_MAX_TRIES = 6  # template readings per question (1–5 ms each)


def parts(text: str) -> list[tuple[str, str, str]]:
    """(part, the other sentences, the words left out of the part's own sentence) to try, most
    words first: each sentence, each clause, and each of them from a later word a question
    starts with, or up to a last ask for a number ("… ahmeds son whats the number")."""
    sentences = [x.strip() for x in _SENTENCES.split(text) if x and x.strip()]
    found: list[tuple[str, str, str]] = []
    for i, sentence in enumerate(sentences):
        others = " ".join(sentences[:i] + sentences[i + 1 :])
        clauses = [c.strip() for c in _CLAUSES.split(sentence) if c and c.strip()]
        if len(clauses) > 1:  # "Where am I off to next, and when?": the sentence whole too
            found.append((sentence, others, ""))
        for j, clause in enumerate(clauses):
            beside = " ".join(clauses[:j] + clauses[j + 1 :])
            words = clause.split()
            for k in range(len(words) - _MIN_WORDS + 1):
                part = " ".join(words[k:])
                if k and not _STARTS.search(normalize(part)):
                    continue
                left_out = f"{beside} {' '.join(words[:k])}".strip()
                found.append((part, others, left_out))
                before = words[:k]
                while before and before[-1].lower() in _JOINS:  # "… ta nåt och hur mycket"
                    before = before[:-1]
                if len(before) >= _MIN_WORDS:
                    # … and up to it: "vad ska jag göra hos karl på lunchen är det nåt extra"
                    found.append((" ".join(before), others, f"{beside} {part}".strip()))
    whole = normalize(text)
    found = [f for f in found if normalize(f[0]) != whole]
    return sorted(found, key=lambda f: -len(f[0].split()))


def clause_reading(
    text: str,
    read: Callable[[str], Recognition],
    named_in: Callable[[str], Sequence[str]],
) -> tuple[str, Recognition] | None:
    """The part of ``text`` a template reads, and its reading; None when no part is read, or
    the rest could change what it asks."""
    reads = 0
    for part, others, left_out in parts(text):
        rest, left = normalize(f"{others} {left_out}"), normalize(left_out)
        if _CHANGES_MEANING.search(left) or _names_a_day(rest):
            continue
        number_ask = _NUMBER_ASK.fullmatch(left) is not None
        dose_ask = _DOSE_ASK.fullmatch(left) is not None
        # A second question, or the ask itself ("hur länge … tills nästa besök"): left out
        # only when it asks the very same ("vart ska jag nu asså vem är nästa"), read below.
        asks_for = number_ask or dose_ask
        again = _ASKS.search(normalize(others) if asks_for else rest) is not None
        if again and (others or asks_for):
            continue
        reads += 1 + again
        if reads > _MAX_TRIES:
            return None
        reading = read(part)
        if reading.intent in _NOT_A_QUESTION:
            continue
        if again and not _same(read(left_out), reading):
            continue
        if number_ask and reading.intent not in _GIVES_A_NUMBER:
            continue
        if dose_ask and reading.intent != "medication":
            continue
        named = set(named_in(rest))
        at = standing_at(rest, named_in)
        if at == named and len(at) == 1 and not reading.clients and reading.intent in CLIENT_FACTS:
            # "Jag står utanför Gretas port, vad är koden?": hers, as a follow-up would be.
            # Hers, not the next visit's ("på väg till Bertil, vad ska jag göra där?" at 11).
            slots = {k: v for k, v in reading.slots.items() if k != "next"}
            reading = replace(reading, slots={**slots, "client": tuple(at)})
        if named and reading.intent not in _WORKERS_OWN and not named <= set(reading.clients):
            continue  # "Bertils dotter ringde. Vad ska jag göra hos Anna?": Bertil left out
        return part, reading
    return None


def _same(one: Recognition, other: Recognition) -> bool:
    """Do two readings ask the very same (intent and slots)?"""
    return one.intent == other.intent and dict(one.slots) == dict(other.slots)


def _names_a_day(said: str) -> bool:
    """Does the (normalised) text left out name a day: "i morgon", "tomorrow", "på fredag"?"""
    return find_day(said)[1] is not None or _TOMORROW.search(said) is not None


# "klar hos Ahmed, hinner jag äta innan nästa?": the client she has just left is where she was,
# not where she is going.
_DONE_AT = re.compile(
    r"\b(?:klar|färdig|slut|done|finished|through)(?: nu| now)? (?:hos|med|på|at|with) "
    r"(?P<at>\w+(?: \w+)?)|\b(?:lämnat|lämnar|gått från|just left|leaving) (?P<from>\w+(?: \w+)?)"
)
_NEXT = re.compile(r"\b(nästa|next)\b")
_TOWARDS_NEXT = frozenset({"next_visit", "time_left"})


def left_behind(
    text: str, reading: Recognition, named_in: Callable[[str], Sequence[str]]
) -> Recognition:
    """A reading of the next visit, or of the time until it, that took its client from where
    the worker has just been ("klar hos Ahmed … innan nästa") is about the next visit: the
    client is dropped, never read as Ahmed's next visit. Readings with an order ("efter
    Ahmed") are left as they are: they already mean the visit after."""
    if reading.intent not in _TOWARDS_NEXT or not reading.clients or "order" in reading.slots:
        return reading
    if not _NEXT.search(normalize(text)):
        return reading
    if not set(reading.clients) <= just_left(text, named_in):
        return reading
    return replace(reading, slots={k: v for k, v in reading.slots.items() if k != "client"})


# "Jag står utanför Gretas port", "har precis kommit in till Anna", "I'm at Gittan's door":
# where the worker is now, so a question beside it without a name is about that client.
# So is where she is on her way to ("jag är på väg till Bertil nu, vad ska jag göra där?").
_STANDING_AT = re.compile(
    r"\b(?:(?:står|är|sitter|väntar|framme|inne)(?: nu| snart| strax)? (?:utanför|vid|hos|"
    r"hemma hos|inne hos|framme hos|framme vid|på(?! väg))|"
    r"(?:kommit|kommer|kom)(?: nu)?(?: in| fram| hem)? (?:till|hos)|"
    r"(?:på väg|ska|åker|går|kör|cyklar)(?: nu| snart| strax)?(?: över| hem)? till|"
    r"(?:i am|im|i m)(?: now)?(?: standing)? (?:at|outside|in front of|by|inside)|"
    r"(?:arrived|just got|got) (?:at|to)|standing (?:at|outside|by)|"
    r"(?:on my way|heading|headed|going)(?: over| now)? to)"
    r" (?P<at>\w+(?: \w+)?)"
)


def standing_at(text: str, named_in: Callable[[str], Sequence[str]]) -> set[str]:
    """The clients named as where the worker is now ("står utanför hos Leila")."""
    spans = [m.group("at") for m in _STANDING_AT.finditer(normalize(text))]
    return {ref for span in spans for ref in named_in(span)}


def just_left(text: str, named_in: Callable[[str], Sequence[str]]) -> set[str]:
    """The clients named as where the worker has just been ("klar hos Ahmed", "just left
    Anna's")."""
    spans = [m.group("at") or m.group("from") for m in _DONE_AT.finditer(normalize(text))]
    return {ref for span in spans for ref in named_in(span)}


_SENTENCE = re.compile(r"[^.!?]+[.!?]*")


def asked_alone(text: str, named_in: Callable[[str], Sequence[str]]) -> str | None:
    """The one sentence of ``text`` that asks, when every other only says something beside it
    (no question word, no name, no day, no health event): what the readers of meaning and of the
    records are given. "Vad heter katten hos Kajsa? Vill inte säga fel.": the records have
    "Katten heter Misse", but no sentence has "vill", "säga" and "fel" too. None when no single
    sentence asks, or another could change what it asks."""
    sentences = [m.group(0).strip() for m in _SENTENCE.finditer(text) if m.group(0).strip()]
    asking = [s for s in sentences if s.endswith("?") or _STARTS.search(normalize(s))]
    if len(sentences) < 2 or len(asking) != 1:
        return None
    beside = normalize(" ".join(s for s in sentences if s is not asking[0]))
    changes = _ASKS.search(beside) or _names_a_day(beside) or HEALTH_EVENT.search(beside)
    return None if changes or named_in(beside) else asking[0]


_MATTERS = re.compile(
    rf"{HEALTH_EVENT.pattern}|sore|ache|värk|ostadig|unsteady|\byr\b|dizzy|allerg|inte|not\b"
)
# "Annas man ringde": in Swedish "man" is a husband too ("hur gör man" only keeps it unread).
_HUSBAND = re.compile(r"\bman\b")


def said_before(
    text: str,
    named_in: Callable[[str], Sequence[str]],
    given: Callable[[str], str | None],
    by_name: bool = False,
) -> str | None:
    """ "Anna rör sig ostadigt idag, är det nåt jag ska tänka på när hon går runt?": the last
    sentence (or clause) refers ("hon", "där") to the one client the words before it name, and
    to no one else: that sentence with her name put in, as a follow-up would be. None else."""
    sentences = [m.group(0).strip() for m in _SENTENCE.finditer(text) if m.group(0).strip()]
    if len(sentences) < 2:
        sentences = [c for c in _CLAUSES.split(text) if c and c.strip()]
    if by_name:  # as a recogniser writes it: "heading over to bertil now … his hearing"
        sentences = _after_the_name(text, named_in)
    if len(sentences) < 2:
        return None
    last, before = sentences[-1], " ".join(sentences[:-1])
    aside = normalize(before)
    if named_in(last) or not refers(last) or someone_else(aside, "sv") or _HUSBAND.search(aside):
        return None
    if asked_of_someone_else(normalize(last), "sv"):  # "hennes dotter är här, vad vill hon ha"
        return None
    # The words before only say who: no question of their own ("Vad gillar Leila? … med
    # henne"), nothing that changes what is asked ("her back is really sore").
    if "?" in before or _ASKS.search(aside) or _MATTERS.search(aside):
        return None
    clients = set(named_in(before))
    name = given(next(iter(clients))) if len(clients) == 1 else None
    return substitute(last, name, name) if name else None


def _after_the_name(text: str, named_in: Callable[[str], Sequence[str]]) -> list[str]:
    """``text`` split after the first name in it: [the words up to it, the rest]; [] when
    nothing follows a name."""
    words = text.split()
    for i in range(1, len(words)):
        if named_in(" ".join(words[:i])):
            return [" ".join(words[:i]), " ".join(words[i:])]
    return []


def in_parts(
    text: str,
    read: Callable[[str], Recognition],
    named_in: Callable[[str], Sequence[str]],
    given: Callable[[str], str | None],
) -> tuple[str, Recognition | None] | None:
    """A question no template reads whole, read in its parts: the part a template reads
    (``clause_reading``), the last sentence with the client said before it put in
    (``said_before``), or the one sentence that asks (``asked_alone``) with no reading yet."""
    found = clause_reading(text, read, named_in)
    if found is not None:
        return found
    leaning = said_before(text, named_in, given)
    reading = read(leaning) if leaning else None
    if leaning and reading is not None and reading.intent not in _NOT_A_QUESTION:
        return leaning, reading  # else the readers of meaning have all of it, as before
    alone = asked_alone(text, named_in)
    if alone:
        return alone, None
    # No sentence or clause: the words after the one client named, with her name put in,
    # to every reader ("… anything about bertils hearing i should know").
    leaning = said_before(text, named_in, given, by_name=True)
    if leaning is None:
        return None
    reading = read(leaning)
    if reading.intent not in _NOT_A_QUESTION:
        return leaning, reading
    return clause_reading(leaning, read, named_in) or (leaning, None)
