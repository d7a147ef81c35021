"""Templates-path latency and import time.

    .venv/bin/python -m bench.bench_templates [--rounds 20]

Target (issue "Answer care questions from local data"): p95 <= 20 ms per question on a 2-core
machine. Prints a table and the versions; nothing is written outside a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.synth import bundle_with_resources, make_bundle
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.care.store import CareStore
from device.nlu.recognizer import load_templates
from device.settings import CONFIG_DIR, load_settings

TZ = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)
EXAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "example-bundle.json"

EXAMPLE_QUESTIONS = [
    "Vem är mitt nästa besök?",
    "Vad har jag idag?",
    "Vad har jag på eftermiddagen?",
    "Vad har jag efter klockan tre?",
    "Vem ska jag till halv tre?",
    "Hur många besök har jag idag?",
    "När börjar besöket hos Bertil?",
    "När slutar besöket hos Yusuf?",
    "Vad ska jag göra hos Bertil?",
    "Vad ska jag göra på nästa besök?",
    "Vad ska jag tänka på hos Greta?",
    "Har Greta några allergier?",
    "Har Bertil husdjur?",
    "Vilka mediciner tar Greta?",
    "Vad är portkoden till Anna?",
    "Var bor Yusuf?",
    "Vad har Annas dotter för nummer?",
    "Vem är sjuksköterskan?",
    "Hjälp",
    "Hur blir vädret i morgon?",
    "Vad har Greta Nielsen för adress?",
    "Who is my next visit?",
    "What do I have after half past two?",
    "Does Greta have any allergies?",
    "What is Anna's daughter's number?",
    "Who is the nurse?",
]
SYNTH_TEMPLATES = [
    "Vad ska jag göra hos {name}?",
    "Har {name} några allergier?",
    "Var bor {name}?",
    "Vilka mediciner tar {name}?",
    "När börjar besöket hos {name}?",
    "Vad tycker {name} om?",
    "What is {name}'s address?",
    "Vem är mitt nästa besök?",
    "Vad har jag på eftermiddagen?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_questions(assistant: Assistant, questions: list[str], rounds: int) -> list[float]:
    for q in questions:  # warm-up: first use builds hassil's indexes
        assistant.ask(q, now=NOW)
    samples = []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            assistant.ask(q, now=NOW)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def row(label: str, samples: list[float]) -> dict[str, object]:
    return {
        "case": label,
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds over the question set")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HEMASSIST_DATA_DIR"] = tmp
        os.environ["HEMASSIST_STORE__RETENTION_DAYS"] = "3650"
        settings = load_settings()
        templates = load_templates(CONFIG_DIR / "sentences")
        store = CareStore(settings.data_dir, 3650)

        store.replace(parse_bundle(EXAMPLE.read_bytes()), NOW)
        assistant = Assistant(settings, templates, store)
        rows.append(
            row(
                "example bundle, example questions",
                time_questions(assistant, EXAMPLE_QUESTIONS, args.rounds),
            )
        )

        synth = make_bundle(30, 1)
        store.replace(parse_bundle(json.dumps(synth).encode()), NOW)
        assistant = Assistant(settings, templates, store)
        names = [
            e["resource"]["name"][0]["given"][0] + " " + e["resource"]["name"][0]["family"]
            for e in synth["entry"]
            if e["resource"]["resourceType"] == "Patient"
        ]
        questions = [t.format(name=n) for n in names[:10] for t in SYNTH_TEMPLATES]
        rows.append(
            row(
                "30-client bundle, 90 questions",
                time_questions(assistant, questions, max(1, args.rounds // 4)),
            )
        )

        big = json.dumps(bundle_with_resources(5000)).encode()
        count = len(json.loads(big)["entry"])
        rows.append(
            row(f"validate {count} resources (fhir.resources)", timed(lambda: parse_bundle(big), 5))
        )
        parsed = parse_bundle(big)
        rows.append(
            row(f"encrypt + store {count} resources", timed(lambda: store.replace(parsed, NOW), 5))
        )
        rows.append(row(f"load + decrypt {count} resources", timed(store.load, 5)))
        store.close()

    print(
        f"hemassist templates benchmark — {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, hassil {version('hassil')}, "
        f"fhir.resources {version('fhir.resources')}, rapidfuzz {version('rapidfuzz')}, "
        f"cryptography {version('cryptography')}"
    )
    print(f"{'case':46} {'n':>6} {'p50 ms':>9} {'p95 ms':>9}")
    for r in rows:
        print(f"{r['case']:46} {r['n']:>6} {r['p50_ms']:>9} {r['p95_ms']:>9}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
