"""Answers from a client's care plan: the routine of a visit, the notes, the flags (allergies,
pets, risks), and the records' own sentences."""

from __future__ import annotations

import re

from device.answers.ask import (
    HEALTH_WORDS,
    Ask,
    Cite,
    Reply,
    asked_day,
    current_and_next,
    my_visits,
    on_day,
    one_client,
    sentences,
    verify,
)
from device.answers.phrases import capitalize, join, say, term
from device.answers.records import LANGUAGES, client_sentences, gives_name, search
from device.answers.words import LANGUAGE_NAMES
from device.care.model import Client, Visit
from device.nlu.agreement import NAME_ASKED
from device.nlu.names import genitive
from device.nlu.recognizer import Recognition
from device.nlu.text import normalize

# A note on how to talk with the client belongs in a briefing: "Hör dåligt på vänster öra, tala
# tydligt" before the door, not after the worker has spoken into the deaf ear.
_COMMUNICATION = re.compile(
    r"\bhör\b|hörsel|hörapparat|\böra|döv|\bser dåligt|\bsyn\b|synen|glasögon|blind|\btalar\b|"
    r"förstår|språk|tolk|minne|glömsk|demens|hearing|deaf|glasses|sight|speaks|understands|"
    r"language|interpreter|memory|dementia",
    re.IGNORECASE,
)
_BRIEFING_MOST = 4  # sentences: what a worker holds in mind at the door
# One animal asked after ("har Olle nån katt?"): a record of another animal does not answer it.
_ANIMALS = {
    "dog": re.compile(r"hund|\bdogs?\b", re.IGNORECASE),
    "cat": re.compile(r"katt|\bcats?\b", re.IGNORECASE),
    "bird": re.compile(r"fågel|fåglar|undulat|papegoja|kanarie|\bbirds?\b", re.IGNORECASE),
}

# What a flag or note is about, for "does she have any …?" questions.
_TOPIC_WORDS = {
    "allergy": re.compile(r"allerg", re.IGNORECASE),
    "pet": re.compile(
        r"hund|katt|husdjur|djur|fågel|undulat|papegoja|kanin|marsvin|hamster|akvarie|"
        r"\bdog|\bcat|\bpet|\bbird",
        re.IGNORECASE,
    ),
    "equipment": re.compile(
        r"rollator|rullstol|lyft|hjälpmedel|sänggrind|larm|syrgas|kateter|walker|wheelchair|hoist",
        re.IGNORECASE,
    ),
    "risk": re.compile(r"risk|fara|varning|hazard|danger", re.IGNORECASE),
    # How the client walks and moves ("kan Anna gå själv?": "Fallrisk, använder rollator").
    "mobility": re.compile(
        r"\bfall|rollator|rullstol|lyft|gåstol|kryck|käpp|\bgår\b|\bgå\b|förflytt|"
        r"walker|wheelchair|hoist|crutch|\bcane\b|\bwalk",
        re.IGNORECASE,
    ),
    # What a worker keeps in mind when she cooks: allergies, a diet, food and drink.
    "diet": re.compile(
        r"allerg|överkänslig|kost\b|halal|koscher|diet|laktos|gluten|socker|diabet|svälj|"
        r"konsistens|vegetari|\bnöt|\bmat\b|matlåd|\bät|\bdrick|dryck|vatten|frukost|lunch|"
        r"middag|kvällsmat|mellanmål|gröt|\bfil\b|müsli|smörgås|soppa|potatis|kaffe|\bte\b|"
        r"allergy|allergic|lactose|sugar|swallow|food|drink|meal",
        re.IGNORECASE,
    ),
    "clinical": re.compile(
        r"diabetes|demens|hjärt|kol\b|astma|epilepsi|parkinson|stroke|cancer|sjukdom|diagnos|"
        r"disease|diagnos",
        re.IGNORECASE,
    ),
}


def routine(ask: Ask, rec: Recognition) -> Reply:
    cite = Cite()
    visit: Visit | None = None
    missing = ""  # "Du har inget besök hos Bertil på kvällen."
    if rec.slots.get("next"):
        current, upcoming = current_and_next(my_visits(ask), ask.now)
        visit = current or upcoming
        if visit is None:
            return cite.reply(say(ask.lang, "no_more"))
        client = ask.care.client(visit.client)
        if client is None:
            return Reply(say(ask.lang, "unknown_client"), outcome="unknown")
    else:
        found = one_client(ask, rec)
        if isinstance(found, Reply):
            return found
        client = found
        theirs = [v for v in my_visits(ask) if v.client == client.ref and v.booked]
        day = asked_day(ask, rec)
        if "day" in rec.slots and day is not None:  # that day's visit decides the routine
            theirs = on_day(ask, theirs, day)
        part = rec.slots.get("part_of_day")
        if isinstance(part, str) and part in ask.parts:  # "hos Elsa i kväll": its kind
            theirs = [v for v in theirs if ask.in_part(v, part)]
            if not theirs:  # said first: the routines read next are for other visits
                missing = say(
                    ask.lang,
                    "no_visit_for_day",
                    name=client.full_name,
                    day=say(ask.lang, f"part_{part}"),
                )
        visit = next((v for v in theirs if v.end > ask.now), theirs[0] if theirs else None)
    kind_slot = rec.slots.get("visit_kind")
    kind = str(kind_slot) if kind_slot else (visit.kind if visit else "")
    plans = ask.care.careplans_of(client.ref)
    activities = [(plan, a) for plan in plans for a in plan.activities]
    if not activities:
        cite.add(client.ref)
        return cite.reply(say(ask.lang, "no_routine", name=client.full_name))
    chosen = [(p, a) for p, a in activities if kind and a.kind.lower() == kind.lower()]
    if chosen:
        if visit is not None and not kind_slot:
            cite.add(visit.ref)
        cite.add(*(p.ref for p, _ in chosen), client.ref)
        spoken = [a.description for _, a in chosen]
        text = say(
            ask.lang,
            "routine",
            name=client.full_name,
            kind=term(ask.lang, kind),
            text=sentences(spoken),
        )
        others = sorted({term(ask.lang, a.kind) for _, a in activities if (_, a) not in chosen})
        others = [k for k in others if k and k != term(ask.lang, kind)]
        if others:
            text += " " + say(ask.lang, "routine_other", kinds=join(ask.lang, others))
    else:
        cite.add(*(p.ref for p, _ in activities), client.ref)
        spoken = [
            f"{capitalize(term(ask.lang, a.kind))}: {a.description}" if a.kind else a.description
            for _, a in activities
        ]
        text = say(ask.lang, "routine_all", name=client.full_name, text=sentences(spoken))
        text = f"{missing} {text}" if missing else text
    if any(HEALTH_WORDS.search(s) for s in spoken):
        return cite.reply(verify(text, ask), must_verify=True, outcome="must_verify")
    return cite.reply(text)


def notes(ask: Ask, rec: Recognition) -> Reply:
    client = one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    if rec.slots.get("brief"):
        return _briefing(ask, client)
    if rec.slots.get("about") == "language":
        return _language(ask, client)
    cite = Cite()
    texts: list[str] = []
    for plan in ask.care.careplans_of(client.ref):
        if plan.notes:
            cite.add(plan.ref)
            texts.extend(plan.notes)
    cite.add(client.ref)
    extra = []
    if client.nicknames:
        extra.append(say(ask.lang, "called", name=client.given, nick=client.nicknames[0]))
    if speaks := _speaks(ask, client):
        extra.append(speaks)
    if not texts and not extra:
        return cite.reply(say(ask.lang, "no_notes", name=client.full_name))
    body = say(ask.lang, "notes", name=client.full_name, text=sentences(texts)) if texts else ""
    return cite.reply(" ".join(x for x in (body, *extra) if x))


def _spoken(ask: Ask, client: Client) -> list[str]:
    """The languages her Patient record lists, by name in the question's language."""
    names = LANGUAGE_NAMES[ask.lang]
    return [names.get(code.split("-")[0], code) for code in client.languages]


def _speaks(ask: Ask, client: Client) -> str:
    """ "Yusuf talar somaliska.", from the languages the record lists besides Swedish; or ""."""
    spoken = [lang for lang in _spoken(ask, client) if lang != LANGUAGE_NAMES[ask.lang]["sv"]]
    if not spoken:
        return ""
    return say(ask.lang, "speaks", name=client.given, languages=join(ask.lang, spoken))


_LANGUAGE = re.compile(r"\b(språk\w*|tolk\w*|language|interpreter)\b")
_LANGUAGE_WORDS = frozenset(LANGUAGES) | {
    n.casefold() for names in LANGUAGE_NAMES.values() for n in names.values()
}


def _of_language(note: str) -> bool:
    """Does a note speak of language ("Talar finska", "behöver tolk"), not "pratar fotboll"?"""
    words = set(note.casefold().replace(",", " ").replace(".", " ").split())
    return bool(_LANGUAGE.search(note.casefold()) or words & _LANGUAGE_WORDS)


def _language(ask: Ask, client: Client) -> Reply:
    """ "Vilket språk pratar Leila?": the languages her record lists, and each note about
    language as recorded ("Talar finska, förstår svenska bra."); neither, said so."""
    cite = Cite()
    spoken = _spoken(ask, client)
    noted = [n for p in ask.care.careplans_of(client.ref) for n in p.notes if _of_language(n)]
    cite.add(*(p.ref for p in ask.care.careplans_of(client.ref) if set(p.notes) & set(noted)))
    cite.add(client.ref)
    if not spoken and not noted:
        return cite.reply(say(ask.lang, "no_language", name=client.full_name), outcome="unknown")
    said = say(ask.lang, "speaks", name=client.given, languages=join(ask.lang, spoken))
    body = say(ask.lang, "notes", name=client.full_name, text=sentences(noted)) if noted else ""
    return cite.reply(" ".join(x for x in (said if spoken else "", body) if x))


def _briefing(ask: Ask, client: Client) -> Reply:
    """Before the door: the client's flags, safety first; then what the notes say of talking with
    them (hearing, sight, language, memory); then the plan's points for the coming visit (its
    kind). At most four recorded texts, each as recorded, with their sources."""
    cite = Cite()
    order = {"safety": 0, "clinical": 1}
    flagged = sorted(ask.care.flags_of(client.ref), key=lambda f: order.get(f.category.lower(), 2))
    texts = [f.text for f in flagged[:3]]
    cite.add(*(f.ref for f in flagged[:3]))
    plans = ask.care.careplans_of(client.ref)
    for plan in plans:
        for note in plan.notes:
            if _COMMUNICATION.search(note) and len(texts) < _BRIEFING_MOST:
                texts.append(note)
                cite.add(plan.ref)
    theirs = [v for v in my_visits(ask) if v.client == client.ref and v.booked]
    visit = next((v for v in theirs if v.end > ask.now), None)
    for plan in plans:
        for activity in plan.activities:
            fits = visit is None or not activity.kind or activity.kind == visit.kind
            if fits and len(texts) < _BRIEFING_MOST:
                texts.append(activity.description)
                cite.add(plan.ref)
    cite.add(client.ref)
    speaks = _speaks(ask, client)  # from the Patient record: the language to greet them in
    if not texts and not speaks:
        return cite.reply(say(ask.lang, "no_flags_any", name=client.full_name))
    body = say(ask.lang, "briefing", name=client.full_name, text=sentences(texts)) if texts else ""
    text = " ".join(x for x in (body, speaks) if x)
    if any(f.clinical for f in flagged[:3]) or any(HEALTH_WORDS.search(t) for t in texts):
        return cite.reply(verify(text, ask), must_verify=True, outcome="must_verify")
    return cite.reply(text)


def flags(ask: Ask, rec: Recognition) -> Reply:
    client = one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    cite = Cite()
    topic = str(rec.slots.get("flag_topic") or "any")
    animal = rec.slots.get("animal")
    if topic == "pet" and isinstance(animal, str) and animal in _ANIMALS:
        return _animal(ask, client, animal)
    found = ask.care.flags_of(client.ref)
    if topic == "risk":
        found = [
            f
            for f in found
            if f.category.lower() == "safety" or _TOPIC_WORDS["risk"].search(f.text)
        ]
    elif topic == "diet":
        return _diet(ask, client)
    elif topic == "clinical":  # "har Gunnel någon sjukdom": the clinical flags
        found = [f for f in found if f.clinical]
    elif topic in _TOPIC_WORDS:
        found = [f for f in found if _TOPIC_WORDS[topic].search(f.text)]
    if not found:
        return _no_flag_of_topic(ask, client, topic)
    cite.add(*(f.ref for f in found), client.ref)
    text = say(ask.lang, "flags", name=client.full_name, text=sentences([f.text for f in found]))
    if any(f.clinical for f in found):
        return cite.reply(verify(text, ask), must_verify=True, outcome="must_verify")
    return cite.reply(text)


def _animal(ask: Ask, client: Client, animal: str) -> Reply:
    """ "Har Olle nån katt?": the records of that animal, as for any pet; none, but another
    animal recorded ("Hunden Rex kan morra"), that is said as what the records hold of animals,
    and the cat as not found: an honest "I don't know", never "no cat"."""
    pets = [h for h in client_sentences(client, ask.care) if _TOPIC_WORDS["pet"].search(h.text)]
    if not pets or any(_ANIMALS[animal].search(h.text) for h in pets):
        return _no_flag_of_topic(ask, client, "pet")  # that animal's records, or none at all
    cite = Cite()
    cite.add(*(h.ref for h in pets[:3]), client.ref)
    said = sentences([h.text for h in pets[:3]])
    what = say(ask.lang, f"animal_{animal}")
    text = say(ask.lang, "no_such_animal", name=client.full_name, animal=what, text=said)
    return cite.reply(text, outcome="unknown")


def _no_flag_of_topic(ask: Ask, client: Client, topic: str) -> Reply:
    """No flag of this topic: a negative is a claim, so every record of the client is read
    first. A sentence about the topic anywhere (the cat named in the plan's notes) is quoted
    with its source; with none, the answer says what was read and found nothing, never that
    the client has none."""
    cite = Cite()
    recorded = client_sentences(client, ask.care)
    pattern = _TOPIC_WORDS.get(topic)
    hits = [h for h in recorded if pattern is not None and pattern.search(h.text)]
    if hits:
        hits = hits[:3]
        cite.add(*(h.ref for h in hits), client.ref)
        text = say(
            ask.lang, "records", name=client.full_name, text=sentences([h.text for h in hits])
        )
        if any(h.clinical or HEALTH_WORDS.search(h.text) for h in hits):
            return cite.reply(verify(text, ask), must_verify=True, outcome="must_verify")
        return cite.reply(text)
    read = [h.ref for h in recorded]
    cite.add(*read, client.ref)
    key = f"no_flags_{topic}" if topic in _TOPIC_WORDS or topic == "any" else "no_flags_any"
    # Nothing found is not knowing: an honest "I don't know", citing what was read.
    return cite.reply(say(ask.lang, key, name=client.full_name), outcome="unknown")


def records(ask: Ask, rec: Recognition) -> Reply:
    """Sentences of one client's records that answer the question, read as recorded."""
    if rec.slots.get("across") is True and len(rec.clients) > 1:
        return _across(ask, rec)
    client = one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    question = str(rec.slots.get("about", ""))
    names = set(normalize(" ".join((client.given, client.family, *client.nicknames))).split())
    names |= {genitive(n) for n in names}
    found = rec.slots.get("found")  # the sentences nearest in meaning (device/readers.py)
    if isinstance(found, tuple):
        recorded = client_sentences(client, ask.care)
        hits = [recorded[int(i)] for i in found if str(i).isdigit() and int(i) < len(recorded)]
    else:
        hits = search(ask.care, client, question, names, ask.lang)
    if not hits:
        return Reply(say(ask.lang, "unknown"), outcome="unknown")
    cite = Cite()
    cite.add(*(h.ref for h in hits), client.ref)
    # "Vad heter Bertils hund?" is not answered by "Hund i lägenheten, snäll": no name in it.
    unsure = rec.slots.get("nearest") == "unsure"
    unsure = unsure or (NAME_ASKED.search(normalize(question)) and not any(map(gives_name, hits)))
    if unsure:  # the nearest the records come, not an answer
        text = say(
            ask.lang, "records_near", name=client.full_name, text=sentences([h.text for h in hits])
        )
        return cite.reply(text, must_verify=any(h.clinical for h in hits), outcome="clarify")
    text = say(ask.lang, "records", name=client.full_name, text=sentences([h.text for h in hits]))
    if any(h.clinical or HEALTH_WORDS.search(h.text) for h in hits):
        return cite.reply(verify(text, ask), must_verify=True, outcome="must_verify")
    return cite.reply(text)


def _across(ask: Ask, rec: Recognition) -> Reply:
    """A question asked of every client ("vilka av brukarna har husdjur?"): what each one's own
    records say of it, read as recorded, client by client (device/readers.across_clients)."""
    question = str(rec.slots.get("about", ""))
    cite, parts, clinical = Cite(), [], False
    for client in (c for c in map(ask.care.client, rec.clients) if c is not None):
        hits = search(ask.care, client, question, set(), ask.lang)
        if hits:
            cite.add(*(h.ref for h in hits), client.ref)
            text = sentences([h.text for h in hits])
            parts.append(say(ask.lang, "records", name=client.full_name, text=text))
            clinical = clinical or any(h.clinical or HEALTH_WORDS.search(h.text) for h in hits)
    if not parts:
        return Reply(say(ask.lang, "unknown"), outcome="unknown")
    if clinical:
        return cite.reply(verify(" ".join(parts), ask), must_verify=True, outcome="must_verify")
    return cite.reply(" ".join(parts))


def _diet(ask: Ask, client: Client) -> Reply:
    """ "Vad ska jag tänka på när jag lagar mat åt Karin?": what her flags, notes and routines
    say of food and drink (a pet's food is not hers), read as recorded, flags first; medication
    is asked for on its own. Nothing recorded: said so, as for any flag (never that she may eat
    anything)."""
    pet = _TOPIC_WORDS["pet"]
    found = [
        h
        for h in client_sentences(client, ask.care)
        if h.kind != "medication" and _TOPIC_WORDS["diet"].search(h.text) and not pet.search(h.text)
    ]
    order = {"flag": 0, "note": 1, "routine": 2}
    hits = sorted(found, key=lambda h: order.get(h.kind, 3))[:_BRIEFING_MOST]
    if not hits:
        return _no_flag_of_topic(ask, client, "any")
    cite = Cite()
    cite.add(*(h.ref for h in hits), client.ref)
    spoken, said = [], ""
    for hit in hits:  # a routine's visit said once before its sentences ("Frukost: fil …")
        visit = capitalize(term(ask.lang, hit.visit)) if hit.kind == "routine" else ""
        spoken.append(f"{visit}: {hit.text}" if visit and visit != said else hit.text)
        said = visit
    text = say(ask.lang, "flags", name=client.full_name, text=sentences(spoken))
    if any(h.clinical for h in hits):
        return cite.reply(verify(text, ask), must_verify=True, outcome="must_verify")
    return cite.reply(text)
