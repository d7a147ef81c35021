"""Swedish speech benchmark: the held-out Swedish template questions (tests/data/eval/, two
bundles) spoken by espeak-ng voices, heard by Whisper base free and closed-domain, answered by the
assistant, judged like the text evaluation: right (same intent and sources), honest miss, wrong.
Per mode: counts, why closed-domain chose or refused, p50/p95 of each speech-to-text stage, and
peak memory.

    .venv/bin/python -m bench.bench_swedish_speech [--limit 40] [--voices sv,sv+f2,sv+m3]

Targets (issue "Swedish speech"): >= 90 % of template questions right on espeak-ng Swedish, never
the wrong client; end of speech → first audio <= 1.2 s p95.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import tempfile
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path

from bench.bench_templates import percentile
from bench.evaluation import SETS, Case, judge, load_cases
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.nlu.recognizer import load_templates
from device.settings import CONFIG_DIR, load_settings
from device.speech.audio import AudioChunk, join, read_wav, write_wav
from device.speech.pipeline import VoicePipeline
from device.speech.stt_whisper import WhisperStt
from device.speech.tts import Voices
from device.speech.tts_espeak import EspeakTts

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("HEMASSIST_MODELS__DIR", ROOT / ".models"))
VOICES = {"sv": 1.0, "sv+f2": 0.9, "sv+m3": 1.1}  # espeak-ng voice: speed (140–180 words/min)


def spoken(cases: list[Case], voices: list[str], folder: Path) -> list[tuple[Case, str, Path]]:
    out = []
    for voice in voices:
        tts = EspeakTts(voice, speed=VOICES.get(voice, 1.0))
        for i, case in enumerate(cases):
            path = folder / f"{voice}-{i}.wav"
            if not path.is_file():
                write_wav(path, join(list(tts.speak(case.question))))
            out.append((case, voice, path))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="Swedish speech benchmark")
    parser.add_argument("--limit", type=int, default=0, help="questions per voice (0 = all)")
    parser.add_argument("--every", type=int, default=1, help="take every n-th question")
    parser.add_argument("--voices", default=",".join(VOICES), help="espeak-ng voices")
    parser.add_argument("--modes", default="free,closed", help="free and/or closed")
    parser.add_argument(
        "--window", type=float, default=30.0, help="seconds Whisper's encoder sees (5-30)"
    )
    parser.add_argument("--show", action="store_true", help="print every question's result")
    args = parser.parse_args()
    os.environ["HEMASSIST_LLM__ENABLED"] = "false"
    settings = load_settings()
    templates = load_templates(CONFIG_DIR / "sentences")
    print(
        f"hemassist Swedish speech benchmark — {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; faster-whisper {version('faster-whisper')}, "
        f"ctranslate2 {version('ctranslate2')}, hassil {version('hassil')}, "
        f"rapidfuzz {version('rapidfuzz')}; whisper-base int8, 2 threads; no LLM"
    )
    cases = [c for c in load_cases() if c.lang == "sv" and c.expected.startswith("=")]
    cases = cases[:: args.every]
    if args.limit:
        cases = cases[: args.limit]
    stt = WhisperStt(MODELS / "whisper-base", threads=2, languages=("sv",), window_s=args.window)
    with tempfile.TemporaryDirectory() as tmp:
        clips = spoken(cases, args.voices.split(","), Path(tmp))
        cares = {bundle: parse_bundle(path.read_bytes()).care for bundle, (path, _) in SETS.items()}

        def fresh(bundle: str) -> Assistant:
            """A new session on the bundle's one care snapshot (built once, as on a device)."""
            assistant = Assistant(settings, templates, None)
            assistant.use_care(cares[bundle])
            return assistant

        for mode in args.modes.split(","):
            closed = settings.speech.model_copy(update={"closed_domain": mode == "closed"})
            verdicts: Counter[str] = Counter()
            reasons: Counter[str] = Counter()
            stages: dict[str, list[float]] = {}
            pipelines: dict[str, VoicePipeline] = {}
            for case, voice, path in clips:
                now = SETS[case.bundle][1]
                reference = fresh(case.bundle).ask(case.expected[1:].strip(), now=now)
                assistant = fresh(case.bundle)
                pipeline = pipelines.get(case.bundle)
                if pipeline is None:
                    pipeline = VoicePipeline(assistant, stt, Voices({}, {}), False, closed)
                    pipelines[case.bundle] = pipeline
                    pipeline.prime()
                    pipeline.domain("sv")  # built once per care-data snapshot, not per question
                pipeline.assistant = assistant
                audio: AudioChunk = read_wav(path)
                started = time.perf_counter()
                heard = pipeline.hear(audio)
                hear_ms = (time.perf_counter() - started) * 1000
                got = assistant.ask(heard.text, now=now)
                verdict = judge(case, got, reference)
                verdicts[verdict] += 1
                reasons[heard.decision or "free"] += 1
                for stage, ms in {**heard.timings_ms, "stt_total": hear_ms}.items():
                    stages.setdefault(stage, []).append(ms)
                if args.show:
                    print(
                        f"  {verdict:5} {voice:6} {case.question!r} → free {heard.free_text!r}, "
                        f"read {heard.text!r} ({heard.decision} {heard.scores})"
                    )
            n = sum(verdicts.values())
            print(
                f"\n{mode:6} n={n}  right {verdicts['right'] / n:.0%}  honest miss "
                f"{verdicts['miss'] / n:.0%}  wrong {verdicts['wrong'] / n:.0%}"
            )
            print("  decisions: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
            for stage, values in sorted(stages.items()):
                print(
                    f"  {stage:14} p50 {statistics.median(values):6.0f} ms  "
                    f"p95 {percentile(values, 0.95):6.0f} ms"
                )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
