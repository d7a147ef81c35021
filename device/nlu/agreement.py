"""Does an LLM reading agree with the question? Never answer another question.

A small model sometimes maps "ring Karin" to the coordinator, or "tål Greta nötter" to the door
code. Its reading is used only when (1) the client it picked is named in the question (fuzzy,
so a misheard name still counts) and (2) the question has words that belong to the intent.
Otherwise the assistant asks back. Pure: text and names in, a verdict out.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

from rapidfuzz import fuzz

from device.nlu.clock import ClockTime
from device.nlu.drugs import classes_named, drugs_named
from device.nlu.known import Known, unheard
from device.nlu.names import NameIndex
from device.nlu.question import Question
from device.nlu.recognizer import Recognition

# Word stems that must appear for an intent (Swedish and English, normalised text).
_SUPPORT: dict[str, str] = {
    "next_visit": r"näst|sen\b|sedan|härnäst|efter|vart|vidare|först|next|after|then|where to|"
    r"headed|first",
    "schedule": r"schema|besök|brukare|kunder|träffa|dag|morgon|förmiddag|eftermiddag|kväll|natt|"
    r"pass|lista|"
    r"schedule|visit|today|morning|afternoon|evening|tonight|plan",
    "schedule_count": r"hur många|antal|hur mycket|how many|number of|count",
    "visit_time": r"när|tid|dags|börja|slut|klock|when|time|start|begin|end|finish",
    # A length of the visit: the question speaks of the visit or the stay ("hur länge ska
    # Annas lunch värmas?" is the lunch's, not the visit's).
    "visit_length": r"besök|\bhos\b|stann|\b(är|har|får) (jag|vi)\b|visit|\bstay|spend|"
    r"\b(am|do|will) i\b|\bi (get|have)\b",
    # Who goes to the client, not whom the worker sees ("who do I see before Leila?").
    "visit_worker": r"\bav oss\b|\bjag som\b|\b(går|åker|gör|tar)\b|\bska (gå|åka)\b|"
    r"\bvem (ska|har)\b.*\b(till|hos)\b|\bvem är det som\b|\bwhich of us\b|\bis it me\b|"
    r"\bwho (is going|goes|is visiting|visits|is seeing|sees|has|is doing|does|is taking|takes)\b",
    "day_end": r"klar|slut|färdig|hur sent|done|finish|end|\bover\b|how late",
    "remaining": r"kvar|återstår|resten|left|remaining|rest of",
    "time_left": r"hur länge|hur lång|hur mycket tid|hinner|tid för|stund|paus|rast|fika|mellan|"
    r"halvtim|kvart|timm|minut|how long|how much time|time for|until|break|hour|minute|quarter|"
    r"between",
    "routine": r"göra|gör|uppgift|rutin|insats|sköta|moment|hjälp|behöv|ska jag|jag ska|fixa|"
    r"städ|tvätt|disk|handla|laga|clean|wash|laundry|shop|cook|"
    r"\bdo\b|task|routine|help|need|chores",
    "notes": r"gilla|tycke|önsk|anteckn|veta|viktig|vill|föredr|intresse|berätta|språk|hobby|"
    r"jobbade|arbetade|yrke|musik|"
    r"like|prefer|note|know|wish|important|tell me about|language|worked|work as|job|music|"
    r"living|retired|career|pension",
    "flags": r"allerg|tål|tåla|risk|fara|faror|farlig|husdjur|hund|katt|djur|fågel|rollator|"
    r"hjälpmedel|rullstol|lyft|överkänslig|nöt|gluten|laktos|fall|varning|\bgå\b|\bgår\b|stött|"
    r"allergic|pet|dog|cat|bird|animal|walker|wheelchair|hoist|hazard|danger|tolerate|nut|warning|"
    r"\bwalk|steady|kost|diet|lagar mat|laga mat|inte äta|cook|can't eat",
    "medication": r"medicin|tablett|läkemedel|piller|dos|insulin|sprut|medic|\bmeds?\b|drug|pill|"
    r"tablet|"
    r"dose",
    "access": r"kod|port|dörr|nyckel|lås|komma in|in till|in hos|öppna|"
    r"code|door|key|lock|get in|enter|open",
    "address": r"adress|bor\b|gata|gatan|ligger|hitta|vägen|\bhus(et)?\b|address|\blives?\b|street|"
    r"where|find",
    "relative_phone": r"ring|nummer|telefon|dotter|son|fru|make|maka|anhörig|släkt|barn|bror|"
    r"syster|mamma|pappa|sambo|granne|call|phone|number|daughter|wife|husband|relative|"
    r"brother|sister|mother|father|neighbour|neighbor",
    "escalation": r"sjuksköt|sköterska|ssk|samordn|koordinat|planer|nurse|coordinator|planner",
    "help": r"hjälp|vad kan du|help|what can you",
}
# Words that settle what kind of answer is wanted: a question with them is read only as one of
# these intents ("vem ska jag ringa om Karins insulin?" asks for a person, not the medication).
_DEMANDS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        r"\b(ring|ringa|ringer|nummer|numret|telefon\w*|call|phone|number)\b",
        frozenset({"relative_phone", "escalation", "contact"}),
    ),
    (
        r"sjuksköt|sköterska|samordn|planerar|planerare|\bnurse|coordinator|planner",
        frozenset({"escalation", "contact"}),
    ),
    # A client's life and interests are in the notes: "what does Kjell do for a hobby?" is not
    # what to do at Kjell's.
    (
        r"\b(hobby|hobbyer|hobbies|intressen?|fritid\w*|jobbade|arbetade|yrke\w*|språk\w*|"
        r"pension\w*|musik|worked|work as|job|profession|for a living|retired|career|language|"
        r"music|interests?)\b",
        frozenset({"notes", "records", "flags"}),
    ),
    # An allergy or a pet is in the flags or the notes: "vilka av mina brukare har allergier?"
    # is not the day's list of clients, "hur ska jag göra med Olles hund?" not his routine.
    (
        r"\b(allergi\w*|allergisk\w*|överkänslig\w*|husdjur\w*|allerg(y|ies|ic)|pets?|"
        r"hund(en|ar|arna)?|katt(en|er|erna)?|dogs?|cats?)\b",
        frozenset({"flags", "records", "notes"}),
    ),
)
# A meal is a visit's routine or a record: "what does Märta like for lunch?" is not all her notes.
_MEAL = re.compile(
    r"\b(frukost\w*|lunch\w*|middag\w*|kvällsmat\w*|mellanmål\w*|breakfast|dinner|supper|"
    r"snacks?)\b"
)
_ROLE_WORDS = {
    "nurse": r"sjuksköt|sköterska|ssk\b|nurse",
    "coordinator": r"samordn|koordinat|planer|chef|coordinator|planner|manager",
}
PART_WORDS = {
    "morning": r"\bmorgon|\bi morse",
    # English "morning" runs to noon (config/sentences/en.yaml): the forenoon.
    "forenoon": r"förmiddag|\bfm\b|(före|innan) (lunch|tolv)|before (lunch|twelve)|"
    r"\bmorning|before noon",
    "afternoon": r"eftermiddag|\bem\b|afternoon|efter lunch|after lunch",
    "evening": r"kväll|evening|tonight",
}
# Intents whose answers depend on the part of the day: a reading of one of them that drops the
# part a question names would answer about another visit ("how long is my morning visit at
# Anna's?" read without the morning, asked at noon, gave her evening visit's length).
_TAKES_PART = frozenset(
    {
        "schedule",
        "schedule_count",
        "visit_length",
        "visit_time",
        "remaining",
        "routine",
        "visit_worker",
    }
)
_NEEDS_CLIENT = frozenset(
    {
        "visit_time",
        "visit_worker",
        "notes",
        "flags",
        "medication",
        "access",
        "address",
        "relative_phone",
    }
)


# "… efter Greta", "… after Greta": what follows her visit, answered only by the day's plan.
_AFTER = re.compile(r"\b(?:efter|after)\s+(\w+(?:\s\w+)?)")
_WHAT_FOLLOWS = frozenset(
    {"next_visit", "schedule", "schedule_count", "remaining", "time_left", "day_end"}
)


def answers_what_is_asked(intent: str, question: Question, slots: Mapping[str, Any] = {}) -> bool:
    """Is an answer of ``intent`` (with ``slots``) the kind of answer the question asks for?
    (Any path's reading is checked: a reading that answers another question is said back, never
    answered.)"""
    return question.asked.allows(intent, slots)


def supported(intent: str, plain: str) -> bool:
    """The question (``plain``: normalised) has words that belong to ``intent``."""
    pattern = _SUPPORT.get(intent)
    return pattern is not None and re.search(pattern, plain) is not None


def says_only_known(intent: str, question: Question, known: Known) -> bool:
    """Is every word of the question one the assistant knows, or one of ``intent``'s own words?
    ("Vilken färg tycker Bertil bäst om?" is not a question about his notes.)"""
    pattern = _SUPPORT.get(intent)
    unknown = unheard(question.said, known)
    return all(pattern is not None and re.search(pattern, w) for w in unknown)


NAME_ASKED = re.compile(r"\bvad heter\b|\bvem heter\b|\bnamn(et)?\b|\bname\b|\bcalled\b")
_GIVES_NAMES = frozenset({"escalation", "contact", "next_visit", "schedule"})


def asks_a_name_it_lacks(reading: Recognition, question: Question) -> bool:
    """Does the question ask for a name ("vad heter Karins katt?") that the answer of
    ``reading`` does not give? The pet's record is not its name; a relative named by relation
    ("vad heter Annas dotter?") is answered with the name, all of a client's relatives are not."""
    gives = reading.intent in _GIVES_NAMES or (
        reading.intent == "relative_phone" and reading.slots.get("relation", "any") != "any"
    )
    return not gives and NAME_ASKED.search(question.plain) is not None


def without_tomorrow(normalized: str) -> str:
    """The question with "i morgon" taken out: a day (tomorrow), not the morning."""
    return re.sub(r"\bi ?morgon\b", " ", normalized)


def parts_said(normalized: str) -> set[str]:
    """The parts of the day (morning, forenoon, afternoon, evening) a normalised question names."""
    said = without_tomorrow(normalized)
    return {part for part, pattern in PART_WORDS.items() if re.search(pattern, said)}


def supported_beyond_time(intent: str, question: Question) -> bool:
    """Supported by a word other than a day or a part of it: a reading not taken from a template
    of the question ("hur blir vädret i eftermiddag?" has no word of a schedule in it)."""
    times = "|".join([*PART_WORDS.values(), r"\bnatt\w*", r"\bi ?dag\b", r"\bdagen\b", r"today"])
    return supported(intent, re.sub(times, " ", question.plain))


def names_client(plain: str, client_ref: str, names: NameIndex, threshold: float) -> bool:
    """Some word (or two) of ``plain`` (normalised) is one of this client's names, give or take
    a misheard letter."""
    forms = [form for form, refs in names.forms.items() if client_ref in refs]
    words = plain.split()
    spans = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return any(fuzz.ratio(span, form) >= threshold for span in spans for form in forms)


# A medicine said is answered from a client's list or records: "när ska Siv ta Trombylen?" is
# not her visit's time.
_ABOUT_MEDICINE = frozenset({"medication", "records", "flags", "notes"})
_CLOCK_SAID = re.compile(r"\b(klockan|kl)\b|\b\d{1,2}:\d{2}\b|\boclock\b")


def _has_clock(reading: Recognition) -> bool:
    return any(isinstance(v, ClockTime) for v in reading.slots.values())


def agrees(reading: Recognition, question: Question, names: NameIndex, threshold: float) -> bool:
    """Use this reading as it is? False: ask the worker back instead."""
    if reading.intent == "unknown":
        return True  # nothing will be answered from it
    normalized = question.plain
    medicine = drugs_named(normalized) or classes_named(normalized)
    said_medicine = reading.intent == "medication" and bool(medicine)  # "Trombylen" is one
    if not supported(reading.intent, normalized) and not said_medicine:
        return False
    for pattern, intents in _DEMANDS:
        if re.search(pattern, normalized) and reading.intent not in intents:
            return False
    if reading.intent == "notes" and _MEAL.search(normalized):
        return False
    if reading.slots.get("flag_topic") == "diet" and _MEAL.search(normalized):
        return False  # "vad ska Anna äta till frukost?" is that meal, not all she eats
    role = reading.slots.get("role")
    if reading.intent == "escalation" and role in _ROLE_WORDS:
        asked = {r for r, pattern in _ROLE_WORDS.items() if re.search(pattern, normalized)}
        if asked and role not in asked:  # "sjuksköterskan" read as the coordinator
            return False
    if reading.intent in _TAKES_PART:
        said = parts_said(normalized)
        part = reading.slots.get("part_of_day")
        if part is not None and said and part not in said:  # read as another part
            return False
        if reading.intent in ("schedule", "schedule_count") and said and part is None:
            return False  # "förmiddagen" read as all day
        if part is None and len(said) == 1 and "visit_kind" not in reading.slots:
            return False  # the part dropped: another visit's answer ("kvällsbesöket" is a kind)
    if medicine and reading.intent not in _ABOUT_MEDICINE:
        return False
    if _CLOCK_SAID.search(normalized) and not _has_clock(reading):
        return False  # "när är jag hos Maria klockan tre" read without the three: another visit
    clients = reading.clients
    if reading.intent in _NEEDS_CLIENT and not clients:
        return False
    if reading.intent not in _WHAT_FOLLOWS and any(
        names_client(after.group(1), ref, names, threshold)
        for after in _AFTER.finditer(normalized)
        for ref in clients
    ):
        return False  # "vad gör jag efter Greta?" asks what comes after her, not her routine
    return all(names_client(normalized, ref, names, threshold) for ref in clients)
