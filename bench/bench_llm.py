"""LLM-path benchmark: for each LLM in the manifest that is installed, paraphrase accuracy,
latency p50/p95 of a question answered through the LLM, prompt and generated tokens, load time
and peak memory.

    .venv/bin/python -m bench.bench_llm

Target (issue "Local LLM fallback"): an answer through the LLM path <= 1.5 s p95 with the 0.5B
model on a 2-core machine.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.bench_templates import percentile
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.models.manifest import load_manifest
from device.nlu.llm import LlmFallback
from device.nlu.recognizer import load_templates
from device.settings import CONFIG_DIR, load_settings

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("HEMASSIST_MODELS__DIR", ROOT / ".models"))
NOW = datetime(2026, 11, 24, 7, 30, tzinfo=ZoneInfo("Europe/Stockholm"))


def main() -> None:
    pairs = [
        tuple(line.split("\t"))
        for line in (ROOT / "tests/data/paraphrases.tsv").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    settings = load_settings()
    templates = load_templates(CONFIG_DIR / "sentences")
    care = parse_bundle((ROOT / "tests/data/example-bundle.json").read_bytes()).care
    reference = Assistant(settings, templates, None)
    reference.use_care(care)
    expected = {p: reference.ask(c, now=NOW) for p, c in pairs}
    print(
        f"hemassist LLM benchmark — {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, llama-cpp-python {version('llama-cpp-python')}, "
        f"{len(pairs)} paraphrases (sv {sum(1 for p, _ in pairs if not p.isascii())}+)"
    )
    for entry in load_manifest().models:
        path = MODELS / entry.name / "model.gguf"
        if entry.role != "llm" or not path.is_file():
            continue
        llm = LlmFallback(path, threads=2, timeout_s=10)
        started = time.perf_counter()
        llm.understand("Hej", care, "sv")  # load, and evaluate the shared prefix once
        load_s = time.perf_counter() - started
        assistant = Assistant(settings, templates, None, llm)
        assistant.use_care(care)
        right, latencies, prompts, completions, sv_right, sv_total = 0, [], [], [], 0, 0
        for paraphrase, _ in pairs:
            t = time.perf_counter()
            turn = assistant.ask(paraphrase, now=NOW)
            latencies.append((time.perf_counter() - t) * 1000)
            wanted = expected[paraphrase]
            ok = (turn.intent, set(turn.sources)) == (wanted.intent, set(wanted.sources))
            right += ok
            swedish = turn.language == "sv"
            sv_total += swedish
            sv_right += ok and swedish
            if len(prompts) < 10:  # token counts of a few turns (the same every turn)
                detail = llm.understand(paraphrase, care, "sv")
                prompts.append(detail.prompt_tokens)
                completions.append(detail.completion_tokens)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        en_total = len(pairs) - sv_total
        print(
            f"\n{entry.name} ({entry.source.version if hasattr(entry.source, 'version') else ''})"
        )
        print(
            f"  accuracy {right / len(pairs):.0%} (Swedish {sv_right}/{sv_total}, "
            f"English {right - sv_right}/{en_total})"
        )
        print(
            f"  answer through the LLM: p50 {statistics.median(latencies):.0f} ms, "
            f"p95 {percentile(latencies, 0.95):.0f} ms"
        )
        print(
            f"  tokens per turn: prompt {statistics.median(prompts):.0f} (all but the question "
            f"reused from the previous turn), generated {statistics.median(completions):.0f}"
        )
        print(f"  load and first prefix {load_s:.1f} s; peak resident memory so far {peak:.0f} MB")


if __name__ == "__main__":
    main()
