"""The pilot's measures per week: pure functions from counts to the figures a board reads.

A municipality judges an AI pilot on fewer repeated questions, time saved per task and staff
satisfaction. From the devices' anonymous counts this module derives, per week: questions,
answered share, honest misses, clarifications, answers flagged "fel", repeated questions,
satisfaction (share of "bra" among feedback), time saved under a stated assumption, response
time p50/p95 and devices active. Small counts are masked where they are shown, not here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from device.telemetry.schema import LATENCY_BINS_MS

# Turns that are talk about an answer, not a question of their own.
NOT_QUESTIONS = frozenset({"feedback", "repeat", "stop", "confirm", "deny"})
ANSWERED = ("answered", "must_verify")  # as on the overview; a code is counted when released
MISSES = ("unknown", "no_data", "error")  # honest: the worker heard "I don't know"
CLARIFICATIONS = ("clarify", "ambiguous")


class PilotError(ValueError):
    """A pilot period that can't be used; the message says which date is wrong, in Swedish."""


@dataclass(frozen=True)
class Pilot:
    team: str
    start: date
    end: date
    baseline_start: date | None = None
    baseline_end: date | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PilotError("Pilotens slutdatum ligger före startdatumet.")
        if (self.baseline_start is None) != (self.baseline_end is None):
            raise PilotError("Ange både start och slut för jämförelseperioden, eller ingetdera.")
        if self.baseline_start is not None and self.baseline_end is not None:
            if self.baseline_end < self.baseline_start:
                raise PilotError("Jämförelseperiodens slut ligger före dess start.")
            if self.baseline_end >= self.start:
                raise PilotError("Jämförelseperioden måste sluta innan piloten börjar.")

    @property
    def weeks(self) -> int:
        return ((self.end - self.start).days + 7) // 7


@dataclass
class WeekCounts:
    """What the devices of one team counted in one week (Monday first)."""

    week: date
    outcomes: Counter[str] = field(default_factory=Counter)  # questions only
    signals: Counter[str] = field(default_factory=Counter)
    latency_bins: list[int] = field(default_factory=list)  # the 'total' stage's histogram
    devices: int = 0  # devices that sent usage in the week

    def add(self, other: WeekCounts) -> None:
        self.outcomes.update(other.outcomes)
        self.signals.update(other.signals)
        if len(self.latency_bins) < len(other.latency_bins):
            self.latency_bins += [0] * (len(other.latency_bins) - len(self.latency_bins))
        for index, count in enumerate(other.latency_bins):
            self.latency_bins[index] += count
        self.devices = max(self.devices, other.devices)


@dataclass(frozen=True)
class Kpis:
    week: date | None  # None for a whole period
    questions: int
    answered: int
    misses: int
    clarifications: int
    wrong: int  # answers flagged "fel"
    repeats: int
    good: int
    minutes_saved: float
    p50_ms: int | None
    p95_ms: int | None
    devices: int

    def share(self, part: int) -> float | None:
        return part / self.questions if self.questions else None

    @property
    def satisfaction(self) -> float | None:
        """Share of "bra" among "bra" and "fel"; None without feedback."""
        said = self.good + self.wrong
        return self.good / said if said else None


def percentile_from_bins(counts: Sequence[int], q: float) -> int | None:
    """Upper bound (ms) of the bin holding the q-quantile; None without data; the overflow bin
    reports the last bound doubled."""
    total = sum(counts)
    if not total:
        return None
    running = 0
    for index, count in enumerate(counts):
        running += count
        if running >= q * total:
            return (
                LATENCY_BINS_MS[index] if index < len(LATENCY_BINS_MS) else LATENCY_BINS_MS[-1] * 2
            )
    return None


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_starts(first: date, last: date) -> list[date]:
    """The Mondays of the weeks that overlap first..last."""
    start, end = monday(first), monday(last)
    return [start + timedelta(weeks=i) for i in range((end - start).days // 7 + 1)]


def kpis(counts: WeekCounts, minutes_per_answer: float, week: date | None = None) -> Kpis:
    answered = sum(counts.outcomes[o] for o in ANSWERED)
    return Kpis(
        week=week,
        questions=sum(counts.outcomes.values()),
        answered=answered,
        misses=sum(counts.outcomes[o] for o in MISSES),
        clarifications=sum(counts.outcomes[o] for o in CLARIFICATIONS),
        wrong=counts.signals["bad"],
        repeats=counts.signals["repeat"],
        good=counts.signals["good"],
        minutes_saved=answered * minutes_per_answer,
        p50_ms=percentile_from_bins(counts.latency_bins, 0.5),
        p95_ms=percentile_from_bins(counts.latency_bins, 0.95),
        devices=counts.devices,
    )


def weekly(counts: Sequence[WeekCounts], minutes_per_answer: float) -> list[Kpis]:
    return [kpis(c, minutes_per_answer, c.week) for c in counts]


def total(counts: Iterable[WeekCounts], minutes_per_answer: float, devices: int) -> Kpis:
    """The whole period as one row; ``devices`` counts distinct devices over the period."""
    summed = WeekCounts(week=date.min)
    for week in counts:
        summed.add(week)
    summed.devices = devices
    return kpis(summed, minutes_per_answer)


def fold_outcomes(rows: Iterable[tuple[str, str, int]]) -> Mapping[str, int]:
    """(intent, outcome, count) rows to questions per outcome, leaving out talk ("ja", "fel")."""
    outcomes: Counter[str] = Counter()
    for intent, outcome, count in rows:
        if intent not in NOT_QUESTIONS:
            outcomes[outcome] += count
    return outcomes
