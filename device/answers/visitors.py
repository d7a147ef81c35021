"""A client's visits that day, one by one. Who makes each: "Vem av oss går till Ahmed efter
lunch?", "Who has Märta this morning?" (the team's schedule names a worker on each visit, its
Practitioner participant; the answer says who from that record alone, and says so when it
names nobody). And which one is the second: "What time is the second visit at Ahmed's?"."""

from __future__ import annotations

from device.answers.ask import (
    Ask,
    Cite,
    Reply,
    at_clock,
    my_visits,
    on_day,
    one_client,
    schedule_day,
)
from device.answers.phrases import join, say, term
from device.answers.saytime import say_day, say_time
from device.care.model import Visit
from device.nlu.recognizer import Recognition

_MOST = 3  # visits said: a client has at most a few a day


def visit_worker(ask: Ask, rec: Recognition) -> Reply:
    """The worker of each of the client's visits that day (or part of it, of that kind, at that
    clock time, or the nth: "vem tar Ahmed klockan ett?", "who's doing Ahmed's second visit?"),
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
    at = at_clock(ask, rec, visits, client)
    if isinstance(at, Reply):
        return at
    visits = _nth(sorted(at, key=lambda v: v.start), rec.slots.get("nth"))
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


def _nth(visits: list[Visit], nth: object) -> list[Visit]:
    """The nth of the day's visits (-1 the last); all of them when none is asked or there are
    fewer (each then said with its time, so nothing is guessed)."""
    if not isinstance(nth, int) or nth == 0 or abs(nth) > len(visits):
        return visits
    return [visits[nth - 1] if nth > 0 else visits[-1]]


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


def nth_visit(ask: Ask, rec: Recognition) -> Reply:
    """The client's first, second … or last visit of the day (``nth``; -1 the last), counted
    with the cancelled ones as the schedule lists them; a cancelled one is said as cancelled.
    Fewer visits than that: how many there are, an honest miss."""
    client = one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    day = schedule_day(ask, rec) if "day" in rec.slots else ask.today
    nth = rec.slots.get("nth")
    if isinstance(day, Reply) or not isinstance(nth, int):
        return day if isinstance(day, Reply) else Reply(say(ask.lang, "unknown"), outcome="unknown")
    theirs = [v for v in my_visits(ask) if v.client == client.ref and (v.booked or v.cancelled)]
    visits = sorted(on_day(ask, theirs, day), key=lambda v: v.start)
    cite = Cite()
    if not visits or nth > len(visits) or nth == 0:
        cite.add(client.ref, *(v.ref for v in visits))
        text = say(ask.lang, "visits_that_day", name=client.full_name, count=len(visits))
        return cite.reply(text, outcome="unknown")
    visit = visits[nth - 1] if nth > 0 else visits[-1]
    cite.add(visit.ref, client.ref)
    if visit.cancelled:
        return cite.reply(
            say(ask.lang, "cancelled", name=client.full_name, when=ask.when(visit.start))
        )
    said_day = say_day(day, ask.today, ask.lang)
    start = say_time(ask.local(visit.start), ask.lang)
    day_said = f" {said_day}" if said_day else ""
    return cite.reply(say(ask.lang, "starts", name=client.full_name, start=start, day=day_said))
