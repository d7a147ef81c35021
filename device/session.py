"""What one conversation remembers about whom it is talking, and the check of every reading
against the names the question said.

- ``vet_reading``: a reading from any path must be about the client the question named
  (device/nlu/people.py); else it is said back, answered about the relative or worker named, or
  "nobody by that name".
- ``released``: the one place a door code is let through.
- ``Conversation``: the client in focus (the client of the last answer), the person in focus (a
  relative the last answer was about) and the last reading, for follow-ups (device/nlu/followup.py).
  Session state only: never logged, never counted, dropped by "ny fråga", "stopp" and time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from device.answers.handlers import Reply, can_restate
from device.care.model import CareData
from device.nlu.days import find_day
from device.nlu.followup import ellipsis, refers, refers_to_a_place, substitute, who_is_that
from device.nlu.people import CLIENT_FACTS, Directory, Mention, vet
from device.nlu.recognizer import Recognition, Recognizer
from device.nlu.situations import asked_of_someone_else, someone_else, someone_else_ends
from device.nlu.text import normalize

# Readings that say nothing about whom the conversation is about.
_NO_FOCUS = frozenset(
    {"unknown", "confirm", "deny", "repeat", "feedback", "help", "escalation", "choose_client"}
)
_NUMBER = frozenset({"nummer", "numret", "telefon", "telefonnummer", "number", "phone"})
# A role named before "her": the pronoun is the nurse's or the coordinator's, not a client's.
_ROLE = re.compile(r"sjuksköt|sköterska|samordn|\bnurse|coordinator", re.IGNORECASE)
# A client's facts that a relative's own question would not be answered by ("vad behöver hon hjälp
# med?" after "hans fru"); a relative's number, and the visits, stay theirs to ask.
_THEIRS = CLIENT_FACTS - {"relative_phone", "visit_time", "visit_worker"}
_OF_A_VISIT = frozenset({"routine", "visit_time", "visit_length", "visit_worker"})
# What a relative's own reading answers: who she is, her number ("hennes dotter är här, vad vill
# hon ha?" is not).
_WHO_OR_NUMBER = re.compile(
    r"\b(ring\w*|nummer|numret|telefon\w*|heter|namn\w*|vem|nå|call|phone|number|name|called|"
    r"who|reach)\b"
)
_AT_HOME = re.compile(r"\b(hos|till|at|to) (honom|henne|him|her)\b")
_AT = frozenset({"hos", "till", "för", "at", "for", "with", "to"})
_CALL = frozenset({"ring", "ringa", "nå", "call", "reach", "kontakta", "contact"})


@dataclass(frozen=True)
class Note:
    """What the answer says about a name: nobody by that name, or not a client."""

    kind: str
    name: str


def vet_reading(
    text: str, rec: Recognition, ask_back: bool, people: Directory, care: CareData, said: str
) -> tuple[Recognition, bool, Note | None]:
    """``rec`` checked against the names ``text`` says: (the reading to answer, whether to say
    it back first, a note to say about a name). ``said``: the worker's words, before a
    follow-up's pronouns were read as the client in focus."""
    plain = normalize(said)
    theirs = rec.intent in _THEIRS or (
        rec.intent == "relative_phone" and not _WHO_OR_NUMBER.search(plain)
    )
    if theirs and asked_of_someone_else(plain, rec.language):
        return Recognition("unknown", rec.language), False, None  # "hans fru … vad behöver hon"
    vetting = vet(rec.intent, rec.clients, people.mentions(text), people)
    unknown = Recognition("unknown", rec.language)
    if vetting.verdict == "say_back":
        return (
            (rec, True, None) if can_restate(rec.language, rec.intent) else (unknown, False, None)
        )
    if vetting.verdict == "other_client":
        return unknown, False, None
    mention = vetting.mention
    if vetting.verdict == "colleague" and mention is not None:  # her visit, not mine
        return replace(rec, slots={**rec.slots, "by": mention.refs[0]}), ask_back, None
    if vetting.verdict == "nobody" and mention is not None:
        return unknown, False, Note("nobody_named", mention.said.title())
    if vetting.verdict == "person" and mention is not None:
        contact = Recognition("contact", rec.language, {"person": mention.refs})
        asks_number = bool(set(normalize(text).split()) & (_NUMBER | _CALL))
        if (
            rec.intent in CLIENT_FACTS | {"unknown"}
            and rec.intent != "relative_phone"
            and not (
                asks_number  # "Jag måste nå Maria Ek, vilket nummer har hon?": her number, asked
            )
        ):
            who = care.person_name(mention.refs[0]) if len(mention.refs) == 1 else None
            # Asked a client's fact, she hears who the person is, not their phone number:
            # nothing she did not ask for is said (data minimised), and the question is missed.
            only = Recognition("contact", rec.language, {"person": mention.refs, "who": True})
            return (only, False, Note("not_a_client", who)) if who else (contact, False, None)
        return contact, False, None
    return rec, ask_back, None


def released(rec: Recognition, reply: Reply, confirmed: bool) -> bool:
    """An access reading, confirmed, whose code belongs to the client the question named (or,
    none named, the visit's client): the only case a door code is said."""
    if rec.intent != "access" or not confirmed:
        return False
    cited = {s for s in reply.sources if s.startswith("Patient/")}
    return len(cited) <= 1 and (not rec.clients or cited <= set(rec.clients))


@dataclass(frozen=True)
class Focus:
    client: str | None
    person: str | None  # a relative the last answer was about
    reading: Recognition
    since: datetime


@dataclass(frozen=True)
class Leaning:
    """A question read against the focus: the text to read, whether the focus was stale (say
    the reading back first), and whether nobody is in focus to refer to (ask who)."""

    text: str
    stale: bool = False
    ask_who: bool = False
    reading: Recognition | None = None  # read straight from the focus ("och hans nummer?")


class Conversation:
    def __init__(self, focus_s: int) -> None:
        self._window = timedelta(seconds=focus_s)
        self._focus: Focus | None = None

    def drop(self) -> None:
        self._focus = None

    def lean(self, text: str, now: datetime, care: CareData, people: Directory) -> Leaning:
        """``text`` with its follow-up words replaced by the client or person in focus. A
        question that names someone itself ("when does Olof take his Donepezil?") keeps its
        words: "his" is Olof's."""
        named = who_is_that(text)
        if named is not None:  # "Anders ska komma idag, vem är det?": who the one named is
            before, lang = named
            mentions = people.mentions(before)
            if len(mentions) == 1:
                ask = "vem är" if lang == "sv" else "who is"
                return Leaning(f"{ask} {mentions[0].said}")
        if not self._window or not refers(text) or people.mentions(text) or _ROLE.search(text):
            return Leaning(text)  # "I need to call the nurse, what's her number?": the nurse's
        focus = self._focus
        words = set(normalize(text).split())
        if focus and focus.person and words & (_NUMBER | _CALL) and not refers_to_a_place(text):
            reading = Recognition("contact", focus.reading.language, {"person": (focus.person,)})
            stale = now - focus.since > self._window
            return Leaning(text, stale, reading=reading)  # "och hans nummer?" after his son
        if focus is None or focus.client is None:
            return _ask_who(text, care)
        stale = now - focus.since > self._window
        place = care.client(focus.client) if focus.client else None
        # "hennes dotter då?" after her sister: a relative's own relatives are not recorded;
        # "när är jag klar hos honom?" after his son: at the client's, said back.
        said, lang = normalize(text), focus.reading.language
        at_home = focus.person is not None and _AT_HOME.search(said) is not None
        theirs = refers_to_a_place(text) or someone_else(said, lang) or at_home
        person = focus.person if focus.person and not theirs else focus.client
        stale = stale or at_home  # "hos henne" after his wife: hers or his? Said back first.
        name = _first_name(care, person) if person else None
        if name is None or place is None:
            return _ask_who(text, care)
        # "och hans dotter, vad har hon för nummer?": "hon" after the daughter is hers.
        cut = someone_else_ends(said, lang) or len(said)
        leaned = f"{substitute(said[:cut], name, place.given)} {said[cut:]}".strip()
        return Leaning(leaned, stale)

    def client_in_focus(self, now: datetime) -> str | None:
        """The client the conversation is about, while the focus is fresh: a question about her
        records with no name ("is it laundry day today?") is searched in hers."""
        focus = self._focus
        if not self._window or focus is None or now - focus.since > self._window:
            return None
        return focus.client if focus.person is None else None

    def complete(
        self, text: str, rec: Recognition, now: datetime, people: Directory
    ) -> tuple[Recognition, bool]:
        """A client's fact asked without a name ("Vad är portkoden?") is about the client in
        focus: (the reading with her, whether to say it back first because the focus is old)."""
        focus = self._focus
        if self._shares_a_name(text, rec, now, people):
            return rec, True  # "och Karins mediciner?" just after Maria's sister Karin: ask
        if (
            not self._window
            or focus is None
            or focus.client is None
            or rec.clients
            or rec.intent not in CLIENT_FACTS
            or people.mentions(text)
        ):
            return rec, False
        stale = now - focus.since > self._window
        return replace(rec, slots={**rec.slots, "client": (focus.client,)}), stale

    def _shares_a_name(self, text: str, rec: Recognition, now: datetime, people: Directory) -> bool:
        """Does ``rec``'s client go by a name ``text`` said that the relative in focus has too?"""
        focus = self._focus
        if not self._window or focus is None or focus.person is None or not rec.clients:
            return False
        if now - focus.since > self._window:
            return False
        return any(
            focus.person in m.refs and set(rec.clients) & set(m.refs) for m in people.mentions(text)
        )

    def ellipsis_reading(
        self, text: str, now: datetime, recognizer: Recognizer, people: Directory
    ) -> Recognition | None:
        """ "och i morgon då?", "och Bertil?", "och på kvällen?": the last reading with the one
        part said replaced; None when ``text`` is not such a follow-up or nothing is in focus."""
        focus = self._focus
        short = ellipsis(text)
        if focus is None or short is None or now - focus.since > self._window:
            return None
        last, lang = focus.reading, focus.reading.language
        whole = recognizer.recognize(short.rest, lang, detect=False)  # "och Märtas make då?"
        if whole.intent not in _NO_FOCUS and whole.intent not in ("stop", "new_question"):
            return whole
        led = _led_by_a_name(short.rest, people)
        if led is not None:  # "I meant Greta, what is she on?": the question about her
            whole = recognizer.recognize(led, lang, detect=False)
            return whole if whole.intent not in _NO_FOCUS else None
        rest, day = find_day(short.rest)
        if day is not None and not rest.strip():
            return replace(last, slots={**last.slots, "day": day})
        words = rest.split()
        if len(words) > 1 and words[0] in _AT:  # "och hos Greta?"
            words = words[1:]
        after = bool(words) and words[0] in ("efter", "after")
        named = people.mentions(" ".join(words[1:] if after else words))
        said = " ".join(words[1:] if after else words)
        clients = [r for r in (named[0].refs if len(named) == 1 else ()) if people.is_client(r)]
        if len(clients) == 1 and named[0].said == said:  # only the name: "och Bertil?"
            if after:
                return Recognition("next_visit", lang, {"order": "after", "client": (clients[0],)})
            if last.intent != "contact" and (last.clients or last.intent in CLIENT_FACTS):
                return replace(last, slots={**last.slots, "client": (clients[0],)})
            if last.intent in ("next_visit", "schedule"):  # "när börjar jag i morgon?" "och Siv?"
                that_day = {"day": last.slots["day"]} if "day" in last.slots else {}
                return Recognition("visit_time", lang, {"client": (clients[0],), **that_day})
            return None
        parts = recognizer.values_in(rest, lang, "part_of_day")
        if len(parts) == 1 and len(rest.split()) <= 3:  # "och på kvällen?" after lunch's
            slots = {k: v for k, v in last.slots.items() if k != "visit_kind"}
            return replace(last, slots={**slots, "part_of_day": parts[0]})
        kinds = recognizer.values_in(rest, lang, "visit_kind", every_form=True)
        if len(kinds) == 1 and len(rest.split()) <= 3 and last.intent in _OF_A_VISIT:
            slots = {k: v for k, v in last.slots.items() if k != "part_of_day"}
            return replace(last, slots={**slots, "visit_kind": kinds[0]})  # "och till lunch?"
        return None

    def update(
        self, rec: Recognition, reply: Reply, now: datetime, care: CareData, named: list[Mention]
    ) -> None:
        """After an answer: its client (and relative) are in focus now. A turn that gives no
        focus still moves it to the one client it named (``named``: the names said), or away
        when it named anyone else: "hon" next is never a client named before another name."""
        if rec.intent == "stop":
            self._focus = None
            return
        # Nothing found in a client's records ("Greta har inga allergier i journalen") is still
        # about her: "vad är koden dit?" next is hers. Nothing found about no one is no focus.
        negative = reply.outcome == "unknown"
        workers = [ref for ref in reply.sources if ref.startswith("Practitioner/")]
        if (
            rec.intent in _NO_FOCUS
            or reply.outcome in ("error", "no_data", "clarify")
            or (negative and not reply.sources)
        ):
            self._named_only(rec, named, now, care)
            if rec.intent == "escalation" and len(workers) == 1:  # "vad har hon för nummer?"
                client = self._focus.client if self._focus else None
                self._focus = Focus(client, workers[0], rec, now)
            return
        patients = [s for s in reply.sources if s.startswith("Patient/")]
        client = None
        if rec.intent == "next_visit" and patients:  # the visit answered: "efter Kjell" is Siv
            client = patients[-1]
        elif len(rec.clients) == 1:
            client = rec.clients[0]
        elif len(set(patients)) == 1:
            client = patients[0]
        relatives = {s for s in reply.sources if s.startswith("RelatedPerson/")}
        person = None
        if len(relatives) == 1 and rec.intent in ("relative_phone", "contact") and not negative:
            person = next(iter(relatives))
            relative = next((r for r in care.relatives if r.ref == person), None)
            client = relative.client if relative else client
        if rec.intent == "contact" and len(workers) == 1 and not relatives:  # "ring henne"
            person = workers[0]
            client = self._focus.client if self._focus else None
        # Several clients in the answer: none in focus ("hon" is then asked back), but the
        # reading stays for "och i morgon då?".
        self._focus = Focus(client, person, rec, now)

    def _named_only(
        self, rec: Recognition, named: list[Mention], now: datetime, care: CareData
    ) -> None:
        """ "Jag är hos Märta nu, hon verkar trött …" unanswered: "har hon nån medicin?" next
        is Märta's. A surname alone selects no one; any other name said leaves no one in focus."""
        if not named:
            return
        refs = {ref for mention in named for ref in mention.refs}
        one = len(refs) == 1 and all(m.part != "family" and m.refs for m in named)
        client = next(iter(refs)) if one else None
        client = client if client and care.client(client) else None
        self._focus = Focus(client, None, rec, now) if client else None


def _led_by_a_name(rest: str, people: Directory) -> str | None:
    """ "greta what is she on" → "what is greta on": a client's name, then a question that
    refers to her; None else."""
    words = rest.split()
    for size in (3, 2, 1):
        name, question = " ".join(words[:size]), " ".join(words[size:])
        named = people.mentions(name) if question else []
        one = len(named) == 1 and named[0].said == name and len(named[0].refs) == 1
        if one and people.is_client(named[0].refs[0]) and refers(question):
            return substitute(question, name, name)
    return None


def _ask_who(text: str, care: CareData) -> Leaning:
    """Nobody in focus: read the question with a stand-in client, to be asked "Vem menar du?"
    and completed by the name the worker says (never answered for the stand-in)."""
    stand_in = _stand_in(care)
    if stand_in is None:
        return Leaning(text, ask_who=True)
    return Leaning(substitute(text, stand_in, stand_in), ask_who=True)


def _stand_in(care: CareData) -> str | None:
    """The client a question is read with until she says whom she means (``_ask_who``)."""
    return care.clients[0].given if care.clients else None


def chosen(rec: Recognition, care: CareData, clients: tuple[str, ...]) -> Recognition:
    """A question read with ``_ask_who``'s stand-in, completed by the client she then named: the
    records' words ("vad ska <stand-in> äta") get her name too, not only the client slot."""
    slots: dict[str, object] = {**rec.slots, "client": clients}
    about, named = rec.slots.get("about"), care.client(clients[0]) if len(clients) == 1 else None
    stand_in = _stand_in(care)
    if isinstance(about, str) and stand_in is not None and named is not None:
        said = re.escape(normalize(stand_in))
        slots["about"] = re.sub(rf"\b{said}(s?)\b", rf"{normalize(named.given)}\1", about)
    return replace(rec, slots=slots)


def _first_name(care: CareData, ref: str) -> str | None:
    client = care.client(ref)
    if client is not None:
        return client.given
    relative = next((r for r in care.relatives if r.ref == ref), None)
    return f"{relative.given} {relative.family}".strip() if relative else None


def two_clients_asked(a: Recognition, b: Recognition) -> Recognition | None:
    """One question asked of two clients, when two readings ask the same but for the client
    (speech too close to tell them apart): the reading with both, to ask which; else None."""
    same = {**a.slots, "client": ()} == {**b.slots, "client": ()}
    if a.intent != b.intent or a.intent == "unknown" or a.clients == b.clients or not same:
        return None
    if len(a.clients) != 1 or len(b.clients) != 1:
        return None
    return replace(a, slots={**a.slots, "client": (*a.clients, *b.clients)})
