"""Understanding benchmark: the held-out questions (tests/data/eval/, two bundles) answered by
the templates and the records alone, then with each installed LLM behind them. Per set: right,
honest miss (unknown, clarify, which-one), wrong; p50/p95 per question; load time and peak memory.

    .venv/bin/python -m bench.bench_understanding

Targets (issue "Understanding"): right >= 95 % on direct questions, >= 85 % on paraphrases,
wrong <= 1 %. Everyday questions (issue "Everyday questions"): each kind >= 90 % in both
languages, no answer for the wrong day, no wrong negative, wrong <= 1 %, p95 <= 5 ms.
"""

from __future__ import annotations

import os
import platform
import resource
import time
from importlib.metadata import version
from pathlib import Path

from bench.evaluation import EverydayScore, Score, evaluate, evaluate_everyday
from device.models.manifest import load_manifest
from device.nlu.llm import LlmFallback
from device.nlu.recognizer import load_templates
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
    for entry in load_manifest().models:
        path = MODELS / entry.name / "model.gguf"
        if entry.role != "llm" or not path.is_file():
            continue
        llm = LlmFallback(path, threads=2, timeout_s=settings.llm.timeout_s)
        started = time.perf_counter()
        llm.load()
        load_s = time.perf_counter() - started
        scores = evaluate(settings, templates, llm)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        _line(f"+ {entry.name}", scores, f"| load {load_s:.1f} s, peak RSS {peak:.0f} MB")
        llm.close()


if __name__ == "__main__":
    main()
