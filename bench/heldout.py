"""Held-out sets written from the care data alone, before the code they measure (issues 36, 38,
39): names that are not a client's (people.jsonl), short conversations (conversations.jsonl),
the day's plan and the records in other words (round3.jsonl, round4_plan.jsonl), every kind
of question with words around it (round5.jsonl, round6.jsonl) and as a recogniser writes it
(round7.jsonl). Each answer is right, an honest miss, or
wrong; the tests assert 0 wrong and the bench prints all three.

    .venv/bin/python -m bench.heldout
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.evaluation import BUNDLES, judge_everyday, load_everyday, with_hours
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.care.model import CareData
from device.nlu.recognizer import Templates, load_templates
from device.nlu.similar_reader import SimilarReader
from device.settings import CONFIG_DIR, Settings, SimilarSettings, load_settings

EVAL = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval"
WORKERS = {"example": "", "second": "", "third": "w-omar"}
HONEST = ("unknown", "ambiguous", "clarify", "no_data")


def load(name: str) -> list[dict[str, Any]]:
    lines = (EVAL / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _cares() -> dict[str, CareData]:
    return {name: parse_bundle(path.read_bytes()).care for name, (path, _) in BUNDLES.items()}


def _session(
    settings: Settings, templates: Templates, care: CareData, bundle: str, reader: SimilarReader
) -> Assistant:
    mine = settings.model_copy(update={"worker": WORKERS[bundle]})
    assistant = Assistant(mine, templates, None, similar=reader)
    assistant.use_care(care)
    return assistant


def judge_named(answer: str, case: dict[str, Any]) -> str:
    """people.jsonl: wrong when another person's fact is said; right when every expected group
    is heard (or, none expected, nothing wrong was said); else an honest miss."""
    text = answer.casefold()
    if any(bad.casefold() in text for bad in case["must_not_contain"] if bad):
        return "wrong"
    wanted, text = case["expect_any"], with_hours(text)
    if all(any(alt.casefold() in text for alt in group) for group in wanted):
        return "right"
    return "miss"


def judge_turn(answer: str, outcome: str, turn: dict[str, Any]) -> str:
    """conversations.jsonl: as ``judge_named``; a turn that should be asked back is right only
    when it is (an answer to it is wrong)."""
    text = answer.casefold()
    if any(bad.casefold() in text for bad in turn["must_not_contain"] if bad):
        return "wrong"
    if turn.get("expect_ask_back") is True:  # a door code held back asks first too
        return "right" if outcome in HONEST or outcome == "gated" else "wrong"
    return judge_named(answer, turn)


def people(settings: Settings, templates: Templates, reader: SimilarReader) -> Counter[str]:
    cares, counts = _cares(), Counter[str]()
    # By bundle: the similar reader builds its index once per snapshot, not at every switch.
    for case in sorted(load("people.jsonl"), key=lambda c: str(c["bundle"])):
        talk = _session(settings, templates, cares[case["bundle"]], case["bundle"], reader)
        got = talk.ask(
            case["q"], now=datetime.fromisoformat(case["now"]), confirmed=case["confirmed"] is True
        )
        verdict = judge_named(got.answer, case)
        counts[verdict] += 1
        if verdict == "wrong":
            counts[f"wrong: {case['q']} → {got.answer[:80]}"] += 1
    return counts


def conversations(
    settings: Settings,
    templates: Templates,
    reader: SimilarReader,
    name: str = "conversations.jsonl",
) -> Counter[str]:
    cares, counts = _cares(), Counter[str]()
    for conversation in sorted(load(name), key=lambda c: str(c["bundle"])):
        bundle = conversation["bundle"]
        talk = _session(settings, templates, cares[bundle], bundle, reader)
        for turn in conversation["turns"]:
            got = talk.ask(
                turn["q"],
                now=datetime.fromisoformat(turn["now"]),
                confirmed=turn["confirmed"] is True,
            )
            verdict = judge_turn(got.answer, got.outcome, turn)
            counts[verdict] += 1
            if verdict == "wrong":
                counts[f"wrong: {turn['q']} → {got.answer[:80]}"] += 1
    return counts


def round3(
    settings: Settings,
    templates: Templates,
    reader: SimilarReader,
    name: str = "round3.jsonl",
    misses: bool = False,
) -> dict[str, Counter[str]]:
    """round3.jsonl (or records_dev.jsonl, the development set of the records read by meaning),
    per kind, with the similar reader on (each question a fresh session)."""
    cares: dict[str, CareData] = _cares()
    scores: dict[str, Counter[str]] = {}
    for case in sorted(load_everyday(EVAL / name), key=lambda c: c.bundle):
        talk = _session(settings, templates, cares[case.bundle], case.bundle, reader)
        got = talk.ask(case.question, now=case.now)
        verdict, _problems = judge_everyday(case, got)
        for key in (case.kind, "all"):
            scores.setdefault(key, Counter())[verdict] += 1
        if verdict == "wrong" or (misses and verdict == "miss"):
            scores["all"][f"{verdict}: {case.question} → {_shown(got.answer)}"] += 1
    return scores


def main(argv: list[str]) -> int:
    """All the held-out sets, or the one named (round3.jsonl, round4_plan.jsonl, round5.jsonl,
    records_dev.jsonl); with ``--misses`` after the name, its honest misses are printed too."""
    with tempfile.TemporaryDirectory() as tmp:
        import os

        os.environ["HEMASSIST_DATA_DIR"] = tmp
        settings = load_settings()
        templates = load_templates(CONFIG_DIR / "sentences")
        reader = SimilarReader(SimilarSettings(), wait=True, cache=Path(tmp) / "vectors.npz")
        if argv and argv[0].startswith("conversations"):
            counts = conversations(settings, templates, reader, argv[0])
            right, miss, wrong = counts["right"], counts["miss"], counts["wrong"]
            print(f"{argv[0]}: right {right} / miss {miss} / wrong {wrong}")
            return 0
        if argv:
            shown = round3(settings, templates, reader, argv[0], "--misses" in argv[1:])
            _print(argv[0], shown)
            return 0
        for name, counts in (
            ("people.jsonl", people(settings, templates, reader)),
            ("conversations.jsonl", conversations(settings, templates, reader)),
        ):
            print(
                f"{name}: right {counts['right']} / miss {counts['miss']} / wrong {counts['wrong']}"
            )
            for key in counts:
                if key.startswith("wrong:"):
                    print("   ", key)
        _print("round3.jsonl", round3(settings, templates, reader))
        # The day's plan, written from the care data alone during issue 39's round 3 (2026-12-06).
        _print("round4_plan.jsonl", round3(settings, templates, reader, "round4_plan.jsonl"))
        # Every kind of question, with words around it, written from the bundles alone before
        # the round-5 changes were measured on it (2026-12-06).
        _print("round5.jsonl", round3(settings, templates, reader, "round5.jsonl"))
        # 90 more of every kind, and 60 as a recogniser writes them, written by two helpers from
        # the bundles alone; round7 was measured once, at the end of the work (2026-12-06).
        _print("round6.jsonl", round3(settings, templates, reader, "round6.jsonl"))
        _print("round7.jsonl", round3(settings, templates, reader, "round7.jsonl"))
        # Written before the night's work of 2026-12-06 and of 2026-12-07, each measured once
        # at its end, then worked from (docs/understanding.md, rounds 8 and 9).
        for name in ("round10.jsonl", "round11.jsonl"):
            _print(name, round3(settings, templates, reader, name))
        # Written before round 13 (2026-12-07, afternoon), measured once, then worked from.
        _print("round16.jsonl", round3(settings, templates, reader, "round16.jsonl"))
        counts = conversations(settings, templates, reader, "conversations2.jsonl")
        right, miss, wrong = counts["right"], counts["miss"], counts["wrong"]
        print(f"conversations2.jsonl: right {right} / miss {miss} / wrong {wrong}")
    return 0


def _shown(answer: str) -> str:
    """The answer without the assistant's opening sentence, cut to a line."""
    for opening in ("Det här är en automatisk assistent. ", "This is an automated assistant. "):
        answer = answer.removeprefix(opening)
    return answer[:160]


def _print(name: str, scores: dict[str, Counter[str]]) -> None:
    for kind, counts in sorted(scores.items()):
        print(
            f"{name} {kind}: right {counts['right']} / miss {counts['miss']} / "
            f"wrong {counts['wrong']}"
        )
        for key in counts:
            if key.startswith(("wrong:", "miss:")):
                print("   ", key)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
