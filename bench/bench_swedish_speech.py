"""Swedish speech benchmark: the held-out Swedish template questions (tests/data/eval/, two
bundles) spoken by espeak-ng voices, heard by Whisper base free and closed-domain, answered by the
assistant, judged like the text evaluation: right (same intent and sources), honest miss, wrong.
Also, unless --no-off-domain: the held-out questions whose right answer is "I don't know" ("miss"
lines), and real Swedish speech off the domain (Common Voice clips in ../shared/speech, where any
answer is wrong), with the free transcript's word error rate on those clips.
Each clip is one spoken turn (VoicePipeline.turn, espeak-ng speaking the answer: Piper's Swedish
voice is not on PyPI). Per mode: counts, why closed-domain chose or refused, p50/p95 of each stage
(``stt`` is all of speech-to-text, ``first_audio`` the end of the recording to the first audio of
the answer), and peak memory.

    .venv/bin/python -m bench.bench_swedish_speech [--every 2 --offset 1] [--voices sv,sv+f2,sv+m3]

Targets (issue "Swedish speech"): >= 90 % of template questions right on espeak-ng Swedish, never
the wrong client; end of speech → first audio <= 1.2 s p95.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import tempfile
from collections import Counter
from importlib.metadata import version
from pathlib import Path

from bench.bench_speech import edit_distance, words
from bench.bench_templates import percentile
from bench.evaluation import SETS, Case, judge, load_cases
from device.assistant import Assistant, Turn
from device.care.fhir_import import parse_bundle
from device.care.model import CareData
from device.nlu.recognizer import load_templates
from device.settings import CONFIG_DIR, load_settings
from device.speech.audio import AudioChunk, join, read_wav, write_wav
from device.speech.factory import whisper_examples
from device.speech.pipeline import VoicePipeline
from device.speech.stt_whisper import WhisperStt
from device.speech.tts import Voices
from device.speech.tts_espeak import EspeakTts

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("HEMASSIST_MODELS__DIR", ROOT / ".models"))
VOICES = {"sv": 1.0, "sv+f2": 0.9, "sv+m3": 1.1}  # espeak-ng voice: speed (140–180 words/min)
COMMON_VOICE = ROOT.parent / "shared" / "speech" / "sv-commonvoice"
OFF_DOMAIN = Case("example", "sv", "off-domain", "", "miss")  # any answer to it is wrong


def common_voice(folder: Path) -> list[tuple[Case, str, Path, str]]:
    """Real Swedish speech off the domain: (case, "cv", wav, its transcript)."""
    manifest = folder / "manifest.jsonl"
    if not manifest.is_file():
        return []
    clips = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()]
    return [(OFF_DOMAIN, "cv", folder / clip["audio"], clip["text"]) for clip in clips]


def kind_of(case: Case, said: str) -> str:
    if said:
        return "real speech off the domain (Common Voice)"
    if case.expected.startswith("="):
        return "template questions (espeak-ng)"
    return "questions to answer 'I don't know' (espeak-ng)"


def _reply(
    asked: Turn, reference: Turn | None, care: CareData, voice: str, yes: dict[str, AudioChunk]
) -> AudioChunk | None:
    """What the worker says to a question asked back: "Ja" to her question said back, her
    client's first name to "Vilken menar du?" when it names that client; None: she says no."""
    if asked.outcome == "clarify":
        return yes.get(voice, yes["sv"])
    meant = [c for c in care.clients if reference is not None and c.ref in reference.sources]
    if asked.outcome != "ambiguous" or len(meant) != 1 or meant[0].full_name not in asked.answer:
        return None
    speaker = EspeakTts(voice, speed=VOICES.get(voice, 1.0))
    return join(list(speaker.speak(meant[0].given)))


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
    parser.add_argument("--offset", type=int, default=0, help="... starting with this one")
    parser.add_argument(
        "--no-off-domain", action="store_true", help="template questions only (no misses, no CV)"
    )
    parser.add_argument("--speech", type=Path, default=COMMON_VOICE, help="Common Voice folder")
    parser.add_argument("--voices", default=",".join(VOICES), help="espeak-ng voices")
    parser.add_argument("--modes", default="free,closed", help="free and/or closed")
    parser.add_argument(
        "--window",
        type=float,
        default=None,
        help="seconds Whisper's encoder sees (5-30; default: speech.whisper_window_s)",
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
    swedish = [c for c in load_cases() if c.lang == "sv"]
    cases = [c for c in swedish if c.expected.startswith("=")][args.offset :: args.every]
    misses = [] if args.no_off_domain else [c for c in swedish if c.expected == "miss"]
    if args.limit:
        cases = cases[: args.limit]
    stt = WhisperStt(
        MODELS / "whisper-base",
        threads=2,
        languages=("sv",),
        window_s=args.window or settings.speech.whisper_window_s,
        examples=whisper_examples(settings.speech),
    )
    with tempfile.TemporaryDirectory() as tmp:
        clips = [(*clip, "") for clip in spoken(cases + misses, args.voices.split(","), Path(tmp))]
        if not args.no_off_domain:
            real = common_voice(args.speech)
            clips += real
            if not real:
                print(f"no Common Voice clips in {args.speech}: give the folder with --speech")
        cares = {bundle: parse_bundle(path.read_bytes()).care for bundle, (path, _) in SETS.items()}
        yes_clips = {
            voice: join(list(EspeakTts(voice, speed=speed).speak("Ja")))
            for voice, speed in VOICES.items()
        }

        def fresh(bundle: str) -> Assistant:
            """A new session on the bundle's one care snapshot (built once, as on a device)."""
            assistant = Assistant(settings, templates, None)
            assistant.use_care(cares[bundle])
            return assistant

        # Piper's Swedish voice is not on PyPI; an answer to off-domain speech may be in English.
        voices = Voices({}, {"sv": EspeakTts("sv"), "en": EspeakTts("en-us")})
        for mode in args.modes.split(","):
            closed = settings.speech.model_copy(update={"closed_domain": mode == "closed"})
            verdicts: dict[str, Counter[str]] = {}
            asked: dict[str, Counter[str]] = {}  # "yes right", "which wrong": after her reply
            reasons: Counter[str] = Counter()
            errors, reference_words = 0, 0
            stages: dict[str, list[float]] = {}
            pipelines: dict[str, VoicePipeline] = {}
            for case, voice, path, said in clips:
                now = SETS[case.bundle][1]
                reference = (
                    fresh(case.bundle).ask(case.expected[1:].strip(), now=now)
                    if case.expected.startswith("=")
                    else None
                )
                assistant = fresh(case.bundle)
                pipeline = pipelines.get(case.bundle)
                if pipeline is None:
                    pipeline = VoicePipeline(assistant, stt, voices, False, closed)
                    pipelines[case.bundle] = pipeline
                    pipeline.prime()
                    pipeline.domain("sv")  # built once per care-data snapshot, not per question
                pipeline.assistant = assistant
                audio: AudioChunk = read_wav(path)
                spoken_turn = pipeline.turn(audio, now=now)  # espeak-ng speaks the answer
                heard, got = spoken_turn.transcript, spoken_turn.turn
                verdict = judge(case, got, reference)
                verdicts.setdefault(kind_of(case, said), Counter())[verdict] += 1
                if heard.unsure and heard.candidate:  # asked back: the worker answers (same voice)
                    reply = _reply(got, reference, cares[case.bundle], voice, yes_clips)
                    after = "wrong"  # nothing asked back of off-domain speech was asked
                    if reply is not None and reference is not None:
                        after = judge(case, pipeline.turn(reply, now=now).turn, reference)
                    how = "which" if heard.other else "yes"
                    asked.setdefault(kind_of(case, said), Counter())[f"{how} {after}"] += 1
                if said:
                    errors += edit_distance(words(said), words(heard.free_text or heard.text))
                    reference_words += len(words(said))
                reasons[heard.decision or "free"] += 1
                timings = {**heard.timings_ms, **got.timings_ms, **spoken_turn.timings_ms}
                for stage, ms in timings.items():
                    stages.setdefault(stage, []).append(ms)
                if args.show:
                    print(
                        f"  {verdict:5} {voice:6} {case.question or said!r} → "
                        f"free {heard.free_text!r}, read {heard.text!r} "
                        f"({heard.decision} {heard.scores})"
                    )
            print(f"\n{mode}")
            for kind, counts in verdicts.items():
                n = sum(counts.values())
                print(
                    f"  {kind:47} n={n:3}  right {counts['right'] / n:4.0%}  honest miss "
                    f"{counts['miss'] / n:4.0%}  wrong {counts['wrong'] / n:4.0%}"
                )
                back = asked.get(kind, Counter())
                for how, answer in (("yes", 'a spoken "Ja"'), ("which", "the client's name")):
                    n = sum(v for k, v in back.items() if k.startswith(how))
                    if n:
                        print(
                            f"  {'':47}        asked back {n}, answered with {answer}: right "
                            f"{back[how + ' right']}, not what was asked {n - back[how + ' right']}"
                        )
            if reference_words:
                print(f"  off-domain speech: free transcript WER {errors / reference_words:.1%}")
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
