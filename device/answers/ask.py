"""What every answer handler reads and returns (the question's context, the reply with its
sources) and the lookups they share: the device's visits, the one client asked about, the day."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from device.answers.phrases import join, say
from device.answers.records import Hit, client_sentences
from device.answers.saytime import say_day, say_time
from device.care.model import CareData, Client, Visit
from device.nlu.clock import ClockTime
from device.nlu.days import DaySpec
from device.nlu.recognizer import Recognition

# Text about a delegated health task is read as recorded and must be verified (care-data.md).
# Stems, so every form is found: "blodsocker" missed "Mät blodsockret" and "läkemedel"
# "läkemedlet" (round10, 2026-12-06).
HEALTH_WORDS = re.compile(
    r"medicin|läkemed|dosett|\bdos|insulin|blodsock|injektion|tablett|sårvård|ögondropp|inhal|"
    r"blodtryck|medication|medicine|blood sugar|injection|tablet|eye drop|inhaler|blood pressure",
    re.IGNORECASE,
)
# Where a visit's start places it in the day (hours, local time, start ≤ hour < end; care-data.md:
# "eftermiddag" 12-18, "kväll" from 18); the setting answers.parts_of_day overrides these.
PARTS_OF_DAY = {
    "morning": (5, 10),
    "forenoon": (0, 12),
    "afternoon": (12, 18),
    "evening": (18, 24),
    "night": (21, 24),
}
AT_WINDOW = timedelta(minutes=30)
MAX_LISTED = 8


# A visit kind that names a part of the day, and that part (config parts_of_day).
_KIND_PART = {
    "morgon": "morning",
    "förmiddag": "forenoon",
    "eftermiddag": "afternoon",
    "kväll": "evening",
    "natt": "night",
}


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

    def in_part(self, visit: Visit, part: str) -> bool:
        """Is ``visit`` in this part of the day, by its start (``parts``)? Never by its kind:
        care-data.md places "förmiddag" before 12:00 and "kväll" from 18:00, so a "Förmiddag" at
        13:00 is the afternoon's and a "Kvällsmat" at 17:00 too."""
        low, high = self.parts[part]
        return low <= self.local(visit.start).hour < high

    def starts_at(self, visit: Visit, at: ClockTime) -> bool:
        """Does ``visit`` start at the clock time said ("my three o'clock": 15:00 after noon)?"""
        return self.local(visit.start).time() == at.resolve(self.local(self.now))

    def of_kind(self, visits: list[Visit], kind: str) -> list[Visit]:
        """The visits recorded as ``kind``; with none, for a kind that names a part of the day
        ("kvällsbesöket"), the visits in that part (a "Kvällsmat" at 19:00)."""
        exact = [v for v in visits if v.kind.casefold() == kind.casefold()]
        part = _KIND_PART.get(kind.casefold())
        if exact or part is None or part not in self.parts:
            return exact
        return [v for v in visits if self.in_part(v, part)]

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
class Cite:
    refs: list[str] = field(default_factory=list)

    def add(self, *refs: str) -> None:
        for ref in refs:
            if ref and ref not in self.refs:
                self.refs.append(ref)

    def reply(self, text: str, **kwargs: bool | str) -> Reply:
        return Reply(text, tuple(self.refs), **kwargs)  # type: ignore[arg-type]


def in_notes(
    ask: Ask, client: Client, keep: Callable[[Hit], bool], cite: Cite, most: int = 2
) -> str:
    """What else the client's records say of it, beside an answer ("I anteckningarna står:
    Dottern bor i Helsingfors."): the first ``most`` sentences ``keep`` picks, cited; "" when
    none does. A negative about one list is still a claim: the other records are read too."""
    hits = [hit for hit in client_sentences(client, ask.care) if keep(hit)][:most]
    if not hits:
        return ""
    cite.add(*(hit.ref for hit in hits))
    return say(ask.lang, "in_notes", text=sentences([hit.text for hit in hits]))


def my_visits(ask: Ask) -> list[Visit]:
    """Visits that are the device's: its worker's, or every visit when no worker is set."""
    worker = ask.worker if "/" in ask.worker else f"Practitioner/{ask.worker}"
    return [
        v
        for v in ask.care.visits
        if not ask.worker or not v.practitioners or worker in v.practitioners
    ]


def current_and_next(visits: list[Visit], now: datetime) -> tuple[Visit | None, Visit | None]:
    booked = [v for v in visits if v.booked]
    current = next((v for v in booked if v.start <= now < v.end), None)
    upcoming = next((v for v in booked if v.start >= now), None)
    return current, upcoming


def name_of(ask: Ask, ref: str) -> str:
    client = ask.care.client(ref)
    return client.full_name if client else ref


def one_client(ask: Ask, rec: Recognition) -> Client | Reply:
    refs = rec.clients
    clients = [c for c in (ask.care.client(r) for r in refs) if c is not None]
    if not refs:  # "hur många enheter?" with no one in focus: the name said next completes it
        return Reply(say(ask.lang, "who_do_you_mean"), outcome="ambiguous")
    if not clients:
        return Reply(say(ask.lang, "unknown_client"), outcome="unknown")
    if len(clients) > 1:
        names = join(ask.lang, [c.full_name for c in clients])
        return Reply(say(ask.lang, "which_client", names=names), outcome="ambiguous")
    return clients[0]


def sentences(texts: list[str]) -> str:
    return " ".join(t if t.endswith((".", "!", "?")) else f"{t}." for t in texts)


def verify(reply_text: str, ask: Ask) -> str:
    return f"{reply_text} {say(ask.lang, 'verify')}"


def asked_day(ask: Ask, rec: Recognition) -> date | None:
    """The day the question is about: today, or the day it named (None: a day that doesn't
    exist, such as 31 February)."""
    spec = rec.slots.get("day")
    return spec.resolve(ask.today) if isinstance(spec, DaySpec) else ask.today


def on_day(ask: Ask, visits: list[Visit], day: date) -> list[Visit]:
    return [v for v in visits if ask.local(v.start).date() == day]


def schedule_day(ask: Ask, rec: Recognition) -> date | Reply:
    """The day a schedule question is about, or the honest reply when it can't be answered: a
    day that doesn't exist, or another day than today with no visit of anyone's in the care
    data ("not on the device", never today's list)."""
    day = asked_day(ask, rec)
    if day is None:
        return Reply(say(ask.lang, "day_unknown"), outcome="unknown")
    if day == ask.today or on_day(ask, list(ask.care.visits), day):
        return day
    when = say_day(day, ask.today, ask.lang)
    return Reply(say(ask.lang, "day_not_on_device", day=when), outcome="no_data")


def past(ask: Ask, day: date, text: str) -> str:
    """The schedule's sentence in the past tense for a day gone by."""
    if day >= ask.today:
        return text
    if ask.lang == "sv":
        return re.sub(r"\bhar du\b", "hade du", text)
    return re.sub(r"\byou have\b", "you had", text)


def at_clock(
    ask: Ask, rec: Recognition, visits: list[Visit], client: Client
) -> list[Visit] | Reply:
    """The visits starting at the clock time the question says ("besöket hos Ahmed klockan
    nio", "my three o'clock with Maria"); none then, said so; no time said, all of them."""
    at = rec.clock("at")
    if at is None:
        return visits
    found = [v for v in visits if ask.starts_at(v, at)]
    if found:
        return found
    when = say_time(datetime.combine(ask.today, at.resolve(ask.local(ask.now))), ask.lang)
    text = say(ask.lang, "no_visit_at", name=client.full_name, when=when)
    return Reply(text, sources=(client.ref,), outcome="unknown")


def after_theirs(
    ask: Ask, rec: Recognition, booked: list[Visit], left: list[Visit]
) -> tuple[list[Visit], Visit | None]:
    """``left`` after the named client's visit ("hur många har jag kvar efter Märta?"), and
    that visit: hers still to come or under way, else her last; ``left`` and None when no one
    is named or she has no visit of the day."""
    if len(rec.clients) != 1:
        return left, None
    theirs = [v for v in booked if v.client == rec.clients[0]]
    anchor = next((v for v in theirs if v.end > ask.now), theirs[-1] if theirs else None)
    return ([v for v in left if v.start > anchor.start], anchor) if anchor else (left, None)
