"""Choose the grammar path's decision thresholds on calibrated scores (issue 41), with 0 wrong.

Step 1 (``--dump``): the held-out Swedish template questions (a slice: ``--every``/``--offset``),
spoken by the test voices, plus the "I don't know" questions and Common Voice clips (``--misses``,
``--cv`` of each), are heard by Whisper base, and the grammar search runs at each ``--alphas``;
the free transcript and the sentences found, with their calibrated means, go to a JSON file.
Step 2 (``--sweep``): every threshold combination is applied to the dump (closed.decide, the
assistant's text path answering what it decides, a "Ja" to what is said back) and the best with
0 wrong is printed, per α: right at once / after one reply / honest miss / wrong, per voice.

    .venv/bin/python -m bench.prior_sweep --dump /tmp/d.json --every 6 --offset 3
    .venv/bin/python -m bench.prior_sweep --sweep /tmp/d.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
from collections import Counter
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from bench.bench_spoken import SPEECH, SPOKEN, VOICES, common_voice, spoken
from bench.evaluation import SETS, Case, judge, load_cases
from device.answers.handlers import NEEDS_DATA
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.nlu.days import find_day
from device.nlu.recognizer import load_templates
from device.nlu.text import normalize
from device.settings import CONFIG_DIR, load_settings
from device.speech.audio import read_wav
from device.speech.closed import AskBack, check_heard, decide, sound_key
from device.speech.factory import whisper_examples
from device.speech.pipeline import VoicePipeline
from device.speech.stt import care_names
from device.speech.stt_whisper import WhisperStt
from device.speech.tts import Voices

MODELS = Path(os.environ.get("HEMASSIST_MODELS__DIR", Path(__file__).parent.parent / ".models"))


def _assistants() -> tuple[Any, dict[str, Any]]:
    os.environ["HEMASSIST_LLM__ENABLED"] = "false"
    settings = load_settings()
    templates = load_templates(CONFIG_DIR / "sentences")
    cares = {b: parse_bundle(path.read_bytes()).care for b, (path, _) in SETS.items()}
    return settings, {"templates": templates, "cares": cares}


def fresh(settings: Any, world: dict[str, Any], bundle: str) -> Assistant:
    assistant = Assistant(settings, world["templates"], None)
    assistant.use_care(world["cares"][bundle])
    return assistant


def dump(args: argparse.Namespace) -> None:
    settings, world = _assistants()
    held = [c for c in load_cases() if c.lang == "sv" and c.bundle in SPOKEN]
    cases = [c for c in held if c.expected.startswith("=")][args.offset :: args.every]
    misses = [c for c in held if c.expected == "miss"][: args.misses]
    stt = WhisperStt(
        MODELS / "whisper-base", 2, languages=("sv",), examples=whisper_examples(settings.speech)
    )
    alphas = [float(a) for a in args.alphas.split(",")]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        said = spoken(cases + misses, "sv", list(VOICES["sv"]), Path(tmp))
        real = [(c, "cv", p) for c, _, p, _ in common_voice(SPEECH / "sv-commonvoice", "sv")]
        # Each question in every voice, then the next, the off-domain clips among them: a dump
        # cut short (a busy machine) is still balanced.
        n = len(cases + misses)
        clips = [said[v * n + i] for i in range(n) for v in range(len(VOICES["sv"]))]
        for i, clip in enumerate(real[: args.cv]):
            clips.insert(min(len(clips), (i + 1) * 6), clip)
        pipelines: dict[str, VoicePipeline] = {}
        for case, voice, path in clips:
            if case.bundle not in pipelines:
                pipelines[case.bundle] = VoicePipeline(
                    fresh(settings, world, case.bundle), stt, Voices({}, {}), False, settings.speech
                )
                pipelines[case.bundle].prime()
            pipeline = pipelines[case.bundle]
            heard = stt.hear(read_wav(path))
            record: dict[str, Any] = {
                "bundle": case.bundle,
                "question": case.question,
                "expected": case.expected,
                "voice": voice,
                "free": heard.text,
                "echoed": heard.echoed,
                "runs": {},
            }
            # The shortlist as the pipeline builds it (free and constrained transcripts, by
            # spelling and sound), scored as the grammar search scores its sentences.
            domain = pipeline.domain("sv")
            within = heard.within(domain.vocabulary)
            written = list(dict.fromkeys([normalize(heard.text), *(normalize(t) for t in within)]))
            half = max(1, settings.speech.closed_candidates // 2)
            limits = [settings.speech.closed_candidates, *(half for _ in written[1:])]

            def meaning(text: str, bundle: str = case.bundle) -> Hashable | None:
                return pipelines[bundle].assistant.meaning(text, "sv")

            shortlist = domain.shortlists(written, limits, meaning)
            record["within"] = within
            # The shortlist of the free transcript alone: would the constrained ones be missed?
            record["free_only"] = domain.shortlists(written[:1], limits[:1], meaning)
            # The shortlist as the default path scored it before (CTranslate2 ``align`` on the
            # utterance's frames, no prior): the baseline, on the same clips.
            aligned = heard.score([heard.text, *(pipeline._sentence(t) for t in shortlist)])
            record["align"] = {
                "free_mean": aligned[0],
                "found": [],
                "shortlist": list(zip(shortlist, aligned[1:], strict=True)),
            }
            for alpha in alphas:
                found = heard.grammar(pipeline.trie("sv"), 8, 12, alpha)
                scores = heard.calibrated([pipeline._sentence(t) for t in shortlist], alpha)
                record["runs"][str(alpha)] = {
                    "free_mean": heard.free_mean,
                    "found": [(f.text, f.mean) for f in found],
                    "shortlist": list(zip(shortlist, scores, strict=True)),
                    "ms": heard.timings_ms.get("stt_grammar"),
                    "score_ms": heard.timings_ms.get("stt_score"),
                }
            out.append(record)
            Path(args.dump).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
            print(
                voice, case.question, "→", heard.text, record["runs"][str(alphas[-1])]["found"][:2]
            )


def sweep(args: argparse.Namespace) -> None:
    only: dict[str, float] = json.loads(args.only) if args.only else {}
    settings, world = _assistants()
    records = json.loads(Path(args.sweep).read_text(encoding="utf-8"))
    bundles = {r["bundle"] for r in records}
    helpers = {b: fresh(settings, world, b) for b in bundles}
    memo: dict[Any, Any] = {}

    def cached(kind: str, bundle: str, text: str) -> Any:
        key = (kind, bundle, text)
        if key not in memo:
            a = helpers[bundle]
            memo[key] = a.meaning(text, "sv") if kind == "meaning" else a.restatement(text, "sv")
        return memo[key]

    def outcome(r: dict[str, Any], text: str, unsure: bool) -> str:
        """What the text path makes of ``text``: right / miss / wrong, or "yes …" said back."""
        key = ("turn", r["bundle"], r["question"], r["expected"], text, unsure)
        if key not in memo:
            case = Case(r["bundle"], "sv", "", r["question"], r["expected"])
            now = SETS[r["bundle"]][1]
            reference = (
                fresh(settings, world, r["bundle"]).ask(r["expected"][1:].strip(), now=now)
                if r["expected"].startswith("=")
                else None
            )
            a = fresh(settings, world, r["bundle"])
            got = a.ask(text, now=now, unsure=unsure)
            verdict = judge(case, got, reference)
            if unsure and got.outcome == "clarify":
                after = (
                    "wrong" if reference is None else judge(case, a.ask("Ja", now=now), reference)
                )
                verdict = f"yes {after}"
            memo[key] = verdict
        result: str = memo[key]
        return result

    names = {b: set(care_names(world["cares"][b])) for b in bundles}

    def names_heard(r: dict[str, Any], text: str, floor: float) -> bool:
        heard = [sound_key(normalize(t)) for t in [r["free"], *r.get("within", [])]]
        return all(
            max(fuzz.partial_ratio(sound_key(w), h) for h in heard) >= floor
            for w in text.split()
            if w in names[r["bundle"]]
        )

    def run(r: dict[str, Any], alpha: str, p: dict[str, float]) -> str:
        free = r["free"]
        if not free.strip():
            return "miss"
        norm = normalize(free)
        reading = cached("meaning", r["bundle"], free)
        understood = reading is not None and not r["echoed"]
        asks_data = isinstance(reading, tuple) and reading[0] in NEEDS_DATA
        if understood and (len(norm.split()) >= 5 or not asks_data):
            return outcome(r, free, False)
        if not understood and find_day(norm)[1] is not None:
            return outcome(r, free, False)
        run_ = r["align"] if alpha == "align" else r["runs"][alpha]

        def meaning(text: str) -> Hashable | None:
            return cached("meaning", r["bundle"], text)  # type: ignore[no-any-return]

        def restate(text: str) -> str | None:
            return cached("restate", r["bundle"], text)  # type: ignore[no-any-return]

        pool = {
            "grammar": run_["found"],
            "shortlist": run_["shortlist"],
            "both": [*run_["found"], *run_["shortlist"]],
        }[args.source]
        if args.free_only:
            alone = set(r["free_only"])
            pool = [(t, m) for t, m in pool if t in alone]
        if args.per_meaning:  # as if only the first few of each meaning had been shortlisted
            kept: Counter[Hashable] = Counter()
            capped = []
            for t, m in pool:
                key = meaning(t)
                kept[key] += 1
                if key is None or kept[key] <= args.per_meaning:
                    capped.append((t, m))
            pool = capped
        scored = list({t: m for t, m in pool if t != norm}.items())
        named = names[r["bundle"]]
        ask = AskBack(
            p["ask_slack"],
            p["ask_margin"],
            restate,
            5,
            lambda text: any(word in named for word in text.split()),
            p.get("short_named", float("inf")),
        )
        if reading is not None:
            scored = [(norm, run_["free_mean"]), *scored]
            checked = check_heard(norm, scored, meaning, p["heard"], restate)
            if checked.ask:
                return outcome(r, checked.candidate or free, True)
            return "miss" if checked.candidate is None else outcome(r, free, False)
        v = decide(
            norm,
            run_["free_mean"],
            scored,
            meaning,
            p["slack"],
            p["margin"],
            p["resemblance"],
            ask,
            p["handoff"] if p["handoff"] >= 0 else None,
            pool=p.get("pool", 0.0),
        )
        if v.candidate is None:
            return "miss" if r["echoed"] else outcome(r, free, False)
        unheard = p.get("name_heard", 0) and not names_heard(r, v.candidate, p["name_heard"])
        if not v.ask and unheard:
            return outcome(r, v.candidate, True)
        return outcome(r, v.candidate, v.ask)

    grid = {
        "slack": [0.25, 0.5, 0.75, 1.0, 1.5, 99.0],
        "margin": [0.5, 1.0, 1.5, 2.0, 3.0],
        "resemblance": [0.0, 50.0],
        "ask_slack": [1.0, 2.0, 3.5],
        "ask_margin": [0.1, 0.3, 0.6],
        "handoff": [0.5, 1.0, 1.5, 2.5, -1.0],
        "heard": [0.5],
        "name_heard": [0.0, 70.0],
        "pool": [0.0, 0.25, 0.5, 1.0],
    }
    if args.source == "shortlist":  # the shortlist hands nothing on; names are always checked
        grid |= {"handoff": [-1.0], "name_heard": [settings.speech.closed_name_heard]}
    current = settings.speech
    before = {  # the shortlist's thresholds for align scores, until 2026-12-05
        "slack": 1.0,
        "margin": 2.0,
        "resemblance": 50.0,
        "ask_slack": 3.5,
        "ask_margin": 0.3,
        "handoff": -1.0,
        "heard": 0.5,
        "name_heard": 0.0,
    }
    defaults = {
        "slack": current.closed_free_slack,
        "margin": current.closed_margin,
        "resemblance": current.closed_resemblance,
        "ask_slack": current.closed_ask_slack,
        "ask_margin": current.closed_ask_margin,
        "handoff": -1.0,  # the shortlist hands nothing on
        "heard": current.closed_heard_margin,
        "name_heard": current.closed_name_heard,
        "pool": current.closed_pool,
        "short_named": current.closed_short_named,
    }
    for alpha in [*records[0]["runs"], *(["align"] if "align" in records[0] else [])]:
        print(f"alpha {alpha}, the thresholds before (tuned for align scores):")
        show(records, alpha, before, run)
        print(f"alpha {alpha}, the settings now:")
        show(records, alpha, defaults, run)
        if only:
            print(f"alpha {alpha}, {only}:")
            show(records, alpha, {**defaults, **only}, run)
            continue
        best: tuple[Any, ...] | None = None
        for values in itertools.product(*grid.values()):
            p = dict(zip(grid, values, strict=True))
            got = Counter(run(r, alpha, p) for r in records)
            # A wrong answer at once is worst; one said back and confirmed with a "ja" (the
            # bench says yes to everything said back) next; then most right at once.
            key = (-got["wrong"], -got["yes wrong"], got["right"], got["right"] + got["yes right"])
            if best is None or key > best[0]:
                best = (key, p, got)
        assert best is not None
        print(f"alpha {alpha}: best {best[1]} → {dict(best[2])}")
        if args.show:
            show(records, alpha, best[1], run)


def show(records: list[dict[str, Any]], alpha: str, p: dict[str, float], run: Any) -> None:
    per: dict[str, Counter[str]] = {}
    for r in records:
        kind = "template" if r["expected"].startswith("=") else "off-domain"
        got = run(r, alpha, p)
        per.setdefault(f"{kind} {r['voice']}", Counter())[got] += 1
        if got.endswith("wrong"):
            print(f"    {got}: {r['voice']} {r['question']!r} heard {r['free']!r}")
    total: Counter[str] = Counter()
    for k, c in sorted(per.items()):
        total += c
        print(f"  {k:20} {dict(c)}")
    print(f"  {'all':20} {dict(total)}")
    runs = [r["align"] if alpha == "align" else r["runs"][alpha] for r in records]
    ms = [run["ms"] for run in runs if run.get("ms") is not None]
    if ms:
        print(f"  grammar search p50 {sorted(ms)[len(ms) // 2]:.0f} ms (n={len(ms)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dump")
    parser.add_argument("--sweep")
    parser.add_argument("--every", type=int, default=6)
    parser.add_argument("--offset", type=int, default=3)
    parser.add_argument("--misses", type=int, default=7)
    parser.add_argument("--cv", type=int, default=10)
    parser.add_argument("--alphas", default="0.0,0.5")
    parser.add_argument("--show", action="store_true")
    parser.add_argument(
        "--source",
        choices=("grammar", "shortlist", "both"),
        default="grammar",
        help="the sentences the decision chooses among: found by the search, shortlisted, or both",
    )
    parser.add_argument(
        "--free-only",
        action="store_true",
        help="shortlist from the free transcript alone (as if the constrained ones were skipped)",
    )
    parser.add_argument(
        "--per-meaning", type=int, default=0, help="score at most this many sentences a meaning"
    )
    parser.add_argument("--only", default="", help="JSON of thresholds to apply, not sweep")
    args = parser.parse_args()
    if args.dump:
        dump(args)
    if args.sweep:
        sweep(args)


if __name__ == "__main__":
    main()
