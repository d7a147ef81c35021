"""Understanding benchmark: the held-out questions (tests/data/eval/, three bundles) answered by
the templates and the records alone, then with the similar-question reader, then with each
installed LLM behind both. Per set: right, honest miss (unknown, clarify, which-one), wrong;
p50/p95 per question; per path for paraphrases and misses; the similar step's time, quiet and
with two other processes burning both cores; load time and peak memory.

    .venv/bin/python -m bench.bench_understanding

Targets (issue "Understanding"): right >= 95 % on direct questions, >= 85 % on paraphrases,
wrong <= 1 %. Everyday questions (issue "Everyday questions"): each kind >= 90 % in both
languages, no answer for the wrong day, no wrong negative, wrong <= 1 %, p95 <= 5 ms.
Questions in the worker's own words (issue 31): >= 85 % right on >= 120 paraphrases, <= 1 %
wrong; understanding an unmatched question <= 400 ms p95 quiet, under the deadline when loaded.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import platform
import resource
import tempfile
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

from bench.evaluation import EverydayScore, Score, evaluate, evaluate_everyday
from device.models.manifest import load_manifest
from device.nlu.llm import LlmFallback
from device.nlu.recognizer import load_templates
from device.nlu.similar_reader import SimilarReader
from device.settings import CONFIG_DIR, load_settings

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("HEMASSIST_MODELS__DIR", ROOT / ".models"))


def _line(label: str, scores: dict[str, Score], extra: str = "") -> None:
    cells = []
    for kind in ("direct", "paraphrase", "miss"):
        row = scores[f"all/{kind}"].row()
        cells.append(f"{kind} {row['right']:.0%}/{row['miss']:.0%}/{row['wrong']:.0%}")
    total = scores["all"].row()
    print(
        f"{label:24} {' | '.join(cells)} | all n={total['n']} wrong {total['wrong']:.1%} | "
        f"p50 {total['p50_ms']} ms p95 {total['p95_ms']} ms {extra}"
    )
    for example in scores["all"].wrong_examples:
        print(f"    wrong: {example}")


KINDS = ("medication", "round", "visit-kind", "order", "day", "personal", "briefing", "language")


def _everyday(scores: dict[str, EverydayScore]) -> None:
    """The everyday kinds (tests/data/eval/everyday.jsonl, three bundles), per language."""
    print("everyday questions, per kind (sv | en): right/honest miss/wrong")
    for kind in (*KINDS, "unknown"):
        cells = []
        for lang in ("sv", "en"):
            score = scores.get(f"{kind}/{lang}")
            if score is None:
                cells.append(f"{lang} –")
                continue
            row = score.row()
            cells.append(
                f"{lang} n={row['n']} {row['right']:.0%}/{row['miss']:.0%}/{row['wrong']:.0%}"
            )
        print(f"  {kind:11} {' | '.join(cells)}")
    total = scores["all"]
    row = total.row()
    print(
        f"  all n={row['n']} right {row['right']:.1%} wrong {row['wrong']:.1%} "
        f"(another day's records: {total.wrong_day}, wrong negatives: {total.wrong_negative}) "
        f"p50 {row['p50_ms']} ms p95 {row['p95_ms']} ms"
    )
    for example in total.wrong_examples:
        print(f"    {example}")


def _paths(scores: dict[str, Score]) -> None:
    """Paraphrases and misses per path that answered them (templates, records, similar, none),
    and the similar step's own time."""
    for key in sorted(k for k in scores if k.startswith("path/")):
        row = scores[key].row()
        print(
            f"  {key[5:]:24} n={row['n']:3} right {row['right']:.0%} honest miss "
            f"{row['miss']:.0%} wrong {row['wrong']:.0%}"
        )
    step = scores.get("step/similar")
    if step is not None:
        row = step.row()
        print(f"  similar step (quiet): n={row['n']} p50 {row['p50_ms']} ms p95 {row['p95_ms']} ms")


@contextlib.contextmanager
def _burning(processes: int) -> Iterator[None]:
    """Other processes keeping the cores busy meanwhile (a shared, loaded device)."""
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(processes)]
    for burner in burners:
        burner.start()
    try:
        yield
    finally:
        for burner in burners:
            burner.terminate()


def _burn() -> None:
    while True:
        sum(i * i for i in range(10_000))


def main() -> None:
    os.environ["HEMASSIST_LLM__ENABLED"] = "false"  # the LLM is passed in explicitly below
    settings = load_settings()
    templates = load_templates(CONFIG_DIR / "sentences")
    print(
        f"hemassist understanding benchmark — {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, hassil {version('hassil')}, "
        f"snowballstemmer {version('snowballstemmer')}, "
        f"llama-cpp-python {version('llama-cpp-python')}"
    )
    print("per set: right/honest miss/wrong")
    _line("templates + records", evaluate(settings, templates))
    _everyday(evaluate_everyday(settings, templates))
    vectors = Path(tempfile.gettempdir()) / "hemassist-bench-similar-vectors.npz"
    vectors.unlink(missing_ok=True)  # the first index is built cold, as on a new device
    similar = SimilarReader(settings.similar, wait=True, cache=vectors)
    evaluate(settings, templates, similar=similar)  # builds each bundle's index, cold
    cold = similar.build_ms
    scores = evaluate(settings, templates, similar=similar)  # as on a device after start-up
    _line("+ similar", scores, f"| the last index built cold in {cold} ms")
    _paths(scores)
    with _burning(2):
        busy = evaluate(settings, templates, similar=similar)
    step = busy["step/similar"].row()
    print(
        f"  similar step with both cores kept busy by two other processes: "
        f"p50 {step['p50_ms']} ms p95 {step['p95_ms']} ms"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS so far {peak:.0f} MB")
    for entry in load_manifest().models:
        path = MODELS / entry.name / "model.gguf"
        if entry.role != "llm" or not path.is_file():
            continue
        llm = LlmFallback(path, threads=2, timeout_s=settings.llm.timeout_s)
        started = time.perf_counter()
        llm.load()
        load_s = time.perf_counter() - started
        scores = evaluate(settings, templates, llm, similar)  # what similar leaves
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        _line(f"+ similar + {entry.name}", scores, f"| load {load_s:.1f} s, peak RSS {peak:.0f} MB")
        llm.close()


if __name__ == "__main__":
    main()
