"""Who makes a client's visit: "Vem av oss går till Ahmed efter lunch?", "Who has Märta this
morning?". The team's schedule names a worker on each visit (its Practitioner participant);
the answer says who, from that record alone, and says so when the schedule names nobody."""

from __future__ import annotations

from device.answers.ask import Ask, Cite, Reply, on_day, one_client, schedule_day
from device.answers.phrases import join, say, term
from device.answers.saytime import say_day, say_time
from device.care.model import Visit
from device.nlu.recognizer import Recognition

_MOST = 3  # visits said: a client has at most a few a day


def visit_worker(ask: Ask, rec: Recognition) -> Reply:
    """The worker of each of the client's visits that day (or part of it, or of that kind),
    the device's own worker said as "du"; a cancelled visit said as cancelled."""
    client = one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    day = schedule_day(ask, rec) if "day" in rec.slots else ask.today
    if isinstance(day, Reply):
        return day
    visits = on_day(ask, [v for v in ask.care.visits if v.client == client.ref], day)
    part = rec.slots.get("part_of_day")
    if isinstance(part, str) and part in ask.parts:
        visits = [v for v in visits if ask.in_part(v, part)]
    kind = rec.slots.get("visit_kind")
    if isinstance(kind, str):
        visits = ask.of_kind(visits, kind)
    cite = Cite()
    cite.add(client.ref)
    said_day = say_day(day, ask.today, ask.lang)
    if not visits:
        when = say(ask.lang, f"part_{part}") if isinstance(part, str) and part in ask.parts else ""
        when = when or said_day or say(ask.lang, "period_today")
        text = say(ask.lang, "no_team_visit", name=client.full_name, day=when)
        return cite.reply(text, outcome="unknown")
    items = [_item(ask, visit, cite) for visit in visits[:_MOST]]
    nobody = all(not _workers(visit) for visit in visits[:_MOST])
    text = say(
        ask.lang,
        "visit_worker",
        name=client.full_name,
        day=f" {said_day}" if said_day else "",
        items="; ".join(items),
    )
    return cite.reply(text, outcome="unknown" if nobody else "answered")


def _workers(visit: Visit) -> list[str]:
    return [p for p in visit.practitioners if p.startswith("Practitioner/")]


def _item(ask: Ask, visit: Visit, cite: Cite) -> str:
    """ "klockan åtta (morgon): Sofia Berg", "… : du", "… : inställt"."""
    cite.add(visit.ref, *_workers(visit))
    mine = ask.worker if "/" in ask.worker else f"Practitioner/{ask.worker}"
    names = []
    for ref in _workers(visit):
        worker = ask.care.practitioner(ref)
        if ask.worker and ref == mine:
            names.append(say(ask.lang, "visit_worker_you"))
        elif worker is not None:
            names.append(worker.full_name)
    who = join(ask.lang, names) if names else say(ask.lang, "visit_worker_nobody")
    if visit.cancelled:
        who = say(ask.lang, "visit_worker_cancelled", who=who)
    start = say_time(ask.local(visit.start), ask.lang)
    return say(ask.lang, "visit_worker_item", start=start, kind=term(ask.lang, visit.kind), who=who)
