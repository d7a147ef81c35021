"""Answers about medication: one client's orders, read exactly as recorded and marked
must-verify, and the medicine round across the day."""

from __future__ import annotations

import re

from device.answers.ask import (
    Ask,
    Cite,
    Reply,
    in_notes,
    name_of,
    one_client,
    schedule_day,
    sentences,
    verify,
)
from device.answers.phrases import capitalize, say
from device.answers.records import client_sentences
from device.answers.schedule import day_visits
from device.care.model import Client, Medication
from device.nlu.drugs import CLASS_NAMES, in_class
from device.nlu.recognizer import Recognition
from device.nlu.text import normalize

_PART_WORDS = {
    "morning": re.compile(r"morgon|frukost|morning|breakfast", re.IGNORECASE),
    "forenoon": re.compile(r"förmiddag|morgon|frukost|morning|breakfast", re.IGNORECASE),
    "afternoon": re.compile(r"eftermiddag|lunch|afternoon", re.IGNORECASE),
    "evening": re.compile(r"kväll|middag|sänggående|natt|evening|bedtime|night", re.IGNORECASE),
    "night": re.compile(r"natt|sänggående|night|bedtime", re.IGNORECASE),
}
# What a dosage as recorded says it is for ("1-2 tabletter vid smärta"), per complaint asked.
SYMPTOM_WORDS = {
    "pain": re.compile(r"smärt|värk|\bont\b|pain|ache", re.IGNORECASE),
    "sleep": re.compile(r"sömn|insomn|sleep", re.IGNORECASE),
    "anxiety": re.compile(r"\boro|ångest|anxi|restless", re.IGNORECASE),
    "nausea": re.compile(r"illamå|nause", re.IGNORECASE),
    "constipation": re.compile(r"förstopp|obstip|constipat", re.IGNORECASE),
    "stomach": re.compile(
        r"\bmag(e|en|besvär|syra|sår|skydd)\b|halsbränn|reflux|heartburn|stomach", re.IGNORECASE
    ),
}
_ANY_PART = re.compile("|".join(p.pattern for p in _PART_WORDS.values()), re.IGNORECASE)


def _med_text(med: Medication) -> str:
    return f"{med.name}: {'; '.join(med.dosage)}" if med.dosage else med.name


def _at_part(meds: list[Medication], part: str) -> list[Medication]:
    """The orders whose dosage names ``part`` of the day, or names no part (the worker checks
    those)."""
    return [
        m
        for m in meds
        if _PART_WORDS[part].search(" ".join(m.dosage)) or not _ANY_PART.search(" ".join(m.dosage))
    ]


def _medication_round(ask: Ask, rec: Recognition) -> Reply:
    """The medicines of the clients on the worker's round that day (or part of it), grouped by
    client in visit order, as recorded; a medicine whose dosage names another part of the day
    is left out, one that names none is kept (the worker checks it)."""
    day = schedule_day(ask, rec)
    if isinstance(day, Reply):
        return day
    cite = Cite()
    visits, period = day_visits(ask, rec, day)
    part = rec.slots.get("part_of_day")
    wanted = rec.slots.get("medicine")
    seen: list[str] = []
    items: list[str] = []
    for visit in (v for v in visits if v.booked):
        if visit.client in seen:
            continue
        seen.append(visit.client)
        meds = ask.care.medications_of(visit.client)
        if isinstance(wanted, str):
            meds = [m for m in meds if wanted.casefold() in normalize(m.name)]
        if isinstance(part, str) and part in _PART_WORDS:
            meds = _at_part(meds, part)
        if meds:
            cite.add(visit.ref, visit.client, *(m.ref for m in meds))
            texts = sentences([_med_text(m) for m in meds])
            items.append(f"{name_of(ask, visit.client)}: {texts}")
    if not items:
        text = capitalize(say(ask.lang, "round_none", period=period))
        return cite.reply(text, must_verify=True, outcome="must_verify")
    text = capitalize(say(ask.lang, "round", period=period, items=" ".join(items)))
    return cite.reply(verify(text, ask), must_verify=True, outcome="must_verify")


def medication(ask: Ask, rec: Recognition) -> Reply:
    if rec.slots.get("round"):
        return _medication_round(ask, rec)
    client = one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    cite = Cite()
    meds = ask.care.medications_of(client.ref)
    wanted = rec.slots.get("medicine")
    if isinstance(wanted, str):  # "hur mycket Waran ska Nils ha": that medicine only
        chosen = [m for m in meds if wanted.casefold() in normalize(m.name)]
        if not chosen:
            # Not on the list is not "not given": a flag or a routine may say who gives it
            # ("Insulin ges av sjuksköterska"). Every record is read before the list's answer.
            said = [
                hit
                for hit in client_sentences(client, ask.care)
                if hit.kind != "medication" and wanted.casefold() in normalize(hit.text)
            ]
            cite.add(*(m.ref for m in meds), *(hit.ref for hit in said), client.ref)
            if said:
                text = say(
                    ask.lang,
                    "medicine_elsewhere",
                    name=client.full_name,
                    medicine=wanted,
                    text=sentences([hit.text for hit in said]),
                )
            else:
                text = say(ask.lang, "no_such_medication", name=client.full_name, medicine=wanted)
            text += _the_list(ask, meds)
            return cite.reply(verify(text, ask), must_verify=True, outcome="must_verify")
        meds = chosen
    drug_class = rec.slots.get("drug_class")
    if isinstance(drug_class, str):  # "hennes blodförtunnande": the orders of that class
        return _of_class(ask, client, meds, drug_class)
    part = rec.slots.get("part_of_day")
    if isinstance(part, str) and part in _PART_WORDS:  # "vad ska Olle ha för medicin ikväll?"
        meds = _at_part(meds, part) or meds  # none for it: the whole list, each with its time
    symptom = rec.slots.get("symptom")
    if isinstance(symptom, str) and symptom in SYMPTOM_WORDS and meds:
        return _for_symptom(ask, client, meds, symptom)
    if not meds:
        cite.add(client.ref)
        text = say(ask.lang, "no_medication", name=client.full_name)
    else:
        cite.add(*(m.ref for m in meds), client.ref)
        items = [_med_text(m) for m in meds]
        text = say(ask.lang, "medication", name=client.full_name, text=sentences(items))
    return cite.reply(verify(text, ask), must_verify=True, outcome="must_verify")


def _the_list(ask: Ask, meds: list[Medication]) -> str:
    """ " På listan står: Waran: …": what the list holds, said beside a medicine not on it."""
    if not meds:
        return ""
    return " " + say(ask.lang, "on_the_list", text=sentences([_med_text(m) for m in meds]))


def _of_class(ask: Ask, client: Client, meds: list[Medication], key: str) -> Reply:
    """The orders of a class by the table in device/nlu/drugs.py, as recorded; none of it on the
    list, the list is said and the device says it does not know (never "she takes none")."""
    cite = Cite()
    chosen = [m for m in meds if in_class(m.name, key)]
    cite.add(*(m.ref for m in meds), client.ref)
    kind = CLASS_NAMES[ask.lang].get(key, key)
    if not meds:
        text = say(ask.lang, "no_medication", name=client.full_name)
        return cite.reply(verify(text, ask), must_verify=True, outcome="unknown")
    if chosen:  # the rest of the list beside: nothing on it is hidden by the table
        items = sentences([_med_text(m) for m in chosen])
        text = say(ask.lang, "medication_of_class", name=client.full_name, kind=kind, text=items)
        rest = [_med_text(m) for m in meds if m not in chosen]
        if rest:
            text += " " + say(ask.lang, "also_on_the_list", text=sentences(rest))
        return cite.reply(verify(text, ask), must_verify=True, outcome="must_verify")
    text = say(ask.lang, "no_medication_of_class", name=client.full_name, kind=kind)
    text += _the_list(ask, meds)
    return cite.reply(verify(text, ask), must_verify=True, outcome="unknown")


# A symptom whose medicines the table in device/nlu/drugs.py knows by class, when no dosage
# says what it is for.
_SYMPTOM_CLASS = {
    "pain": "painkiller",
    "sleep": "sleeping_pill",
    "anxiety": "sedative",
    "constipation": "laxative",
}


def _for_symptom(ask: Ask, client: Client, meds: list[Medication], symptom: str) -> Reply:
    """ "Vad får Siv ta mot smärta?": the orders whose dosage says they are for it, as recorded;
    none such, the orders of its class by the medicine table (Alvedon for pain); neither, the
    whole list, said to hold none written as for it (never a judgement of what may help)."""
    cite = Cite()
    chosen = [m for m in meds if SYMPTOM_WORDS[symptom].search(_med_text(m))]
    kind = _SYMPTOM_CLASS.get(symptom)
    if not chosen and kind and any(in_class(m.name, kind) for m in meds):
        return _of_class(ask, client, meds, kind)  # "Alvedon: 1 g vid behov": a painkiller
    said = say(ask.lang, f"symptom_{symptom}")
    cite.add(*(m.ref for m in chosen or meds), client.ref)
    items = sentences([_med_text(m) for m in chosen or meds])
    key = "medication_for" if chosen else "no_medication_for"
    text = say(ask.lang, key, name=client.full_name, symptom=said, text=items)
    # The list is not every record: a flag or a note may say what to do ("vid smärta, ring ssk").
    pattern = SYMPTOM_WORDS[symptom]
    noted = in_notes(
        ask, client, lambda hit: hit.kind != "medication" and bool(pattern.search(hit.text)), cite
    )
    text = f"{text} {noted}".strip()
    return cite.reply(verify(text, ask), must_verify=True, outcome="must_verify")
