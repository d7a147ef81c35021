"""Swedish words for the codes in the statistics, for pages, charts and the report. The codes
themselves stay in the CSV and the API."""

from __future__ import annotations

OUTCOME_NAMES = {
    "answered": "besvarade",
    "must_verify": "besvarade, måste kontrolleras",
    "gated": "kod begärd",
    "unknown": "kunde inte svara",
    "escalated": "hänvisade till sjuksköterska/samordnare",
    "ambiguous": "frågade vem som menades",
    "clarify": "frågade tillbaka om det den förstått",
    "no_data": "ingen vårddata",
    "error": "fel i programmet",
}

INTENT_NAMES = {
    "next_visit": "nästa besök",
    "schedule": "dagens schema",
    "schedule_count": "antal besök",
    "visit_time": "tid för besök",
    "routine": "vad ska göras",
    "notes": "anteckningar",
    "flags": "allergier och risker",
    "medication": "läkemedel",
    "access": "portkod/nyckel",
    "address": "adress",
    "relative_phone": "anhörigs telefon",
    "escalation": "vem ska jag ringa",
    "help": "hjälp",
    "confirm": "bekräftelse (ja)",
    "choose_client": "val av brukare",
    "deny": "nej",
    "records": "sökning i journalanteckningar",
    "contact": "kontaktperson",
    "repeat": "upprepa",
    "stop": "stopp",
    "feedback": "omdöme (bra/fel)",
    "visit_length": "besökets längd",
    "day_end": "när dagen slutar",
    "remaining": "kvar i dag",
    "time_left": "tid till nästa besök",
    "visit_worker": "vem som går till en brukare",
    "new_question": "ny fråga",
    "unknown": "förstod inte frågan",
}

PATH_NAMES = {
    "template": "mall",
    "template-fuzzy": "mall, namn tolkat",
    "records": "sökning i anteckningar",
    "similar": "liknande fråga",
    "llm": "språkmodell",
    "none": "inget svar",
}

SIGNAL_NAMES = {
    "good": "bra",
    "bad": "fel",
    "repeat": "upprepad fråga",
}


def label(names: dict[str, str], code: str) -> str:
    """The Swedish words for ``code``; an unknown code is shown as it is."""
    return names.get(code, code)
