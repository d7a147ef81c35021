"""Answer handlers: one pure function per intent, from the care data and the recognised slots
to a short spoken-style reply that cites every record it used. The answers live per family
(schedule, careplan, medication, people); this module maps intents to them and says a reading
back to the worker."""

from __future__ import annotations

from collections.abc import Callable

from device.answers.ask import Ask, Reply
from device.answers.careplan import flags, notes, records, routine
from device.answers.medication import medication
from device.answers.people import access, address, contact, escalation, possessive, relative_phone
from device.answers.phrases import PHRASES, join, say, term
from device.answers.plan import day_end, remaining, time_left, visit_length
from device.answers.schedule import next_visit, schedule, schedule_count, visit_time
from device.answers.visitors import visit_worker
from device.nlu.recognizer import Recognition

__all__ = ["HANDLERS", "NEEDS_DATA", "Ask", "Reply", "can_restate", "restate"]


def can_restate(lang: str, intent: str) -> bool:
    """Can a reading with this intent be said back to the worker? ("ja", "stopp": no.)"""
    return f"about_{intent}" in PHRASES.get(lang, {})


def restate(ask: Ask, rec: Recognition) -> str:
    """What a reading asks, said back to the worker: "adressen till Greta Lind"."""
    clients = [c for c in (ask.care.client(r) for r in rec.clients) if c is not None]
    if clients:
        name = join(ask.lang, [c.full_name for c in clients])
    else:
        name = say(ask.lang, "about_next")
    relation = rec.slots.get("relation", "any")
    if isinstance(relation, tuple):
        relation = relation[0] if relation else "any"
    role = "nurse" if rec.slots.get("role") == "nurse" else "coordinator"
    return say(
        ask.lang,
        f"about_{rec.intent}",
        name=name,
        owner=possessive(name, ask.lang),
        relation=term(ask.lang, str(relation))
        if relation != "any"
        else say(ask.lang, "about_someone"),
        role=say(ask.lang, f"role_{role}"),
    )


def help_(ask: Ask, rec: Recognition) -> Reply:
    return Reply(f"{say(ask.lang, 'disclosure')} {say(ask.lang, 'help')}")


def unknown(ask: Ask, rec: Recognition) -> Reply:
    return Reply(say(ask.lang, "unknown"), outcome="unknown")


Handler = Callable[[Ask, Recognition], Reply]

HANDLERS: dict[str, Handler] = {
    "next_visit": next_visit,
    "schedule": schedule,
    "schedule_count": schedule_count,
    "visit_time": visit_time,
    "visit_length": visit_length,
    "visit_worker": visit_worker,
    "day_end": day_end,
    "remaining": remaining,
    "time_left": time_left,
    "routine": routine,
    "notes": notes,
    "flags": flags,
    "medication": medication,
    "access": access,
    "address": address,
    "relative_phone": relative_phone,
    "escalation": escalation,
    "help": help_,
    "records": records,
    "contact": contact,
    "unknown": unknown,
}
# Intents that need care data; without it they get the "no data" answer.
NEEDS_DATA = frozenset(HANDLERS) - {"help", "unknown", "escalation"}
