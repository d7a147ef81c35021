"""The day's plan reasoned over (issue 39): how long a visit is, when the working day ends,
what is left from now, and the time until the next visit (and whether a break fits). Each
answer says the length or time asked for, never only another fact of the visit; all read the
worker's own booked visits and cite them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from device.answers.ask import (
    MAX_LISTED,
    Ask,
    Cite,
    Reply,
    at_clock,
    current_and_next,
    my_visits,
    name_of,
    on_day,
    one_client,
    schedule_day,
)
from device.answers.phrases import capitalize, join, say
from device.answers.saytime import say_time
from device.care.model import Visit
from device.nlu.recognizer import Recognition


def minutes(lang: str, span: timedelta) -> str:
    """ "45 minuter", "1 timme och 15 minuter", "2 hours"."""
    total = max(0, round(span.total_seconds() / 60))
    hours, mins = divmod(total, 60)
    parts = []
    if hours:
        unit = (
            ("timme" if hours == 1 else "timmar")
            if lang == "sv"
            else ("hour" if hours == 1 else "hours")
        )
        parts.append(f"{hours} {unit}")
    if mins or not hours:
        parts.append(f"{mins} {'minuter' if lang == 'sv' else 'minutes'}")
    return (" och " if lang == "sv" else " and ").join(parts)


def _today_booked(ask: Ask, rec: Recognition) -> list[Visit] | Reply:
    day = schedule_day(ask, rec)
    if isinstance(day, Reply):
        return day
    return [v for v in on_day(ask, my_visits(ask), day) if v.booked]


def visit_length(ask: Ask, rec: Recognition) -> Reply:
    """ "Hur länge är jag hos Anna på lunchen?": the visit's length, with its times."""
    client = one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    visits = _today_booked(ask, rec)
    if isinstance(visits, Reply):
        return visits
    theirs = [v for v in visits if v.client == client.ref]
    kind = rec.slots.get("visit_kind")
    if isinstance(kind, str):
        theirs = ask.of_kind(theirs, kind) or theirs
    cite = Cite()
    at = at_clock(ask, rec, theirs, client)  # "besöket hos Ahmed klockan nio": that one
    if isinstance(at, Reply):
        return at
    theirs = at
    part = rec.slots.get("part_of_day")
    if isinstance(part, str) and part in ask.parts:  # "på förmiddagen": that visit, no other
        theirs = [v for v in theirs if ask.in_part(v, part)]
        if not theirs:
            cite.add(client.ref)
            when = say(ask.lang, f"part_{part}")
            return cite.reply(say(ask.lang, "no_visit_for_day", name=client.full_name, day=when))
    if not theirs:
        cite.add(client.ref)
        today = say(ask.lang, "period_today")
        return cite.reply(say(ask.lang, "no_visit_for_day", name=client.full_name, day=today))
    # The coming (or current) visit first; else the day's last.
    visit = next((v for v in theirs if v.end > ask.now), theirs[-1])
    cite.add(visit.ref, client.ref)
    text = say(
        ask.lang,
        "visit_length",
        name=client.full_name,
        length=minutes(ask.lang, visit.end - visit.start),
        start=say_time(ask.local(visit.start), ask.lang),
        end=say_time(ask.local(visit.end), ask.lang),
    )
    return cite.reply(text)


def day_end(ask: Ask, rec: Recognition) -> Reply:
    """ "När är jag klar för dagen?": when the day's last visit ends, and whose it is."""
    visits = _today_booked(ask, rec)
    if isinstance(visits, Reply):
        return visits
    if not visits:
        return Reply(say(ask.lang, "schedule_none", period=say(ask.lang, "period_today")))
    last = visits[-1]
    cite = Cite()
    cite.add(last.ref, last.client)
    end = say_time(ask.local(last.end), ask.lang)
    return cite.reply(say(ask.lang, "day_end", name=name_of(ask, last.client), end=end))


def remaining(ask: Ask, rec: Recognition) -> Reply:
    """ "Vad har jag kvar resten av dagen?", "… i kväll?": the visits not yet over, in order."""
    today = _today_booked(ask, rec)
    if isinstance(today, Reply):
        return today
    part = rec.slots.get("part_of_day")
    when = ""
    if isinstance(part, str) and part in ask.parts:
        today = [v for v in today if ask.in_part(v, part)]
        when = say(ask.lang, f"part_{part}")
    # Only what is booked: a list of what is left is a "what is next" answer, and care-data.md
    # leaves cancelled visits out of those (a count of them says the cancelled, schedule.py).
    left = [v for v in today if v.end > ask.now]
    cite = Cite()
    if not left:
        text = say(ask.lang, "no_more_part", part=when) if when else say(ask.lang, "no_more")
        return cite.reply(text)
    items = []
    for visit in left[:MAX_LISTED]:
        cite.add(visit.ref, visit.client)
        items.append(
            say(
                ask.lang,
                "schedule_item",
                name=name_of(ask, visit.client),
                when=say_time(ask.local(visit.start), ask.lang),
            )
        )
    listed = join(ask.lang, items)
    if when:
        text = capitalize(say(ask.lang, "remaining_part", part=when, items=listed))
        return cite.reply(text)
    return cite.reply(capitalize(say(ask.lang, "remaining", items=listed)))


def time_left(ask: Ask, rec: Recognition) -> Reply:
    """ "Hur lång tid har jag till nästa besök?", "Hinner jag en paus på 20 minuter?": the time
    from now (or the end of the visit in progress) to the next visit's start."""
    mine = my_visits(ask)
    current, upcoming = current_and_next(mine, ask.now)
    if rec.slots.get("since"):  # "hur lång tid har jag mellan Greta och Anna?"
        return _between(ask, rec, mine)
    if rec.clients:  # "hinner jag äta lunch innan Greta?": until her visit, not just the next
        client = one_client(ask, rec)
        if isinstance(client, Reply):
            return client
        upcoming = next(
            (v for v in mine if v.booked and v.client == client.ref and v.start >= ask.now), None
        )
    if upcoming is None:
        return Reply(say(ask.lang, "no_more"))
    cite = Cite()
    cite.add(upcoming.ref, upcoming.client)
    free_from: datetime = ask.now
    if current is not None:
        cite.add(current.ref)
        free_from = current.end
    gap = upcoming.start - free_from
    text = say(
        ask.lang,
        "time_left",
        length=minutes(ask.lang, gap),
        name=name_of(ask, upcoming.client),
        when=say_time(ask.local(upcoming.start), ask.lang),
    )
    return cite.reply(_fits(ask, rec, gap, text))


def _fits(ask: Ask, rec: Recognition, gap: timedelta, text: str) -> str:
    """ "Ja, du hinner." or "Nej, det räcker inte." before ``text`` when a break was named."""
    wanted = rec.slots.get("break_minutes")
    if isinstance(wanted, int | float) and 0 < wanted <= 240:  # hassil's range gives a float
        fits = gap >= timedelta(minutes=float(wanted))
        return f"{say(ask.lang, 'break_fits' if fits else 'break_too_short')} {text}"
    return text


def _between(ask: Ask, rec: Recognition, mine: list[Visit]) -> Reply:
    """The time between one client's visit and another's today: from the end of the earlier to
    the start of the later: the nearest pair not yet over, in the order said if there is one."""
    client = one_client(ask, rec)
    since = one_client(ask, Recognition(rec.intent, rec.language, {"client": rec.slots["since"]}))
    for chosen in (client, since):
        if isinstance(chosen, Reply):  # "which Karin?": asked again whole, never half-chosen
            return replace(chosen, outcome="unknown")
    assert not isinstance(client, Reply) and not isinstance(since, Reply)
    if client.ref == since.ref:
        return Reply(say(ask.lang, "unknown"), outcome="unknown")
    today = [v for v in mine if v.booked and ask.local(v.start).date() == ask.today]
    kind = rec.slots.get("visit_kind")
    theirs = [v for v in today if v.client == client.ref]
    if isinstance(kind, str):
        theirs = ask.of_kind(theirs, kind) or theirs
    others = [v for v in today if v.client == since.ref]
    pairs = [
        (first, then)
        for a in theirs
        for b in others
        for first, then in ((b, a), (a, b))
        if first.end <= then.start
    ]
    # Not over first, then in the order said ("mellan Anna och Yusuf": Anna's first), nearest.
    pairs.sort(key=lambda p: (p[1].end <= ask.now, p[0].client != since.ref, p[1].start - p[0].end))
    cite = Cite()
    if not pairs:  # one of them has no visit today (or the two overlap: no time between)
        missing = next((c for c, v in ((client, theirs), (since, others)) if not v), None)
        if missing is None:
            return Reply(say(ask.lang, "unknown"), outcome="unknown")
        cite.add(missing.ref)
        day = say(ask.lang, "period_today")
        return cite.reply(say(ask.lang, "no_visit_for_day", name=missing.full_name, day=day))
    first, then = pairs[0]
    cite.add(first.ref, then.ref, first.client, then.client)
    text = say(
        ask.lang,
        "visit_gap",
        length=minutes(ask.lang, then.start - first.end),
        first=name_of(ask, first.client),
        end=say_time(ask.local(first.end), ask.lang),
        then=name_of(ask, then.client),
        start=say_time(ask.local(then.start), ask.lang),
    )
    # Other visits in the gap are said, and a break must fit between them: "mellan Greta och
    # Bertil" is not two hours free when Anna's lunch is in it.
    inside = sorted(
        (v for v in today if first.end <= v.start and v.end <= then.start),
        key=lambda v: v.start,
    )
    if not inside:
        return cite.reply(_fits(ask, rec, then.start - first.end, text))
    cite.add(*(v.ref for v in inside))
    said = [
        say(
            ask.lang,
            "visit_at",
            name=name_of(ask, v.client),
            time=say_time(ask.local(v.start), ask.lang),
        )
        for v in inside
    ]
    text = f"{text} {say(ask.lang, 'visits_between', visits=join(ask.lang, said))}"
    edges = [first.end, *(t for v in inside for t in (v.start, v.end)), then.start]
    free = max(edges[i + 1] - edges[i] for i in range(0, len(edges), 2))
    return cite.reply(_fits(ask, rec, free, text))
