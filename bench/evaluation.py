"""Score the assistant on held-out questions: right, honest miss, wrong.

Each line of tests/data/eval/*.tsv names what a right answer is: the same intent and sources as a
template question ("= …"), an intent and the records that must be read ("@…"), or "miss" (only an
honest "I don't know", a clarifying question or "which one?" is right). A miss counts apart from
a wrong answer: a wrong phone number or the wrong client's record does harm; "I don't know" doesn't.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.care.model import CareData
from device.nlu.llm import LlmFallback
from device.nlu.recognizer import Templates
from device.nlu.similar_reader import SimilarReader
from device.settings import Settings
from device.turn import Turn

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "tests" / "data" / "eval"
TZ = ZoneInfo("Europe/Stockholm")
SETS = {
    "example": (ROOT / "tests/data/example-bundle.json", datetime(2026, 11, 24, 7, 30, tzinfo=TZ)),
    "second": (ROOT / "tests/data/second-bundle.json", datetime(2026, 11, 25, 7, 0, tzinfo=TZ)),
    "third": (ROOT / "tests/data/third-bundle.json", datetime(2026, 12, 14, 7, 0, tzinfo=TZ)),
}
WORKERS = {"third": "w-omar"}  # whose round the questions are asked on (else the whole team's)
HONEST = frozenset({"unknown", "clarify", "ambiguous", "no_data"})


@dataclass(frozen=True)
class Case:
    bundle: str
    lang: str
    kind: str  # direct, paraphrase, miss
    question: str
    expected: str


@dataclass
class Score:
    right: int = 0
    miss: int = 0
    wrong: int = 0
    wrong_examples: list[str] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.right + self.miss + self.wrong

    def share(self, n: int) -> float:
        return n / self.total if self.total else 0.0

    def row(self) -> dict[str, float | int]:
        ms = sorted(self.ms) or [0.0]
        return {
            "n": self.total,
            "right": round(self.share(self.right), 3),
            "miss": round(self.share(self.miss), 3),
            "wrong": round(self.share(self.wrong), 3),
            "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 1),
        }


def load_cases() -> list[Case]:
    cases = []
    for bundle in SETS:
        for line in (EVAL_DIR / f"{bundle}.tsv").read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            lang, kind, question, expected = line.split("\t")
            cases.append(Case(bundle, lang, kind, question, expected))
    return cases


def _fresh(
    settings: Settings,
    templates: Templates,
    bundle: str,
    llm: LlmFallback | None,
    similar: SimilarReader | None = None,
) -> Assistant:
    care = parse_bundle(SETS[bundle][0].read_bytes()).care
    return _session(settings, templates, WORKERS.get(bundle, settings.worker), care, llm, similar)


def _session(
    settings: Settings,
    templates: Templates,
    worker: str,
    care: CareData,
    llm: LlmFallback | None,
    similar: SimilarReader | None = None,
) -> Assistant:
    """A new session of ``worker`` on ``care`` (as a device after start-up)."""
    mine = settings.model_copy(update={"worker": worker})
    assistant = Assistant(mine, templates, None, llm, wait_for_llm=True, similar=similar)
    assistant.use_care(care)
    return assistant


def judge(case: Case, got: Turn, reference: Turn | None) -> str:
    """'right', 'miss' or 'wrong'."""
    # The gate says no code and asks first: honest whenever it is not what was wanted.
    honest = got.outcome in HONEST or got.intent == "unknown" or got.gated
    if case.expected == "miss":
        return "right" if honest else "wrong"
    if case.expected.startswith("="):
        assert reference is not None
        # The same records read (as the template answer, or quoted from the records) is right.
        same_intent = got.intent in (reference.intent, "records")
        if same_intent and set(got.sources) == set(reference.sources):
            return "right"
        return "miss" if honest else "wrong"
    intents, _, sources = case.expected[1:].partition(" ")
    wanted = set(sources.split(",")) if sources else set()
    if got.intent in intents.split("|") and wanted <= set(got.sources):
        return "right"
    return "miss" if honest else "wrong"


def evaluate(
    settings: Settings,
    templates: Templates,
    llm: LlmFallback | None = None,
    similar: SimilarReader | None = None,
) -> dict[str, Score]:
    """Scores per "bundle/lang/kind" and "all/kind"; each question asked in a fresh session."""
    scores: dict[str, Score] = {}
    bad: list[str] = []
    for case in load_cases():
        now = SETS[case.bundle][1]
        reference = None
        if case.expected.startswith("="):
            ref_turn = _fresh(settings, templates, case.bundle, None).ask(
                case.expected[1:].strip(), now=now
            )
            # A reference may be a negative read from the records ("I don't find any allergy
            # in Greta's records": honest, and citing what was read); never a refusal.
            refused = ref_turn.outcome in HONEST and not ref_turn.sources
            if ref_turn.path not in ("template", "template-fuzzy") or refused:
                bad.append(case.expected)
                continue
            reference = ref_turn
        assistant = _fresh(settings, templates, case.bundle, llm, similar)
        started = time.perf_counter()
        got = assistant.ask(case.question, now=now)
        elapsed = (time.perf_counter() - started) * 1000
        verdict = judge(case, got, reference)
        for step in ("similar", "llm"):  # the time of the step itself, where it ran
            if step in got.timings_ms:
                scores.setdefault(f"step/{step}", Score()).ms.append(got.timings_ms[step])
        paths = (f"path/{got.path}/{case.kind}",) if case.kind != "direct" else ()
        for key in (f"{case.bundle}/{case.lang}/{case.kind}", f"all/{case.kind}", "all", *paths):
            score = scores.setdefault(key, Score())
            setattr(score, verdict, getattr(score, verdict) + 1)
            score.ms.append(elapsed)
            if verdict == "wrong" and key == "all":
                score.wrong_examples.append(
                    f"{case.question!r} → {got.intent} {list(got.sources)} ({got.path})"
                )
    if bad:
        raise ValueError(f"reference questions the templates don't answer: {bad}")
    return scores


def report(scores: dict[str, Score]) -> str:
    rows = {key: score.row() for key, score in sorted(scores.items())}
    return json.dumps(rows, indent=1)


def counts(scores: dict[str, Score]) -> Counter[str]:
    return Counter({k: s.total for k, s in scores.items()})


# -- everyday questions: per kind, each with its own moment and what a right answer shows -----

EVERYDAY = EVAL_DIR / "everyday.jsonl"
BUNDLES = {
    "example": (ROOT / "tests/data/example-bundle.json", ""),
    "second": (ROOT / "tests/data/second-bundle.json", ""),
    "third": (ROOT / "tests/data/third-bundle.json", "w-omar"),  # one worker's round
}
NEGATIVE = re.compile(
    r"\b(inga|inget|ingen|hittar inget|hittar inga|no |none|nothing|don't find)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Everyday:
    """One line of everyday.jsonl (the fields the shared yardstick uses)."""

    bundle: str
    kind: str
    lang: str
    question: str
    now: datetime
    expect_sources: tuple[str, ...] = ()
    forbid_sources: tuple[str, ...] = ()
    expect_any: tuple[tuple[str, ...], ...] = ()
    must_verify: bool = False
    unknown: bool = False
    expect_lang: str | None = None
    # A door-code question: the confirmation prompt (care-data.md) is its right outcome.
    gate: bool = False


def load_everyday(path: Path | None = None) -> list[Everyday]:
    cases = []
    for line in (path or EVERYDAY).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        cases.append(
            Everyday(
                bundle=d["bundle"],
                kind=d["kind"],
                lang=d["lang"],
                question=d["q"],
                now=datetime.fromisoformat(d["now"]),
                expect_sources=tuple(d.get("expect_sources", ())),
                forbid_sources=tuple(d.get("forbid_sources", ())),
                expect_any=tuple(tuple(g) for g in d.get("expect_any", ())),
                must_verify=d.get("must_verify") is True,
                unknown=d.get("unknown") is True,
                expect_lang=d.get("expect_lang"),
                gate=d.get("gate") is True,
            )
        )
    return cases


# An hour said in words is the hour a key writes in digits ("three o'clock" is "3 o'clock").
_HOURS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
_HOUR_SAID = re.compile(rf"\b({'|'.join(_HOURS)}) (o'clock|o’clock)")
# Swedish says the hour of a twelve-hour clock ("klockan fyra" for a visit at 16:00): both hours.
_TIMMAR = {
    w: i for i, w in enumerate("ett två tre fyra fem sex sju åtta nio tio elva tolv".split(), 1)
}
_KLOCKAN = re.compile(rf"\bklockan ({'|'.join(_TIMMAR)})\b")


def with_hours(answer: str) -> str:
    """``answer`` (case-folded) and its hours said in words written in digits as well, as a
    key writes them: "three o'clock" is "3 o'clock", "klockan fyra" is "4" and "16"."""
    english = _HOUR_SAID.sub(lambda m: f"{_HOURS[m.group(1)]} " + m.group(2), answer)
    hours = [_TIMMAR[m.group(1)] for m in _KLOCKAN.finditer(answer)]
    swedish = " ".join(f"{h} {h + 12}" if h < 12 else str(h) for h in hours)
    return f"{answer} {english} {swedish}"


def judge_everyday(case: Everyday, got: Turn) -> tuple[str, list[str]]:
    """'right', 'miss' or 'wrong', and what fell short. A failed answer is a miss only when it
    is honest (unknown, ask-back, no data)."""
    problems = []
    sources = set(got.sources)
    if case.gate != got.gated:
        problems.append("door code gate expected" if case.gate else "gated")
    if case.unknown and sources and not got.gated:
        problems.append("cites records for a question they can't answer")
    problems += [f"missing {s}" for s in case.expect_sources if s not in sources]
    problems += [f"cites forbidden {s}" for s in case.forbid_sources if s in sources]
    answer = with_hours(got.answer.casefold())
    for group in case.expect_any:
        if not any(word.casefold() in answer for word in group):
            problems.append(f"none of {list(group)}")
    if case.must_verify and not got.must_verify:
        problems.append("not marked must-verify")
    if case.expect_lang and got.language != case.expect_lang:
        problems.append(f"answered in {got.language}")
    if not problems:
        return "right", []
    # The gate says no code and asks first: honest whenever it is not what was wanted.
    honest = got.outcome in HONEST or got.intent == "unknown" or got.gated
    forbidden = any(p.startswith("cites forbidden") for p in problems)
    return ("miss" if honest and not forbidden else "wrong"), problems


@dataclass
class EverydayScore(Score):
    wrong_day: int = 0  # another day's records cited
    wrong_negative: int = 0  # "none"/"no …" while the records say otherwise


def evaluate_everyday(
    settings: Settings, templates: Templates, llm: LlmFallback | None = None
) -> dict[str, EverydayScore]:
    """Scores per "kind/lang", "kind" and "all"; each question asked in a fresh session."""
    scores: dict[str, EverydayScore] = {}
    cares = {name: parse_bundle(path.read_bytes()).care for name, (path, _) in BUNDLES.items()}
    for case in load_everyday():
        assistant = _session(settings, templates, BUNDLES[case.bundle][1], cares[case.bundle], llm)
        started = time.perf_counter()
        got = assistant.ask(case.question, now=case.now)
        elapsed = (time.perf_counter() - started) * 1000
        verdict, problems = judge_everyday(case, got)
        for key in (f"{case.kind}/{case.lang}", case.kind, "all"):
            score = scores.setdefault(key, EverydayScore())
            setattr(score, verdict, getattr(score, verdict) + 1)
            score.ms.append(elapsed)
            if verdict == "wrong":
                if any(p.startswith("cites forbidden Appointment") for p in problems):
                    score.wrong_day += 1
                if case.expect_sources and NEGATIVE.search(got.answer):
                    score.wrong_negative += 1
            if verdict != "right" and key == "all":
                score.wrong_examples.append(
                    f"{verdict}: {case.question!r} → {got.intent} {got.answer[:90]!r} {problems}"
                )
    return scores
