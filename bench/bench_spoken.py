"""Spoken-question benchmark: the held-out template questions of one language (tests/data/eval/,
two bundles) spoken by test voices (Swedish: espeak-ng `sv`, `sv+f2`, `sv+m3`; English: Piper joe
at two speeds), heard by Whisper base free and closed-domain, answered by the assistant, judged
like the text evaluation: right (same intent and sources), honest miss, wrong.
Also, unless --no-off-domain: the held-out questions whose right answer is "I don't know" ("miss"
lines), and real speech off the domain (Common Voice clips in ../shared/speech, where any answer
is wrong), with the free transcript's word error rate on those clips.
Each clip is one spoken turn (VoicePipeline.turn, the test voice speaking the answer). A question
asked back is answered in the same voice ("Ja"/"Yes", or the client's first name). Per mode:
counts, why closed-domain chose or refused, p50/p95 of each stage (``stt`` is all of
speech-to-text, ``first_audio`` the end of the recording to the first audio of the answer), and
peak memory.

    .venv/bin/python -m bench.bench_spoken [--language sv|en] [--every 2 --offset 1] [--voices …]

Targets (issue "Swedish speech"): >= 90 % of template questions right on espeak-ng Swedish, never
the wrong client; English (Piper joe) >= 95 %; end of speech → first audio <= 1.2 s p95.
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
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.care.model import CareData
from device.nlu.recognizer import load_templates
from device.nlu.similar_reader import SimilarReader
from device.settings import CONFIG_DIR, SimilarSettings, load_settings
from device.speech.audio import AudioChunk, join, read_wav, write_wav
from device.speech.factory import whisper_examples
from device.speech.pipeline import VoicePipeline
from device.speech.stt_whisper import WhisperStt
from device.speech.tts import TextToSpeech, Voices
from device.speech.tts_espeak import EspeakTts
from device.speech.tts_piper import PiperTts
from device.turn import Turn

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("HEMASSIST_MODELS__DIR", ROOT / ".models"))
# Test voices per language, each with its speed: espeak-ng Swedish (140–180 words/min), and
# Piper's joe (English; Piper's Swedish voice is not on PyPI), repeatable (no sampled noise).
VOICES = {
    "sv": {"sv": 1.0, "sv+f2": 0.9, "sv+m3": 1.1},
    "en": {"joe": 1.0, "joe-fast": 1.15},
}
YES = {"sv": "Ja", "en": "Yes"}
SPOKEN = ("example", "second")
SPEECH = ROOT.parent / "shared" / "speech"


def speaker(language: str, voice: str) -> TextToSpeech:
    speed = VOICES[language].get(voice, 1.0)
    if voice.startswith("joe"):
        return PiperTts(MODELS / "piper-en-joe", speed=speed, variation=False)
    return EspeakTts(voice, speed=speed)


def common_voice(folder: Path, language: str) -> list[tuple[Case, str, Path, str]]:
    """Real speech off the domain: (case, "cv", wav, its transcript); any answer to it is wrong."""
    manifest = folder / "manifest.jsonl"
    if not manifest.is_file():
        return []
    off_domain = Case("example", language, "off-domain", "", "miss")
    clips = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()]
    return [(off_domain, "cv", folder / clip["audio"], clip["text"]) for clip in clips]


def kind_of(case: Case, said: str) -> str:
    if said:
        return "real speech off the domain (Common Voice)"
    if case.expected.startswith("="):
        return "template questions"
    return "questions to answer 'I don't know'"


def _reply(
    asked: Turn, reference: Turn | None, care: CareData, tts: TextToSpeech, language: str
) -> AudioChunk | None:
    """What the worker says to a question asked back: "Ja"/"Yes" to her question said back, her
    client's first name to "Vilken menar du?" when it names that client; None: she says no."""
    if asked.outcome == "clarify":
        return join(list(tts.speak(YES[language])))
    meant = [c for c in care.clients if reference is not None and c.ref in reference.sources]
    if asked.outcome != "ambiguous" or len(meant) != 1 or meant[0].full_name not in asked.answer:
        return None
    return join(list(tts.speak(meant[0].given)))


def spoken(
    cases: list[Case], language: str, voices: list[str], folder: Path
) -> list[tuple[Case, str, Path]]:
    out = []
    for voice in voices:
        tts = speaker(language, voice)
        for i, case in enumerate(cases):
            path = folder / f"{voice}-{i}.wav"
            if not path.is_file():
                write_wav(path, join(list(tts.speak(case.question))))
            out.append((case, voice, path))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="spoken-question benchmark")
    parser.add_argument("--language", default="sv", choices=sorted(VOICES), help="sv or en")
    parser.add_argument("--limit", type=int, default=0, help="questions per voice (0 = all)")
    parser.add_argument("--every", type=int, default=1, help="take every n-th question")
    parser.add_argument("--offset", type=int, default=0, help="... starting with this one")
    parser.add_argument(
        "--no-off-domain", action="store_true", help="template questions only (no misses, no CV)"
    )
    parser.add_argument(
        "--speech", type=Path, default=SPEECH, help="the folder of sv-commonvoice, en-commonvoice"
    )
    parser.add_argument("--voices", default="", help="test voices (default: all of the language)")
    parser.add_argument(
        "--modes",
        default="free,closed",
        help="free, closed (the default search), shortlist, grammar or both (closed-domain "
        "recognition with that speech.closed_search)",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=None,
        help="seconds Whisper's encoder sees (5-30; default: speech.whisper_window_s)",
    )
    parser.add_argument("--show", action="store_true", help="print every question's result")
    args = parser.parse_args()
    language = args.language
    voice_names = args.voices.split(",") if args.voices else list(VOICES[language])
    os.environ["HEMASSIST_LLM__ENABLED"] = "false"
    settings = load_settings()
    templates = load_templates(CONFIG_DIR / "sentences")
    print(
        f"hemassist spoken-question benchmark ({language}) — {platform.machine()}, "
        f"{os.cpu_count()} cores, "
        f"Python {platform.python_version()}; faster-whisper {version('faster-whisper')}, "
        f"ctranslate2 {version('ctranslate2')}, hassil {version('hassil')}, "
        f"rapidfuzz {version('rapidfuzz')}; whisper-base int8, 2 threads; "
        "the similar reader; no LLM"
    )
    # The two bundles the spoken figures have been measured on since the start (comparable runs).
    held_out = [c for c in load_cases() if c.lang == language and c.bundle in SPOKEN]
    cases = [c for c in held_out if c.expected.startswith("=")][args.offset :: args.every]
    misses = [] if args.no_off_domain else [c for c in held_out if c.expected == "miss"]
    if args.limit:
        cases = cases[: args.limit]
    stt = WhisperStt(
        MODELS / "whisper-base",
        threads=2,
        languages=(language,),
        window_s=args.window or settings.speech.whisper_window_s,
        examples=whisper_examples(settings.speech),
    )
    with tempfile.TemporaryDirectory() as tmp:
        clips = [(*c, "") for c in spoken(cases + misses, language, voice_names, Path(tmp))]
        if not args.no_off_domain:
            folder = args.speech / f"{language}-commonvoice"
            real = common_voice(folder, language)
            clips += real
            if not real:
                print(f"no Common Voice clips in {folder}: give their parent folder with --speech")
        cares = {bundle: parse_bundle(path.read_bytes()).care for bundle, (path, _) in SETS.items()}
        speakers = {voice: speaker(language, voice) for voice in voice_names}

        # The similar reader reads a free transcript no template reads, as on a device
        # (device/commands/common.py); until 2026-12-07 the bench ran without it.
        similar = SimilarReader(SimilarSettings(), wait=True, cache=Path(tmp) / "vectors.npz")

        def fresh(bundle: str) -> Assistant:
            """A new session on the bundle's one care snapshot (built once, as on a device)."""
            assistant = Assistant(settings, templates, None, similar=similar)
            assistant.use_care(cares[bundle])
            return assistant

        # Each snapshot's index is built before anything is timed, as `run` builds it in the
        # background at start-up: a question no template reads makes the reader build it.
        warm = {"sv": "berätta något om vädret", "en": "tell me something about the weather"}
        for bundle in cares:
            fresh(bundle).ask(warm[language], now=SETS[bundle][1])

        # The first test voice answers; an answer in the other language gets espeak-ng.
        answering = {language: speakers[voice_names[0]]}
        voices = Voices(answering, {"sv": EspeakTts("sv"), "en": EspeakTts("en-us")})
        for mode in args.modes.split(","):
            search = mode if mode in ("shortlist", "grammar", "both") else None
            closed = settings.speech.model_copy(
                update={
                    "closed_domain": mode != "free",
                    "closed_search": search or settings.speech.closed_search,
                }
            )
            verdicts: dict[str, Counter[str]] = {}
            asked: dict[str, Counter[str]] = {}  # "yes right", "which wrong": after her reply
            reasons: Counter[str] = Counter()
            errors, reference_words = 0, 0
            stages: dict[str, list[float]] = {}
            first_audio: dict[str, list[float]] = {}  # per kind of clip (the target: questions)
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
                    pipeline.build_domains()  # once per care-data snapshot, not per question
                pipeline.assistant = assistant
                audio: AudioChunk = read_wav(path)
                spoken_turn = pipeline.turn(audio, now=now)  # the test voice speaks the answer
                heard, got = spoken_turn.transcript, spoken_turn.turn
                verdict = judge(case, got, reference)
                verdicts.setdefault(kind_of(case, said), Counter())[verdict] += 1
                then = ""  # what her reply to a question asked back got
                if heard.unsure and heard.candidate:  # asked back: the worker answers (same voice)
                    tts = speakers.get(voice, speakers[voice_names[0]])  # Common Voice: the first
                    reply = _reply(got, reference, cares[case.bundle], tts, language)
                    after = "wrong"  # nothing asked back of off-domain speech was asked
                    if reply is not None and reference is not None:
                        after = judge(case, pipeline.turn(reply, now=now).turn, reference)
                    how = "which" if heard.other else "yes"
                    asked.setdefault(kind_of(case, said), Counter())[f"{how} {after}"] += 1
                    then = f", then {how} → {after}"
                if said:
                    errors += edit_distance(words(said), words(heard.free_text or heard.text))
                    reference_words += len(words(said))
                reasons[heard.decision or "free"] += 1
                timings = {**heard.timings_ms, **got.timings_ms, **spoken_turn.timings_ms}
                for stage, ms in timings.items():
                    stages.setdefault(stage, []).append(ms)
                if "first_audio" in timings:
                    first_audio.setdefault(kind_of(case, said), []).append(timings["first_audio"])
                if args.show:
                    print(
                        f"  {verdict:5} {voice:6} {case.question or said!r} → "
                        f"free {heard.free_text!r}, read {heard.text!r} "
                        f"({heard.decision} {heard.scores}){then}"
                    )
            print(f"\n{mode}")
            for kind, counts in verdicts.items():
                n = sum(counts.values())
                print(
                    f"  {kind:47} n={n:3}  right {counts['right'] / n:4.0%}  honest miss "
                    f"{counts['miss'] / n:4.0%}  wrong {counts['wrong'] / n:4.0%}"
                )
                back = asked.get(kind, Counter())
                said_yes = f'a spoken "{YES[language]}"'
                for how, answer in (("yes", said_yes), ("which", "the client's name")):
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
            for kind, values in first_audio.items():
                print(
                    f"  first audio, {kind}: p50 {statistics.median(values):6.0f} ms  "
                    f"p95 {percentile(values, 0.95):6.0f} ms"
                )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
