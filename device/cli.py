"""The ``hemassist`` command line: arguments → settings → run; every command returns an exit code.

Messages are for the IT technician at the console: what went wrong and what to do, never care data.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from device import __version__
from device.settings import CONFIG_DIR, Settings, SettingsError, load_settings

log = logging.getLogger("hemassist")

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments: exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hemassist",
        description="Offline assistant for home-care staff: answers questions about today's "
        "visits and clients' care routines from care data kept encrypted on the device.",
        epilog="Settings: config/defaults.toml, the file named by HEMASSIST_CONFIG, and "
        "HEMASSIST_… environment variables (see README).",
    )
    parser.add_argument("--version", action="version", version=f"hemassist {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (never care data)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    imp = sub.add_parser(
        "import-fhir",
        help="import a FHIR R4 care-data bundle, replacing the previous care data",
        description="Validate a FHIR R4 Bundle and make it the device's care data. "
        "If anything is wrong nothing changes and the previous data stays in use.",
    )
    imp.add_argument("path", type=Path, help="the bundle (JSON)")

    ask = sub.add_parser(
        "ask",
        help="answer a question given as text",
        description="Answer one question (--text) or a stream of JSON lines (--jsonl).",
    )
    src = ask.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help='the question, e.g. "Vem är mitt nästa besök?"')
    src.add_argument("--wav", type=Path, help="the question as a WAV file (8–48 kHz, 16-bit)")
    src.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"text": …, "now": …, "confirmed": …} lines on stdin, '
        "write one JSON answer per line",
    )
    ask.add_argument("--now", help="the time to answer for, ISO 8601 (default: the clock)")
    ask.add_argument(
        "--confirmed", action="store_true", help="the worker has confirmed (releases access codes)"
    )
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--say", type=Path, metavar="OUT.wav", help="also speak the answer into a WAV")

    sub.add_parser(
        "status",
        help="show which care data is loaded (bundle id, time, counts; no personal data)",
    )

    run = sub.add_parser(
        "run",
        help="the live assistant: push to talk, ask, hear the answer",
        description="Listen on the microphone after each press (Enter, or the GPIO button) and "
        "answer aloud. With --input-wav the files stand in for the microphone and the answers "
        "are written as WAV files to --output-dir.",
    )
    run.add_argument("--input-wav", type=Path, nargs="+", help="questions as WAV files")
    run.add_argument("--output-dir", type=Path, help="write the spoken answers here")
    run.add_argument("--now", help="the time to answer for, ISO 8601 (default: the clock)")

    models = sub.add_parser("models", help="install, verify or list the speech and language models")
    msub = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    install = msub.add_parser("install", help="install models (by name or by --use)")
    install.add_argument("names", nargs="*", help="model names from models/manifest.toml")
    install.add_argument(
        "--use", choices=["test", "production"], help="every model marked for this use"
    )
    install.add_argument(
        "--from",
        dest="from_dir",
        type=Path,
        metavar="DIR",
        help="take the files from this folder (a USB stick, a mirror)",
    )
    verify = msub.add_parser("verify", help="check the installed files' sha256")
    verify.add_argument("names", nargs="*", help="model names (default: all installed)")
    msub.add_parser("list", help="the models in the manifest and whether they are installed")

    from provisioning.commands import add_parser as add_provision_parser

    add_provision_parser(sub)
    from dashboard.commands import add_parser as add_dashboard_parser

    add_dashboard_parser(sub)

    sync = sub.add_parser(
        "sync",
        help="send the queued usage statistics to the broker, then exit",
        description="Send every queued statistics message and wait for the broker's "
        "acknowledgements. What can't be sent stays queued for the next time.",
    )
    sync.add_argument("--flush", action="store_true", help="also send the current, unfinished hour")
    sync.add_argument("--timeout", type=float, help="give up after this many seconds")

    stats = sub.add_parser(
        "stats",
        help="show the local usage statistics and the outbox (queued, oldest, last sent)",
    )
    stats.add_argument("--json", action="store_true", help="print JSON")

    demo = sub.add_parser("demo", help="import a bundle and answer example questions on its day")
    demo.add_argument("--bundle", type=Path, required=True, help="the care-data bundle to import")
    demo.add_argument(
        "--now",
        default="2026-11-24T07:30:00+01:00",
        help="the time of day to ask at (default: the example bundle's morning)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="hemassist: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        settings = load_settings()
        command = {
            "import-fhir": _import_fhir,
            "ask": _ask,
            "status": _status,
            "sync": _sync,
            "run": _run,
            "models": _models,
            "provision": _provision,
            "dashboard": _dashboard,
            "stats": _stats,
            "demo": _demo,
        }[args.command]
        return command(settings, args)
    except UsageError as exc:
        parser.error(str(exc))  # exits with 2
    except SettingsError as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    return EXIT_OK


def parse_now(text: str | None, settings: Settings) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--now: {text!r} is not an ISO 8601 time such as 2026-11-24T08:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


def _open_store(settings: Settings) -> Any:
    from device.care.crypto import DecryptError, KeyFileError
    from device.care.store import CareStore, StoreError

    try:
        store = CareStore(settings.data_dir, settings.store.retention_days)
        store.purge(datetime.now(settings.tz))
        return store
    except (StoreError, KeyFileError, DecryptError) as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return None


def _import_fhir(settings: Settings, args: argparse.Namespace) -> int:
    from device.care.fhir_import import BundleError, read_bundle
    from device.care.store import StoreError

    started = time.perf_counter()
    try:
        bundle = read_bundle(args.path, int(settings.store.max_bundle_mb * 1_000_000))
    except BundleError as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    store = _open_store(settings)
    if store is None:
        return EXIT_ERROR
    try:
        status = store.replace(bundle, datetime.now(settings.tz))
        store.purge(datetime.now(settings.tz))
    except StoreError as exc:
        print(f"hemassist: {exc} The previous care data stays in use.", file=sys.stderr)
        return EXIT_ERROR
    finally:
        store.close()
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(status.counts.items()))
    print(f"Imported bundle {status.bundle_id or '(no id)'}: {counts}.")
    if bundle.ignored:
        ignored = ", ".join(f"{n} {kind}" for kind, n in sorted(bundle.ignored.items()))
        print(f"Not stored (not used by the assistant, or not active): {ignored}.")
    print(f"Done in {time.perf_counter() - started:.2f} s.")
    return EXIT_OK


def _status(settings: Settings, args: argparse.Namespace) -> int:
    store = _open_store(settings)
    if store is None:
        return EXIT_ERROR
    status = store.status()
    store.close()
    if status is None:
        print("No care data imported.")
        return EXIT_OK
    print(json.dumps(status.as_dict(), indent=2, ensure_ascii=False))
    return EXIT_OK


def assistant_for(settings: Settings) -> Any:
    from device.assistant import Assistant
    from device.nlu.recognizer import load_templates

    store = _open_store(settings)
    if store is None:
        return None
    return Assistant(settings, load_templates(CONFIG_DIR / "sentences"), store, _llm(settings))


def _llm(settings: Settings) -> Any:
    """The LLM fallback when enabled and installed (loaded only when first needed)."""
    from device.models.install import model_path
    from device.models.manifest import ModelError, load_manifest
    from device.nlu.llm import LlmFallback

    if not settings.llm.enabled:
        return None
    try:
        folder = model_path(load_manifest().get(settings.llm.model), settings.models.dir)
    except ModelError as exc:
        log.info("no LLM fallback: %s", exc)
        return None
    llm = settings.llm
    return LlmFallback(
        folder / "model.gguf", llm.threads, llm.context, llm.max_tokens, llm.timeout_s
    )


def print_turn(turn: Any, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(json.dumps(turn.as_dict(), ensure_ascii=False) + "\n")
        return
    out.write(turn.answer + "\n")
    marks = [m for m, on in (("gated", turn.gated), ("must verify", turn.must_verify)) if on]
    sources = ", ".join(turn.sources) or "none"
    out.write(f"  [{turn.intent}; sources: {sources}{'; ' + ', '.join(marks) if marks else ''}]\n")


def _ask(settings: Settings, args: argparse.Namespace) -> int:
    default_now = parse_now(args.now, settings)
    assistant = assistant_for(settings)
    if assistant is None:
        return EXIT_ERROR
    from device.speech.commands import ask_wav
    from device.telemetry.commands import recorder_for, telemetry_service

    recorder = recorder_for(settings)
    if args.wav is not None:
        return ask_wav(settings, assistant, args, default_now, recorder)
    if args.text is not None:
        turn = assistant.ask(args.text, now=default_now, confirmed=args.confirmed)
        print_turn(turn, args.json, sys.stdout)
        recorder(turn)
        return EXIT_OK
    service = telemetry_service(settings)
    try:
        _answer_lines(settings, assistant, recorder, default_now, args.confirmed)
    finally:
        if service is not None:
            service.stop()
    return EXIT_OK


def _answer_lines(
    settings: Settings,
    assistant: Any,
    recorder: Callable[..., None],
    default_now: datetime | None,
    confirmed: bool,
) -> None:
    for line_no, request in _json_lines(sys.stdin):
        if isinstance(request, str):
            _reply_error(line_no, request)
            continue
        try:
            now = parse_now(request.get("now"), settings) or default_now
        except UsageError as exc:
            _reply_error(line_no, str(exc))
            continue
        turn = assistant.ask(
            request["text"], now=now, confirmed=bool(request.get("confirmed", confirmed))
        )
        print_turn(turn, True, sys.stdout)
        sys.stdout.flush()
        recorder(turn)


def _sync(settings: Settings, args: argparse.Namespace) -> int:
    from device.telemetry.commands import sync

    return sync(settings, args)


def _stats(settings: Settings, args: argparse.Namespace) -> int:
    from device.telemetry.commands import stats

    return stats(settings, args)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from device.speech.commands import run

    return run(settings, args)


def _dashboard(settings: Settings, args: argparse.Namespace) -> int:
    from dashboard.commands import run

    return run(settings, args)


def _provision(settings: Settings, args: argparse.Namespace) -> int:
    from provisioning.commands import run

    return run(settings, args)


def _models(settings: Settings, args: argparse.Namespace) -> int:
    from device.models.commands import run_models

    return run_models(
        settings,
        args.models_command,
        getattr(args, "names", []),
        getattr(args, "use", None),
        getattr(args, "from_dir", None),
    )


def _json_lines(stream: TextIO) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Each non-empty line as a request dict, or an error message for a bad line."""
    for line_no, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as exc:
            yield line_no, f"not JSON: {exc.msg}"
            continue
        if not isinstance(request, dict) or not isinstance(request.get("text"), str):
            yield line_no, 'each line needs an object with a "text" string'
            continue
        if "now" in request and not isinstance(request["now"], str | None):
            yield line_no, '"now" must be an ISO 8601 string'
            continue
        yield line_no, request


def _reply_error(line_no: int, message: str) -> None:
    sys.stdout.write(json.dumps({"error": f"line {line_no}: {message}"}) + "\n")
    sys.stdout.flush()


DEMO_QUESTIONS = [
    "Vem är mitt nästa besök?",
    "Vad ska jag göra hos Bertil?",
    "Har Greta några allergier?",
    "Vad har jag på eftermiddagen?",
    "Vad har jag efter klockan tre?",
    "Vilka mediciner tar Greta?",
    "Vad är portkoden till Anna?",
    "Vad har Annas dotter för nummer?",
    "Vem är sjuksköterskan?",
    "Who is my next visit?",
    "Does Bertil have any pets?",
    "Hur är vädret i morgon?",
]


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    code = _import_fhir(settings, argparse.Namespace(path=args.bundle))
    if code != EXIT_OK:
        return code
    assistant = assistant_for(settings)
    if assistant is None:
        return EXIT_ERROR
    now = parse_now(args.now, settings)
    from device.telemetry.commands import recorder_for

    recorder = recorder_for(settings)
    print(f"\nQuestions asked at {now.isoformat() if now else 'now'}:\n")
    for question in DEMO_QUESTIONS:
        print(f"> {question}")
        turn = assistant.ask(question, now=now)
        print_turn(turn, False, sys.stdout)
        recorder(turn)
        print()
    print("> (the worker presses the button to confirm)")
    turn = assistant.ask("Vad är portkoden till Anna?", now=now, confirmed=True)
    print_turn(turn, False, sys.stdout)
    recorder(turn)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
