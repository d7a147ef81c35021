"""Answers about the schedule: the next visit, a day's visits and their count, a visit's time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from device.answers.ask import (
    AT_WINDOW,
    MAX_LISTED,
    Ask,
    Cite,
    Reply,
    after_theirs,
    asked_day,
    at_clock,
    current_and_next,
    my_visits,
    name_of,
    on_day,
    one_client,
    past,
    schedule_day,
)
from device.answers.phrases import capitalize, join, say, term
from device.answers.saytime import say_day, say_time
from device.answers.visitors import nth_visit
from device.care.model import Client, Visit
from device.nlu.numbers import EN_HOUR_WORDS, SV_HOUR_WORDS
from device.nlu.recognizer import Recognition


def next_visit(ask: Ask, rec: Recognition) -> Reply:
    day = asked_day(ask, rec)
    order = rec.slots.get("order")
    if order in ("after", "before"):
        return _beside(ask, rec, str(order))
    if order in ("first", "last") and not (order == "first" and _under_way(ask, rec)):
        return _end_of_day(ask, rec, str(order))
    if day != ask.today:  # "vem är min första kund i morgon": that day's first visit
        return _end_of_day(ask, rec, "first")
    cite = Cite()
    mine = my_visits(ask)
    current, upcoming = current_and_next(mine, ask.now)
    part = rec.slots.get("part_of_day")
    if isinstance(part, str) and part in ask.parts:  # "vem är nästa i kväll?": the next of then
        upcoming = next(
            (v for v in mine if v.booked and v.start >= ask.now and ask.in_part(v, part)), None
        )
        if upcoming is None:
            return cite.reply(say(ask.lang, "no_more_part", part=say(ask.lang, f"part_{part}")))
    parts = []
    if current:
        cite.add(current.ref, current.client)
        end = say_time(ask.local(current.end), ask.lang)
        parts.append(say(ask.lang, "current", name=name_of(ask, current.client), end=end))
    if upcoming is None:
        parts.append(say(ask.lang, "no_more"))
        return cite.reply(" ".join(parts))
    client = ask.care.client(upcoming.client)
    cite.add(upcoming.ref, upcoming.client)
    name = client.full_name if client else upcoming.client
    parts.append(
        say(
            ask.lang,
            "next",
            name=name,
            when=ask.when(upcoming.start),
            kind=term(ask.lang, upcoming.kind),
        )
    )
    if client and client.address:
        parts.append(say(ask.lang, "next_where", address=client.address))
    return cite.reply(" ".join(parts))


def _beside(ask: Ask, rec: Recognition, order: str) -> Reply:
    """The visit after (or before) the named client's visit that day, in the worker's order."""
    client = one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    day = schedule_day(ask, rec)
    if isinstance(day, Reply):
        return day
    cite = Cite()
    booked = [v for v in on_day(ask, my_visits(ask), day) if v.booked]
    theirs = [i for i, v in enumerate(booked) if v.client == client.ref]
    part = rec.slots.get("part_of_day")  # "who's after Ahmed this morning": his morning visit
    part = part if isinstance(part, str) and part in ask.parts else None
    if part is not None:
        theirs = [i for i in theirs if ask.in_part(booked[i], part)]
    if not theirs:
        cite.add(client.ref)
        when_day = say_day(day, ask.today, ask.lang) or say(ask.lang, "period_today")
        if part is not None:
            when_day = f"{when_day} {say(ask.lang, f'part_{part}')}"
        return cite.reply(say(ask.lang, "no_visit_for_day", name=client.full_name, day=when_day))
    # The client's visit nearest now anchors the order: at 15:50, "who comes after Leila?" is
    # after the visit that ended at 15:45, not after her 22:30 one.
    index = min(theirs, key=lambda i: _distance(ask.now, booked[i].start, booked[i].end))
    other_index = index + 1 if order == "after" else index - 1
    cite.add(booked[index].ref)
    if not 0 <= other_index < len(booked):
        return cite.reply(say(ask.lang, f"none_{order}", name=client.full_name))
    other = booked[other_index]
    cite.add(other.ref, other.client)
    text = say(
        ask.lang,
        f"visit_{order}",
        name=client.full_name,
        other=name_of(ask, other.client),
        when=say_time(ask.local(other.start), ask.lang),
        kind=term(ask.lang, other.kind),
    )
    return cite.reply(text)


def _distance(now: datetime, start: datetime, end: datetime) -> timedelta:
    """How far ``now`` is from a visit: nothing while it lasts."""
    return max(start - now, now - end, timedelta(0))


def _under_way(ask: Ask, rec: Recognition) -> bool:
    """Has the part of the day asked about begun today, with a visit of it? Then "who's first
    up after lunch?" at 12:30 asks for the next visit of it, not the 12:00 one she is at."""
    part = rec.slots.get("part_of_day")
    if not isinstance(part, str) or part not in ask.parts or "day" in rec.slots:
        return False
    visits = on_day(ask, my_visits(ask), ask.today)
    return any(v.booked and v.start < ask.now and ask.in_part(v, part) for v in visits)


def _end_of_day(ask: Ask, rec: Recognition, order: str) -> Reply:
    """The day's first or last visit (within the part of the day asked)."""
    day = schedule_day(ask, rec)
    if isinstance(day, Reply):
        return day
    cite = Cite()
    visits, period = day_visits(ask, rec, day)
    booked = [v for v in visits if v.booked]
    if not booked:
        return cite.reply(capitalize(past(ask, day, say(ask.lang, "schedule_none", period=period))))
    visit = booked[0] if order == "first" else booked[-1]
    cite.add(visit.ref, visit.client)
    text = say(
        ask.lang,
        f"{order}_visit",
        period=period,
        name=name_of(ask, visit.client),
        when=say_time(ask.local(visit.start), ask.lang),
        kind=term(ask.lang, visit.kind),
    )
    return cite.reply(capitalize(text))


def day_visits(ask: Ask, rec: Recognition, day: date) -> tuple[list[Visit], str]:
    """The visits a schedule question is about, and how to say the period."""
    visits = on_day(ask, my_visits(ask), day)
    period = (
        say(ask.lang, "period_today") if day == ask.today else say_day(day, ask.today, ask.lang)
    )
    part = rec.slots.get("part_of_day")
    if isinstance(part, str) and part in ask.parts:
        visits = [v for v in visits if ask.in_part(v, part)]
        part_words = say(ask.lang, f"part_{part}")
        period = part_words if day == ask.today else f"{period} {part_words}"
    after = rec.clock("after")
    if after is not None:
        moment = _at(ask, after.resolve(ask.local(ask.now)), day)
        visits = [v for v in visits if v.start >= moment]
        after_words = say(ask.lang, "after", when=say_time(ask.local(moment), ask.lang))
        period = after_words if day == ask.today else f"{period} {after_words}"
    return visits, period


def _at(ask: Ask, clock: time, day: date | None = None) -> datetime:
    return datetime.combine(day or ask.today, clock, tzinfo=ask.tz)


def _count(ask: Ask, n: int) -> str:
    if n == 1:
        return say(ask.lang, "visits_1")
    words = SV_HOUR_WORDS if ask.lang == "sv" else EN_HOUR_WORDS
    return say(ask.lang, "visits_n", n=words.get(n, str(n)) if n else n)


def schedule(ask: Ask, rec: Recognition) -> Reply:
    day = schedule_day(ask, rec)
    if isinstance(day, Reply):
        return day
    cite = Cite()
    at = rec.clock("at")
    if at is not None:
        moment = _at(ask, at.resolve(ask.local(ask.now)), day)
        when = say_time(ask.local(moment), ask.lang)
        then = [
            v
            for v in my_visits(ask)
            if v.start <= moment < v.end or moment <= v.start < moment + AT_WINDOW
        ]
        hits = [v for v in then if v.booked]
        if not hits:  # "klockan tre har du inget besök. Inställt: Maria Svensson klockan tre."
            off = called_off_later(ask, then, cite)
            return cite.reply(capitalize(say(ask.lang, "at_none", when=when)) + off)
        texts = []
        for visit in hits:
            cite.add(visit.ref, visit.client)
            start = say_time(ask.local(visit.start), ask.lang)
            end = say_time(ask.local(visit.end), ask.lang)
            name = name_of(ask, visit.client)
            texts.append(say(ask.lang, "at_time", when=when, name=name, start=start, end=end))
        return cite.reply(capitalize(" ".join(texts)))
    visits, period = day_visits(ask, rec, day)
    booked = [v for v in visits if v.booked]
    # Cancelled visits apart, after the count: "one visit: Leila … Cancelled: Olof …" (listed
    # among the booked, the count of one was followed by two names).
    called_off = [v for v in visits if v.cancelled]
    if not booked and not called_off:
        return cite.reply(capitalize(past(ask, day, say(ask.lang, "schedule_none", period=period))))
    items = []
    for visit in booked[:MAX_LISTED]:
        cite.add(visit.ref, visit.client)
        items.append(_item(ask, visit))
    if booked:
        listed = join(ask.lang, items)
        if booked[MAX_LISTED:]:  # never dropped unsaid: the night visit after eight others
            cite.add(*(v.ref for v in booked[MAX_LISTED:]))
            more = _count(ask, len(booked[MAX_LISTED:]))
            listed = f"{listed}, {say(ask.lang, 'more_after', count=more)}"
        count = _count(ask, len(booked))
        text = say(ask.lang, "schedule", period=period, count=count, items=listed)
    else:
        text = say(ask.lang, "schedule_none", period=period)
    if called_off:
        for visit in called_off:
            cite.add(visit.ref, visit.client)
        off = join(ask.lang, [_item(ask, v) for v in called_off])
        text = f"{text} {say(ask.lang, 'cancelled_list', items=off)}"
    return cite.reply(capitalize(past(ask, day, text)))


def called_off_later(ask: Ask, visits: list[Visit], cite: Cite) -> str:
    """The cancelled visits among ``visits`` not yet over, to say after what is left ("Inställt:
    Olof Berglund klockan sju."): care-data.md asks that a cancelled visit is said to be
    cancelled, not left out as if it never was."""
    off = [v for v in visits if v.cancelled and v.end > ask.now]
    for visit in off:
        cite.add(visit.ref, visit.client)
    items = join(ask.lang, [_item(ask, v) for v in off])
    return f" {say(ask.lang, 'cancelled_list', items=items)}" if off else ""


def _item(ask: Ask, visit: Visit) -> str:
    name, when = name_of(ask, visit.client), say_time(ask.local(visit.start), ask.lang)
    return say(ask.lang, "schedule_item", name=name, when=when)


def schedule_count(ask: Ask, rec: Recognition) -> Reply:
    day = schedule_day(ask, rec)
    if isinstance(day, Reply):
        return day
    cite = Cite()
    visits, period = day_visits(ask, rec, day)
    booked = [v for v in visits if v.booked]
    if rec.slots.get("remaining") and day == ask.today:  # from now on, not the day's total
        left, anchor = after_theirs(ask, rec, booked, [v for v in booked if v.end > ask.now])
        cite.add(*(v.ref for v in left))
        # "efter Märta Lindqvist" only when counted from her visit
        when = say(ask.lang, "after", when=name_of(ask, anchor.client)) if anchor else period
        text = say(ask.lang, "count_left", count=_count(ask, len(left)), period=when)
        items = [
            say(ask.lang, "schedule_item", name=name_of(ask, v.client),
                when=say_time(ask.local(v.start), ask.lang))
            for v in left[:MAX_LISTED]
        ]  # fmt: skip
        if len(left) > MAX_LISTED:
            items.append(say(ask.lang, "more_after", count=_count(ask, len(left) - MAX_LISTED)))
        if items:  # the count, then who: a worker asking "how many" wants to know who too
            text = f"{text} {capitalize(join(ask.lang, items))}."
        cite.add(*(v.client for v in left))
        return cite.reply(capitalize(text) + called_off_later(ask, visits, cite))
    cite.add(*(v.ref for v in booked))
    text = say(ask.lang, "count", period=period, count=_count(ask, len(booked)))
    return cite.reply(capitalize(past(ask, day, text)))


def visit_time(ask: Ask, rec: Recognition) -> Reply:
    client = one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    cite = Cite()
    if "nth" in rec.slots:  # "the second visit at Ahmed's"
        return nth_visit(ask, rec)
    by = rec.slots.get("by")  # "När kommer Jonas till Ahmed?": Jonas's visit, not mine
    if isinstance(by, str):
        return _colleague_visit(ask, rec, client, by)
    visits = [v for v in my_visits(ask) if v.client == client.ref and v.booked]
    called_off = _called_off(ask, rec, client.ref)
    if called_off is not None:  # "Is Maria's afternoon visit still on?": it is cancelled
        cite.add(called_off.ref, client.ref)
        text = say(ask.lang, "cancelled", name=client.full_name, when=ask.when(called_off.start))
        off_day = ask.local(called_off.start).date()
        later = [v for v in on_day(ask, visits, off_day) if v.start > called_off.start]
        if later:  # "… Nästa besök hos henne är klockan sju."
            cite.add(later[0].ref)
            text += " " + say(ask.lang, "cancelled_then", when=ask.when(later[0].start))
        return cite.reply(text)
    if "day" in rec.slots:  # "när ska jag till Nils i morgon": that day's visit only
        day = schedule_day(ask, rec)
        if isinstance(day, Reply):
            return day
        visits = on_day(ask, visits, day)
        if not visits:
            cite.add(client.ref)
            when_day = say_day(day, ask.today, ask.lang) or say(ask.lang, "period_today")
            return cite.reply(
                say(ask.lang, "no_visit_for_day", name=client.full_name, day=when_day)
            )
    part = rec.slots.get("part_of_day")
    if isinstance(part, str) and part in ask.parts and visits:  # "hos Gullan i kväll"
        that_day = on_day(ask, visits, ask.local(visits[0].start).date())
        visits = [v for v in visits if ask.in_part(v, part)]
        if not visits:  # never a bare "no": a "Kvällsmat" at 17:00 is the afternoon's
            cite.add(client.ref, *(v.ref for v in that_day))
            text = say(
                ask.lang,
                "no_visit_for_day",
                name=client.full_name,
                day=say(ask.lang, f"part_{part}"),
            )
            said = ", ".join(f"{ask.when(v.start)} ({v.kind.lower()})" for v in that_day)
            return cite.reply(f"{text} {say(ask.lang, 'that_day', visits=said)}")
    kind = rec.slots.get("visit_kind")
    if isinstance(kind, str) and visits:  # "nattbesöket hos Elsa": that kind of visit only
        visits = ask.of_kind(visits, kind)
        if not visits:
            cite.add(client.ref)
            return cite.reply(
                say(ask.lang, "no_kind_for", name=client.full_name, kind=term(ask.lang, kind))
            )
    if rec.slots.get("order") == "later" and visits:  # "när ska jag dit igen?"
        visits = [v for v in visits if v.start > ask.now]
        if not visits:
            cite.add(client.ref)
            return cite.reply(say(ask.lang, "no_later_visit", name=client.full_name))
    at = at_clock(ask, rec, visits, client) if visits else visits  # "my two o'clock"
    if isinstance(at, Reply):
        return at
    visits = at
    if not visits:
        cite.add(client.ref)
        return cite.reply(say(ask.lang, "no_visit_for", name=client.full_name))
    visit = next((v for v in visits if v.end > ask.now), visits[-1])
    cite.add(visit.ref, client.ref)
    local_start = ask.local(visit.start)
    said_day = say_day(local_start.date(), ask.today, ask.lang)
    said_day = f" {said_day}" if said_day else ""
    if rec.slots.get("boundary") == "end":
        end = say_time(ask.local(visit.end), ask.lang)
        return cite.reply(say(ask.lang, "ends", name=client.full_name, end=end, day=said_day))
    start = say_time(local_start, ask.lang)
    return cite.reply(say(ask.lang, "starts", name=client.full_name, start=start, day=said_day))


def _colleague_visit(ask: Ask, rec: Recognition, client: Client, by: str) -> Reply:
    """A colleague's visit to a client that day (or the day asked): its time, citing the
    visit; none in the schedule, said so as what the schedule holds."""
    worker = ask.care.practitioner(by)
    day = schedule_day(ask, rec) if "day" in rec.slots else ask.today
    if worker is None or isinstance(day, Reply):
        return Reply(say(ask.lang, "unknown"), outcome="unknown")
    theirs = [v for v in ask.care.visits if v.client == client.ref and by in v.practitioners]
    visits = [v for v in on_day(ask, theirs, day) if v.booked]
    cite = Cite()
    name = worker.full_name
    if not visits:
        cite.add(client.ref, by)
        text = say(ask.lang, "no_colleague_visit", worker=name, name=client.full_name)
        return cite.reply(text, outcome="unknown")
    visit = next((v for v in visits if v.end > ask.now), visits[-1])
    cite.add(visit.ref, client.ref, by)
    start = say_time(ask.local(visit.start), ask.lang)
    said_day = say_day(day, ask.today, ask.lang)
    text = say(
        ask.lang,
        "colleague_visit",
        worker=name,
        name=client.full_name,
        start=start,
        day=f" {said_day}" if said_day else "",
    )
    return cite.reply(text)


def _called_off(ask: Ask, rec: Recognition, client: str) -> Visit | None:
    """The client's cancelled visit the question names (its day, part of the day or kind) when
    no booked visit fits it and the cancelled one is not over: care-data.md asks that a
    cancelled visit can be said to be cancelled, not that the visit is missing."""
    mine = [v for v in my_visits(ask) if v.client == client]
    part = rec.slots.get("part_of_day")
    kind = rec.slots.get("visit_kind")
    at = rec.clock("at")  # "Is my three o'clock with Maria still on?"
    day = schedule_day(ask, rec) if "day" in rec.slots else ask.today
    named = part is not None or kind is not None or at is not None or "day" in rec.slots
    if isinstance(day, Reply) or not named:
        return None

    def fits(visit: Visit) -> bool:
        return (
            ask.local(visit.start).date() == day
            and (at is None or ask.starts_at(visit, at))
            and (not isinstance(part, str) or part not in ask.parts or ask.in_part(visit, part))
            and (not isinstance(kind, str) or bool(ask.of_kind([visit], kind)))
        )

    if any(fits(v) for v in mine if v.booked):
        return None
    return next((v for v in mine if v.cancelled and v.end > ask.now and fits(v)), None)
