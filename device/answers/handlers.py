"""Answer handlers: one pure function per intent, from the care data and the recognised slots
to a short spoken-style reply that cites every record it used."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from device.answers.phrases import LANGUAGE_NAMES, PHRASES, capitalize, join, say, term
from device.answers.records import client_sentences, search
from device.answers.saytime import say_day, say_time
from device.care.model import CareData, Client, Medication, RoleKind, Visit
from device.nlu.days import DaySpec
from device.nlu.names import genitive
from device.nlu.numbers import EN_HOUR_WORDS, SV_HOUR_WORDS
from device.nlu.recognizer import Recognition
from device.nlu.text import normalize

# Text about a delegated health task is read as recorded and must be verified (care-data.md).
_HEALTH_WORDS = re.compile(
    r"medicin|läkemedel|dosett|\bdos|insulin|blodsocker|injektion|tablett|sårvård|"
    r"medication|medicine|insulin|blood sugar|injection|tablet",
    re.IGNORECASE,
)
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
    "clinical": re.compile(
        r"diabetes|demens|hjärt|kol\b|astma|epilepsi|parkinson|stroke|cancer|sjukdom|diagnos|"
        r"disease|diagnos",
        re.IGNORECASE,
    ),
}
# Where a visit's start places it in the day (hours, local time, start ≤ hour < end); the
# setting answers.parts_of_day overrides these.
PARTS_OF_DAY = {
    "morning": (5, 10),
    "forenoon": (0, 12),
    "afternoon": (12, 17),
    "evening": (17, 24),
    "night": (21, 24),
}
AT_WINDOW = timedelta(minutes=30)
MAX_LISTED = 8


@dataclass(frozen=True)
class Ask:
    """Everything a handler may read: the care data, the time, the device's worker, the asker."""

    care: CareData
    now: datetime
    tz: ZoneInfo
    lang: str
    worker: str = ""
    confirmed: bool = False
    confirmation: str = "button"
    parts: Mapping[str, tuple[int, int]] = field(default_factory=lambda: dict(PARTS_OF_DAY))

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    @property
    def today(self) -> date:
        return self.local(self.now).date()

    def when(self, moment: datetime) -> str:
        """ "halv tre" today, "i morgon klockan åtta" on another day."""
        local = self.local(moment)
        day = say_day(local.date(), self.today, self.lang)
        return f"{day} {say_time(local, self.lang)}".strip()


@dataclass(frozen=True)
class Reply:
    text: str
    sources: tuple[str, ...] = ()
    gated: bool = False
    must_verify: bool = False
    outcome: str = "answered"


@dataclass
class _Cite:
    refs: list[str] = field(default_factory=list)

    def add(self, *refs: str) -> None:
        for ref in refs:
            if ref and ref not in self.refs:
                self.refs.append(ref)

    def reply(self, text: str, **kwargs: bool | str) -> Reply:
        return Reply(text, tuple(self.refs), **kwargs)  # type: ignore[arg-type]


# -- shared lookups ------------------------------------------------------------------------


def my_visits(ask: Ask) -> list[Visit]:
    """Visits that are the device's: its worker's, or every visit when no worker is set."""
    worker = ask.worker if "/" in ask.worker else f"Practitioner/{ask.worker}"
    return [
        v
        for v in ask.care.visits
        if not ask.worker or not v.practitioners or worker in v.practitioners
    ]


def _current_and_next(visits: list[Visit], now: datetime) -> tuple[Visit | None, Visit | None]:
    booked = [v for v in visits if v.booked]
    current = next((v for v in booked if v.start <= now < v.end), None)
    upcoming = next((v for v in booked if v.start >= now), None)
    return current, upcoming


def _name(ask: Ask, ref: str) -> str:
    client = ask.care.client(ref)
    return client.full_name if client else ref


def _one_client(ask: Ask, rec: Recognition) -> Client | Reply:
    refs = rec.clients
    clients = [c for c in (ask.care.client(r) for r in refs) if c is not None]
    if not clients:
        return Reply(say(ask.lang, "unknown_client"), outcome="unknown")
    if len(clients) > 1:
        names = join(ask.lang, [c.full_name for c in clients])
        return Reply(say(ask.lang, "which_client", names=names), outcome="ambiguous")
    return clients[0]


def _sentences(texts: list[str]) -> str:
    return " ".join(t if t.endswith((".", "!", "?")) else f"{t}." for t in texts)


def _verify(reply_text: str, ask: Ask) -> str:
    return f"{reply_text} {say(ask.lang, 'verify')}"


# -- the schedule --------------------------------------------------------------------------


def asked_day(ask: Ask, rec: Recognition) -> date | None:
    """The day the question is about: today, or the day it named (None: a day that doesn't
    exist, such as 31 February)."""
    spec = rec.slots.get("day")
    return spec.resolve(ask.today) if isinstance(spec, DaySpec) else ask.today


def _on_day(ask: Ask, visits: list[Visit], day: date) -> list[Visit]:
    return [v for v in visits if ask.local(v.start).date() == day]


def schedule_day(ask: Ask, rec: Recognition) -> date | Reply:
    """The day a schedule question is about, or the honest reply when it can't be answered: a
    day that doesn't exist, or another day than today with no visit of anyone's in the care
    data ("not on the device", never today's list)."""
    day = asked_day(ask, rec)
    if day is None:
        return Reply(say(ask.lang, "day_unknown"), outcome="unknown")
    if day == ask.today or _on_day(ask, list(ask.care.visits), day):
        return day
    when = say_day(day, ask.today, ask.lang)
    return Reply(say(ask.lang, "day_not_on_device", day=when), outcome="no_data")


def _past(ask: Ask, day: date, text: str) -> str:
    """The schedule's sentence in the past tense for a day gone by."""
    if day >= ask.today:
        return text
    if ask.lang == "sv":
        return re.sub(r"\bhar du\b", "hade du", text)
    return re.sub(r"\byou have\b", "you had", text)


def next_visit(ask: Ask, rec: Recognition) -> Reply:
    day = asked_day(ask, rec)
    order = rec.slots.get("order")
    if order in ("after", "before"):
        return _beside(ask, rec, str(order))
    if order in ("first", "last"):
        return _end_of_day(ask, rec, str(order))
    if day != ask.today:  # "vem är min första kund i morgon": that day's first visit
        return _end_of_day(ask, rec, "first")
    cite = _Cite()
    mine = my_visits(ask)
    current, upcoming = _current_and_next(mine, ask.now)
    parts = []
    if current:
        cite.add(current.ref, current.client)
        end = say_time(ask.local(current.end), ask.lang)
        parts.append(say(ask.lang, "current", name=_name(ask, current.client), end=end))
    if upcoming is None:
        parts.append(say(ask.lang, "no_more"))
        return cite.reply(" ".join(parts))
    for visit in mine:
        if visit.cancelled and ask.now <= visit.start <= upcoming.start:
            cite.add(visit.ref, visit.client)
            parts.append(
                say(
                    ask.lang, "cancelled", name=_name(ask, visit.client), when=ask.when(visit.start)
                )
            )
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
    client = _one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    day = schedule_day(ask, rec)
    if isinstance(day, Reply):
        return day
    cite = _Cite()
    booked = [v for v in _on_day(ask, my_visits(ask), day) if v.booked]
    theirs = [i for i, v in enumerate(booked) if v.client == client.ref]
    if not theirs:
        cite.add(client.ref)
        when_day = say_day(day, ask.today, ask.lang) or say(ask.lang, "period_today")
        return cite.reply(say(ask.lang, "no_visit_for_day", name=client.full_name, day=when_day))
    # The client's visit nearest now (the coming one, else the last one) anchors the order.
    index = next((i for i in theirs if booked[i].end > ask.now), theirs[-1])
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
        other=_name(ask, other.client),
        when=say_time(ask.local(other.start), ask.lang),
        kind=term(ask.lang, other.kind),
    )
    return cite.reply(text)


def _end_of_day(ask: Ask, rec: Recognition, order: str) -> Reply:
    """The day's first or last visit (within the part of the day asked)."""
    day = schedule_day(ask, rec)
    if isinstance(day, Reply):
        return day
    cite = _Cite()
    visits, period = _day_visits(ask, rec, day)
    booked = [v for v in visits if v.booked]
    if not booked:
        return cite.reply(
            capitalize(_past(ask, day, say(ask.lang, "schedule_none", period=period)))
        )
    visit = booked[0] if order == "first" else booked[-1]
    cite.add(visit.ref, visit.client)
    text = say(
        ask.lang,
        f"{order}_visit",
        period=period,
        name=_name(ask, visit.client),
        when=say_time(ask.local(visit.start), ask.lang),
        kind=term(ask.lang, visit.kind),
    )
    return cite.reply(capitalize(text))


def _day_visits(ask: Ask, rec: Recognition, day: date) -> tuple[list[Visit], str]:
    """The visits a schedule question is about, and how to say the period."""
    visits = _on_day(ask, my_visits(ask), day)
    period = (
        say(ask.lang, "period_today") if day == ask.today else say_day(day, ask.today, ask.lang)
    )
    part = rec.slots.get("part_of_day")
    if isinstance(part, str) and part in ask.parts:
        low, high = ask.parts[part]
        visits = [v for v in visits if low <= ask.local(v.start).hour < high]
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
    cite = _Cite()
    at = rec.clock("at")
    if at is not None:
        moment = _at(ask, at.resolve(ask.local(ask.now)), day)
        when = say_time(ask.local(moment), ask.lang)
        hits = [
            v
            for v in my_visits(ask)
            if v.booked and (v.start <= moment < v.end or moment <= v.start < moment + AT_WINDOW)
        ]
        if not hits:
            return cite.reply(say(ask.lang, "at_none", when=when))
        texts = []
        for visit in hits:
            cite.add(visit.ref, visit.client)
            start = say_time(ask.local(visit.start), ask.lang)
            end = say_time(ask.local(visit.end), ask.lang)
            name = _name(ask, visit.client)
            texts.append(say(ask.lang, "at_time", when=when, name=name, start=start, end=end))
        return cite.reply(capitalize(" ".join(texts)))
    visits, period = _day_visits(ask, rec, day)
    booked = [v for v in visits if v.booked or v.cancelled]
    if not booked:
        return cite.reply(
            capitalize(_past(ask, day, say(ask.lang, "schedule_none", period=period)))
        )
    items = []
    for visit in booked[:MAX_LISTED]:
        cite.add(visit.ref, visit.client)
        item = say(
            ask.lang,
            "schedule_item",
            name=_name(ask, visit.client),
            when=say_time(ask.local(visit.start), ask.lang),
        )
        if visit.cancelled:
            item += f" ({say(ask.lang, 'cancelled_mark')})"
        items.append(item)
    count = _count(ask, sum(v.booked for v in visits))
    text = say(ask.lang, "schedule", period=period, count=count, items=join(ask.lang, items))
    return cite.reply(capitalize(_past(ask, day, text)))


def schedule_count(ask: Ask, rec: Recognition) -> Reply:
    day = schedule_day(ask, rec)
    if isinstance(day, Reply):
        return day
    cite = _Cite()
    visits, period = _day_visits(ask, rec, day)
    booked = [v for v in visits if v.booked]
    if rec.slots.get("remaining") and day == ask.today:  # from now on, not the day's total
        left = [v for v in booked if v.end > ask.now]
        cite.add(*(v.ref for v in left))
        text = say(ask.lang, "count_left", count=_count(ask, len(left)))
        return cite.reply(capitalize(text))
    cite.add(*(v.ref for v in booked))
    text = say(ask.lang, "count", period=period, count=_count(ask, len(booked)))
    return cite.reply(capitalize(_past(ask, day, text)))


def visit_time(ask: Ask, rec: Recognition) -> Reply:
    client = _one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    cite = _Cite()
    visits = [v for v in my_visits(ask) if v.client == client.ref and v.booked]
    if "day" in rec.slots:  # "när ska jag till Nils i morgon": that day's visit only
        day = schedule_day(ask, rec)
        if isinstance(day, Reply):
            return day
        visits = _on_day(ask, visits, day)
        if not visits:
            cite.add(client.ref)
            when_day = say_day(day, ask.today, ask.lang) or say(ask.lang, "period_today")
            return cite.reply(
                say(ask.lang, "no_visit_for_day", name=client.full_name, day=when_day)
            )
    part = rec.slots.get("part_of_day")
    if isinstance(part, str) and part in ask.parts and visits:  # "hos Gullan i kväll"
        low, high = ask.parts[part]
        visits = [v for v in visits if low <= ask.local(v.start).hour < high]
        if not visits:
            cite.add(client.ref)
            when_part = say(ask.lang, f"part_{part}")
            return cite.reply(
                say(ask.lang, "no_visit_for_day", name=client.full_name, day=when_part)
            )
    kind = rec.slots.get("visit_kind")
    if isinstance(kind, str) and visits:  # "nattbesöket hos Elsa": that kind of visit only
        visits = [v for v in visits if v.kind.casefold() == kind.casefold()]
        if not visits:
            cite.add(client.ref)
            return cite.reply(
                say(ask.lang, "no_kind_for", name=client.full_name, kind=term(ask.lang, kind))
            )
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


# -- facts about one client ----------------------------------------------------------------


def routine(ask: Ask, rec: Recognition) -> Reply:
    cite = _Cite()
    visit: Visit | None = None
    if rec.slots.get("next"):
        current, upcoming = _current_and_next(my_visits(ask), ask.now)
        visit = current or upcoming
        if visit is None:
            return cite.reply(say(ask.lang, "no_more"))
        client = ask.care.client(visit.client)
        if client is None:
            return Reply(say(ask.lang, "unknown_client"), outcome="unknown")
    else:
        found = _one_client(ask, rec)
        if isinstance(found, Reply):
            return found
        client = found
        theirs = [v for v in my_visits(ask) if v.client == client.ref and v.booked]
        day = asked_day(ask, rec)
        if "day" in rec.slots and day is not None:  # that day's visit decides the routine
            theirs = _on_day(ask, theirs, day)
        part = rec.slots.get("part_of_day")
        if isinstance(part, str) and part in ask.parts:  # "hos Elsa i kväll": its kind
            low, high = ask.parts[part]
            theirs = [v for v in theirs if low <= ask.local(v.start).hour < high]
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
            text=_sentences(spoken),
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
        text = say(ask.lang, "routine_all", name=client.full_name, text=_sentences(spoken))
    if any(_HEALTH_WORDS.search(s) for s in spoken):
        return cite.reply(_verify(text, ask), must_verify=True, outcome="must_verify")
    return cite.reply(text)


def notes(ask: Ask, rec: Recognition) -> Reply:
    client = _one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    if rec.slots.get("brief"):
        return _briefing(ask, client)
    cite = _Cite()
    texts: list[str] = []
    for plan in ask.care.careplans_of(client.ref):
        if plan.notes:
            cite.add(plan.ref)
            texts.extend(plan.notes)
    cite.add(client.ref)
    extra = []
    if client.nicknames:
        extra.append(say(ask.lang, "called", name=client.given, nick=client.nicknames[0]))
    names = LANGUAGE_NAMES[ask.lang]
    spoken_languages = [names.get(code.split("-")[0], code) for code in client.languages]
    spoken_languages = [lang for lang in spoken_languages if lang != names["sv"]]
    if spoken_languages:
        extra.append(
            say(ask.lang, "speaks", name=client.given, languages=join(ask.lang, spoken_languages))
        )
    if not texts and not extra:
        return cite.reply(say(ask.lang, "no_notes", name=client.full_name))
    body = say(ask.lang, "notes", name=client.full_name, text=_sentences(texts)) if texts else ""
    return cite.reply(" ".join(x for x in (body, *extra) if x))


def _briefing(ask: Ask, client: Client) -> Reply:
    """Before the door: the client's flags, safety first, then the plan's points for the coming
    visit (its kind), at most three sentences in all, each as recorded, with their sources."""
    cite = _Cite()
    order = {"safety": 0, "clinical": 1}
    flagged = sorted(ask.care.flags_of(client.ref), key=lambda f: order.get(f.category.lower(), 2))
    texts = [f.text for f in flagged[:3]]
    cite.add(*(f.ref for f in flagged[:3]))
    theirs = [v for v in my_visits(ask) if v.client == client.ref and v.booked]
    visit = next((v for v in theirs if v.end > ask.now), None)
    if len(texts) < 3:
        for plan in ask.care.careplans_of(client.ref):
            for activity in plan.activities:
                fits = visit is None or not activity.kind or activity.kind == visit.kind
                if fits and len(texts) < 3:
                    texts.append(activity.description)
                    cite.add(plan.ref)
    cite.add(client.ref)
    if not texts:
        return cite.reply(say(ask.lang, "no_flags_any", name=client.full_name))
    text = say(ask.lang, "briefing", name=client.full_name, text=_sentences(texts))
    if any(f.clinical for f in flagged[:3]) or any(_HEALTH_WORDS.search(t) for t in texts):
        return cite.reply(_verify(text, ask), must_verify=True, outcome="must_verify")
    return cite.reply(text)


def flags(ask: Ask, rec: Recognition) -> Reply:
    client = _one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    cite = _Cite()
    topic = str(rec.slots.get("flag_topic") or "any")
    found = ask.care.flags_of(client.ref)
    if topic == "risk":
        found = [
            f
            for f in found
            if f.category.lower() == "safety" or _TOPIC_WORDS["risk"].search(f.text)
        ]
    elif topic == "clinical":  # "har Gunnel någon sjukdom": the clinical flags
        found = [f for f in found if f.clinical]
    elif topic in _TOPIC_WORDS:
        found = [f for f in found if _TOPIC_WORDS[topic].search(f.text)]
    if not found:
        return _no_flag_of_topic(ask, client, topic)
    cite.add(*(f.ref for f in found), client.ref)
    text = say(ask.lang, "flags", name=client.full_name, text=_sentences([f.text for f in found]))
    if any(f.clinical for f in found):
        return cite.reply(_verify(text, ask), must_verify=True, outcome="must_verify")
    return cite.reply(text)


def _no_flag_of_topic(ask: Ask, client: Client, topic: str) -> Reply:
    """No flag of this topic: a negative is a claim, so every record of the client is read
    first. A sentence about the topic anywhere (the cat named in the plan's notes) is quoted
    with its source; with none, the answer says what was read and found nothing, never that
    the client has none."""
    cite = _Cite()
    sentences = client_sentences(client, ask.care)
    pattern = _TOPIC_WORDS.get(topic)
    hits = [h for h in sentences if pattern is not None and pattern.search(h.text)]
    if hits:
        hits = hits[:3]
        cite.add(*(h.ref for h in hits), client.ref)
        text = say(
            ask.lang, "records", name=client.full_name, text=_sentences([h.text for h in hits])
        )
        if any(h.clinical or _HEALTH_WORDS.search(h.text) for h in hits):
            return cite.reply(_verify(text, ask), must_verify=True, outcome="must_verify")
        return cite.reply(text)
    read = [h.ref for h in sentences]
    cite.add(*read, client.ref)
    key = f"no_flags_{topic}" if topic in _TOPIC_WORDS or topic == "any" else "no_flags_any"
    return cite.reply(say(ask.lang, key, name=client.full_name))


_PART_WORDS = {
    "morning": re.compile(r"morgon|frukost|morning|breakfast", re.IGNORECASE),
    "forenoon": re.compile(r"förmiddag|morgon|frukost", re.IGNORECASE),
    "afternoon": re.compile(r"eftermiddag|lunch|afternoon", re.IGNORECASE),
    "evening": re.compile(r"kväll|middag|sänggående|natt|evening|bedtime|night", re.IGNORECASE),
    "night": re.compile(r"natt|sänggående|night|bedtime", re.IGNORECASE),
}
_ANY_PART = re.compile("|".join(p.pattern for p in _PART_WORDS.values()), re.IGNORECASE)


def _med_text(med: Medication) -> str:
    return f"{med.name}: {'; '.join(med.dosage)}" if med.dosage else med.name


def _medication_round(ask: Ask, rec: Recognition) -> Reply:
    """The medicines of the clients on the worker's round that day (or part of it), grouped by
    client in visit order, as recorded; a medicine whose dosage names another part of the day
    is left out, one that names none is kept (the worker checks it)."""
    day = schedule_day(ask, rec)
    if isinstance(day, Reply):
        return day
    cite = _Cite()
    visits, period = _day_visits(ask, rec, day)
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
            meds = [
                m
                for m in meds
                if _PART_WORDS[part].search(" ".join(m.dosage))
                or not _ANY_PART.search(" ".join(m.dosage))
            ]
        if meds:
            cite.add(visit.ref, visit.client, *(m.ref for m in meds))
            texts = _sentences([_med_text(m) for m in meds])
            items.append(f"{_name(ask, visit.client)}: {texts}")
    if not items:
        text = capitalize(say(ask.lang, "round_none", period=period))
        return cite.reply(text, must_verify=True, outcome="must_verify")
    text = capitalize(say(ask.lang, "round", period=period, items=" ".join(items)))
    return cite.reply(_verify(text, ask), must_verify=True, outcome="must_verify")


def medication(ask: Ask, rec: Recognition) -> Reply:
    if rec.slots.get("round"):
        return _medication_round(ask, rec)
    client = _one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    cite = _Cite()
    meds = ask.care.medications_of(client.ref)
    wanted = rec.slots.get("medicine")
    if isinstance(wanted, str):  # "hur mycket Waran ska Nils ha": that medicine only
        chosen = [m for m in meds if wanted.casefold() in normalize(m.name)]
        if not chosen:
            cite.add(*(m.ref for m in meds), client.ref)
            text = say(ask.lang, "no_such_medication", name=client.full_name, medicine=wanted)
            return cite.reply(_verify(text, ask), must_verify=True, outcome="must_verify")
        meds = chosen
    if not meds:
        cite.add(client.ref)
        text = say(ask.lang, "no_medication", name=client.full_name)
    else:
        cite.add(*(m.ref for m in meds), client.ref)
        items = [_med_text(m) for m in meds]
        text = say(ask.lang, "medication", name=client.full_name, text=_sentences(items))
    return cite.reply(_verify(text, ask), must_verify=True, outcome="must_verify")


def access(ask: Ask, rec: Recognition) -> Reply:
    client = _one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    cite = _Cite()
    cite.add(client.ref)
    if not client.access_code:
        return cite.reply(say(ask.lang, "no_access", name=client.full_name))
    if not ask.confirmed:
        key = f"access_gated_{ask.confirmation}"
        return cite.reply(say(ask.lang, key, name=client.full_name), gated=True, outcome="gated")
    return cite.reply(
        say(ask.lang, "access", name=client.full_name, code=_sentences([client.access_code]))
    )


def address(ask: Ask, rec: Recognition) -> Reply:
    client = _one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    cite = _Cite()
    cite.add(client.ref)
    if not client.address:
        return cite.reply(say(ask.lang, "no_address", name=client.full_name))
    return cite.reply(say(ask.lang, "address", name=client.full_name, address=client.address))


def relative_phone(ask: Ask, rec: Recognition) -> Reply:
    client = _one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    cite = _Cite()
    relatives = ask.care.relatives_of(client.ref)
    wanted = rec.slots.get("relation", "any")
    if wanted != "any":
        words = {w.lower() for w in (wanted if isinstance(wanted, tuple) else (str(wanted),))}
        matching = [r for r in relatives if r.relation.lower() in words]
        if not matching:
            cite.add(client.ref, *(r.ref for r in relatives))
            relation = term(ask.lang, sorted(words)[0])
            text = say(ask.lang, "no_relative", relation=relation, client=client.full_name)
            others = [f"{term(ask.lang, r.relation)} {r.full_name}" for r in relatives]
            return cite.reply(f"{text} {_sentences([join(ask.lang, others)])}" if others else text)
        relatives = matching
    if not relatives:
        cite.add(client.ref)
        return cite.reply(say(ask.lang, "no_relatives", client=client.full_name))
    texts = []
    for relative in relatives[:3]:
        cite.add(relative.ref)
        key = "relative" if relative.phone else "relative_no_phone"
        texts.append(
            say(
                ask.lang,
                key,
                client=_possessive(client.given, ask.lang),
                relation=term(ask.lang, relative.relation),
                name=relative.full_name,
                phone=relative.phone or "",
            )
        )
    cite.add(client.ref)
    return cite.reply(" ".join(texts))


def _possessive(name: str, lang: str) -> str:
    if lang == "en":
        return name  # the phrase adds "'s"
    return name if name.endswith(("s", "x", "z")) else f"{name}s"


def escalation(ask: Ask, rec: Recognition) -> Reply:
    cite = _Cite()
    kind: RoleKind = "nurse" if rec.slots.get("role") == "nurse" else "coordinator"
    roles = ask.care.roles_of_kind(kind)
    if not roles:
        return cite.reply(say(ask.lang, f"no_role_{kind}"), outcome="escalated")
    texts = []
    for role in roles[:2]:
        person = ask.care.practitioner(role.practitioner)
        cite.add(role.ref, role.practitioner)
        name = person.full_name if person else role.practitioner
        phone = role.phone or (person.phone if person else None)
        title = term(ask.lang, role.title) if ask.lang == "en" else role.title
        key = "role" if phone else "role_no_phone"
        texts.append(capitalize(say(ask.lang, key, title=title, name=name, phone=phone or "")))
    return cite.reply(" ".join(texts), outcome="escalated")


def contact(ask: Ask, rec: Recognition) -> Reply:
    """A relative, the nurse, the coordinator or a colleague asked for by name. The answer says
    who it is about ("Annas dotter Karin Andersson: …"), so a misunderstanding is heard."""
    found = rec.slots.get("person", ())
    refs = tuple(found) if isinstance(found, tuple | list) else (str(found),)
    people = [p for p in (_person(ask, ref) for ref in refs) if p is not None]
    if not people:
        return Reply(say(ask.lang, "unknown"), outcome="unknown")
    if len(people) > 1:
        names = join(
            ask.lang,
            [
                f"{who.lower()} {name}" if ask.lang == "sv" else f"{who} {name}"
                for who, name, _, _ in people
            ],
        )
        return Reply(say(ask.lang, "which_person", names=names), outcome="ambiguous")
    who, name, phone, cited = people[0]
    cite = _Cite()
    cite.add(*cited)
    key = "contact" if phone else "contact_no_phone"
    return cite.reply(capitalize(say(ask.lang, key, who=who, name=name, phone=phone or "")))


def _person(ask: Ask, ref: str) -> tuple[str, str, str | None, tuple[str, ...]] | None:
    """(who they are, full name, phone, sources) of a relative or a staff member."""
    relative = next((r for r in ask.care.relatives if r.ref == ref), None)
    if relative is not None:
        client = ask.care.client(relative.client)
        owner = _possessive(client.given, ask.lang) if client else ""
        relation = term(ask.lang, relative.relation)
        who = f"{owner} {relation}" if ask.lang == "sv" else f"{owner}'s {relation}"
        return who, relative.full_name, relative.phone, (relative.ref, relative.client)
    client = ask.care.client(ref)
    if client is not None:
        return say(ask.lang, "client_named_who"), client.full_name, client.phone, (client.ref,)
    person = ask.care.practitioner(ref)
    if person is None:
        return None
    roles = [r for r in ask.care.roles if r.practitioner == ref]
    if roles:
        role = roles[0]
        title = term(ask.lang, role.title) if ask.lang == "en" else role.title.lower()
        who = capitalize(f"{title}n" if ask.lang == "sv" and not title.endswith("n") else title)
        if ask.lang == "en":
            who = f"The {title}"
        phone = role.phone or person.phone
        return who, person.full_name, phone, (role.ref, person.ref)
    return say(ask.lang, "colleague"), person.full_name, person.phone, (person.ref,)


def records(ask: Ask, rec: Recognition) -> Reply:
    """Sentences of one client's records that answer the question, read as recorded."""
    client = _one_client(ask, rec)
    if isinstance(client, Reply):
        return client
    question = str(rec.slots.get("about", ""))
    names = set(normalize(" ".join((client.given, client.family, *client.nicknames))).split())
    names |= {genitive(n) for n in names}
    hits = search(ask.care, client, question, names, ask.lang)
    if not hits:
        return Reply(say(ask.lang, "unknown"), outcome="unknown")
    cite = _Cite()
    cite.add(*(h.ref for h in hits), client.ref)
    text = say(ask.lang, "records", name=client.full_name, text=_sentences([h.text for h in hits]))
    if any(h.clinical or _HEALTH_WORDS.search(h.text) for h in hits):
        return cite.reply(_verify(text, ask), must_verify=True, outcome="must_verify")
    return cite.reply(text)


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
        owner=_possessive(name, ask.lang),
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
