"""What the LLM may say, and what it means: a JSON schema generated from the intents and the
names, relations and visit kinds in the store (all enums), and the mapping of the model's JSON
to the same Recognition a template gives. Pure: no model here (see llm.py).

The LLM only picks an intent and slots. It never writes an answer, can't confirm an access code
and can't reach anything but the read-only answer handlers.
"""

from __future__ import annotations

import json
from typing import Any

from device.care.model import CareData
from device.nlu.names import NameIndex
from device.nlu.recognizer import UNKNOWN, Recognition
from device.nlu.text import normalize

INTENTS = (
    "next_visit",
    "schedule",
    "schedule_count",
    "visit_time",
    "routine",
    "notes",
    "flags",
    "medication",
    "access",
    "address",
    "relative_phone",
    "escalation",
    "help",
    UNKNOWN,
)
NEEDS_CLIENT = frozenset(
    {"visit_time", "notes", "flags", "medication", "access", "address", "relative_phone"}
)
FLAG_TOPICS = ("allergy", "risk", "pet", "equipment")
PARTS = ("morning", "forenoon", "afternoon", "evening")
ROLES = ("nurse", "coordinator")

SYSTEM_PROMPT = (
    "You classify a home-care worker's question (Swedish or English) as JSON: what is asked "
    "(intent), which client is named (client, or none) and a detail word (or none). "
    "Intents: next_visit (who or where next), schedule (visits today or in part of the day), "
    "schedule_count (how many visits), visit_time (when a client's visit starts or ends), "
    "routine (tasks to do at a client's), notes (what a client likes, what to know), flags "
    "(allergies, tolerating something, risks, pets, walking aids), medication (medicines, "
    "pills), access (door code, key, getting in), address (where a client lives), "
    "relative_phone (phoning a relative), escalation (the nurse or the coordinator), help "
    "(what you can do), unknown (anything else)."
)
EXAMPLES = (
    ("Vem ska jag hälsa på sen?", {"intent": "next_visit", "client": "none", "detail": "none"}),
    ("Vilka besök väntar i kväll?", {"intent": "schedule", "client": "none", "detail": "evening"}),
    (
        "Hur många kunder blir det?",
        {"intent": "schedule_count", "client": "none", "detail": "none"},
    ),
    (
        "Hur dags ska jag vara hos Anna?",
        {"intent": "visit_time", "client": "Anna", "detail": "start"},
    ),
    ("Vad behöver göras hos Greta?", {"intent": "routine", "client": "Greta", "detail": "none"}),
    ("Vad gillar Bertil?", {"intent": "notes", "client": "Bertil", "detail": "none"}),
    ("Tål Anna nötter?", {"intent": "flags", "client": "Anna", "detail": "allergy"}),
    ("Har Yusuf katt?", {"intent": "flags", "client": "Yusuf", "detail": "pet"}),
    (
        "Vilka tabletter ska Bertil ta?",
        {"intent": "medication", "client": "Bertil", "detail": "none"},
    ),
    ("Hur kommer jag in till Yusuf?", {"intent": "access", "client": "Yusuf", "detail": "none"}),
    ("Vilken gata bor Greta på?", {"intent": "address", "client": "Greta", "detail": "none"}),
    (
        "Jag vill ringa Bertils son",
        {"intent": "relative_phone", "client": "Bertil", "detail": "son"},
    ),
    ("Ge mig sköterskans nummer", {"intent": "escalation", "client": "none", "detail": "nurse"}),
    ("Vad kan du göra?", {"intent": "help", "client": "none", "detail": "none"}),
    ("Vad blir det för väder?", {"intent": "unknown", "client": "none", "detail": "none"}),
)


def _client_names(care: CareData) -> list[str]:
    names = set()
    for client in care.clients:
        names.update({client.full_name, client.given, *client.nicknames})
    return sorted(n for n in names if n)


def _details(care: CareData) -> list[str]:
    kinds = {v.kind.lower() for v in care.visits if v.kind}
    kinds |= {a.kind.lower() for p in care.careplans for a in p.activities if a.kind}
    relations = {r.relation.lower() for r in care.relatives}
    fixed = [*FLAG_TOPICS, *PARTS, *ROLES, "start", "end", "next"]
    return ["none", *fixed, *sorted((relations | kinds) - set(fixed))]


def schema(care: CareData) -> dict[str, Any]:
    """The JSON schema the model's output must match; every string is from an enum."""
    return {
        "type": "object",
        "properties": {
            "intent": {"enum": list(INTENTS)},
            "client": {"enum": ["none", *_client_names(care)]},
            "detail": {"enum": _details(care)},
        },
        "required": ["intent", "client", "detail"],
    }


def to_recognition(output: str, care: CareData, names: NameIndex, language: str) -> Recognition:
    """The model's JSON as a Recognition; anything invalid is the unknown intent."""
    unknown = Recognition(UNKNOWN, language, via="llm")
    try:
        data = json.loads(output)
    except (ValueError, TypeError):
        return unknown
    if not isinstance(data, dict):
        return unknown
    intent, client, detail = data.get("intent"), data.get("client"), data.get("detail")
    if intent not in INTENTS or intent == UNKNOWN:
        return unknown
    if not isinstance(client, str) or not isinstance(detail, str):
        return unknown
    allowed = schema(care)["properties"]
    if client not in allowed["client"]["enum"] or detail not in allowed["detail"]["enum"]:
        return unknown
    slots: dict[str, Any] = {}
    if client != "none":
        refs = names.forms.get(normalize(client), ())
        if not refs:
            return unknown
        slots["client"] = refs
    if intent in NEEDS_CLIENT and "client" not in slots:
        return unknown
    if intent == "flags":
        slots["flag_topic"] = detail if detail in FLAG_TOPICS else "any"
    elif intent in ("schedule", "schedule_count") and detail in PARTS:
        slots["part_of_day"] = detail
    elif intent == "escalation":
        slots["role"] = detail if detail in ROLES else "coordinator"
    elif intent == "visit_time":
        slots["boundary"] = "end" if detail == "end" else "start"
    elif intent == "routine":
        if detail == "next" or "client" not in slots:
            slots = {"next": True}
        elif detail not in ("none", *FLAG_TOPICS, *PARTS, *ROLES, "start", "end"):
            slots["visit_kind"] = detail.capitalize()
    elif intent == "relative_phone":
        slots["relation"] = (
            (detail,)
            if detail not in ("none", *FLAG_TOPICS, *PARTS, *ROLES, "start", "end", "next")
            else "any"
        )
    return Recognition(str(intent), language, slots, via="llm")
