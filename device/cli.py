"""The ``hemassist`` command line: arguments → settings → run; every command returns an exit code.

Messages are for the IT technician at the console: what went wrong and what to do, never care data.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TextIO, cast

from device import __version__
from device.commands.common import (
    EXIT_ERROR,
    EXIT_OK,
    UsageError,
    assistant_for,
    parse_now,
    print_turn,
)
from device.settings import Settings, SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hemassist",
        description="Offline assistant for home-care staff: answers questions about today's "
        "visits and clients' care routines from care data kept encrypted on the device.",
        epilog="Settings: config/defaults.toml, the file named by HEMASSIST_CONFIG, and "
        "HEMASSIST_… environment variables (every one in docs/settings.md).",
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
    imp.add_argument(
        "--allow-older",
        action="store_true",
        help="import an export older than the one in use (going back on purpose)",
    )

    ask = sub.add_parser(
        "ask",
        help="answer a question given as text",
        description="Answer one question (--text) or a stream of JSON lines (--jsonl).",
    )
    src = ask.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help='the question, e.g. "Vem är mitt nästa besök?"')
    src.add_argument(
        "--wav",
        type=Path,
        nargs="+",
        metavar="WAV",
        help="the question as a WAV file (8–48 kHz, 16-bit); more files are the next turns of the "
        'same conversation, e.g. a "ja" after "Menar du …? Säg ja eller nej."',
    )
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
    ask.add_argument(
        "--say", type=Path, metavar="OUT.wav", help="also speak the (last) answer into a WAV"
    )

    sub.add_parser(
        "status",
        help="show which care data is loaded and which models are in use (no personal data)",
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
    pin = msub.add_parser(
        "pin",
        help="record the sha256 of a model IT downloaded from its vendor (site manifest)",
        description="On a machine that can reach the vendor: download the model's files into a "
        "folder, then pin them. Every file is hashed (and checked against the vendor's "
        "voices.json MD5 for Piper voices) and recorded in models.site_manifest; devices "
        "provisioned with that file install from a copy of the folder and verify every file.",
    )
    pin.add_argument("names", nargs=1, metavar="NAME", help="the model's name in the manifest")
    pin.add_argument(
        "--from", dest="from_dir", type=Path, metavar="DIR", required=True,
        help="the folder with the downloaded files (the archive itself for Vosk models)",
    )  # fmt: skip
    pin.add_argument(
        "--vendor-digests",
        type=Path,
        metavar="VOICES_JSON",
        help="Piper's voices.json to check MD5s against (default: DIR/voices.json if there)",
    )

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

    demo = sub.add_parser(
        "demo",
        help="place a bundle on today, import it and answer example questions",
        description="Move the bundle's visits to today (whole days, same times of day), import "
        "it and answer example questions at 07:30 today, so the demo works on any date.",
    )
    demo.add_argument("--bundle", type=Path, required=True, help="the care-data bundle to import")
    demo.add_argument(
        "--now",
        help="the time to ask at: ISO 8601, or HH:MM for today (default: 07:30 today)",
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


def _import_fhir(settings: Settings, args: argparse.Namespace) -> int:
    from device.commands.care import import_fhir

    return import_fhir(settings, args.path, args.allow_older)


def _status(settings: Settings, args: argparse.Namespace) -> int:
    from device.commands.care import status
    from provisioning.device import wiped

    record = wiped(settings.data_dir)
    if record is not None:  # opening the store would make a new data key
        print(json.dumps({"wiped": record}, indent=2))
        return EXIT_OK
    return status(settings)


def _ask(settings: Settings, args: argparse.Namespace) -> int:
    default_now = parse_now(args.now, settings)
    limit = settings.input.max_question_chars
    if args.text is not None and len(args.text) > limit:
        raise UsageError(
            f"--text: the question is {len(args.text):,} characters, more than the limit of "
            f"{limit:,} (input.max_question_chars)"
        )
    # A one-shot question may wait for the LLM to load; a stream's questions never wait past
    # llm.timeout_s for it: the model loads in the background meanwhile. Both build the index of
    # questions in other words when a question first needs it (typed questions: the same answer
    # every time); the live loop (`run`) builds it in the background at start-up.
    assistant = assistant_for(settings, wait_for_llm=not args.jsonl, wait_for_index=True)
    if assistant is None:
        return EXIT_ERROR
    from device.commands.speech import ask_wav
    from device.commands.telemetry import recorder_for, telemetry_service

    recorder = recorder_for(settings)
    if args.wav is not None:
        return ask_wav(settings, assistant, args, default_now, recorder)
    if args.text is not None:
        turn = assistant.ask(args.text, now=default_now, confirmed=args.confirmed)
        print_turn(turn, args.json, sys.stdout)
        recorder(turn)
        return EXIT_OK
    assistant.warm_up()
    service = telemetry_service(settings)
    try:
        answer_lines(
            settings, assistant, recorder, default_now, args.confirmed, sys.stdin, sys.stdout
        )
    finally:
        if service is not None:
            service.stop()
    return EXIT_OK


def answer_lines(
    settings: Settings,
    assistant: Any,
    recorder: Callable[..., None],
    default_now: datetime | None,
    confirmed: bool,
    stdin: TextIO,
    stdout: TextIO,
) -> None:
    """One JSON answer or one error line per input line; a bad line never ends the stream."""
    from device.bounded import bounded_lines
    from device.requests import AskRequest, RequestLimits, parse_request

    bounds = settings.input
    limits = RequestLimits(
        bounds.max_line_kb * 1024, bounds.max_json_depth, bounds.max_question_chars
    )
    for line_no, raw in bounded_lines(_binary(stdin), limits.max_line_bytes):
        if raw is not None and not raw.strip():
            continue
        request = parse_request(raw, limits)
        if not isinstance(request, AskRequest):
            _reply_error(stdout, line_no, request)
            continue
        try:
            now = parse_now(request.now, settings) or default_now
        except UsageError as exc:
            _reply_error(stdout, line_no, str(exc).removeprefix("--"))
            continue
        turn = assistant.ask(request.text, now=now, confirmed=request.is_confirmed(confirmed))
        print_turn(turn, True, stdout)
        stdout.flush()
        recorder(turn)


def _binary(stream: TextIO) -> IO[bytes]:
    """The bytes under a text stream (stdin), so an undecodable line is one line's error."""
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return cast(IO[bytes], buffer)
    return io.BytesIO(stream.read().encode("utf-8", "surrogateescape"))  # a test's StringIO


def _sync(settings: Settings, args: argparse.Namespace) -> int:
    from device.commands.telemetry import sync

    return sync(settings, args)


def _stats(settings: Settings, args: argparse.Namespace) -> int:
    from device.commands.telemetry import stats

    return stats(settings, args)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from device.commands.speech import run

    return run(settings, args)


def _dashboard(settings: Settings, args: argparse.Namespace) -> int:
    from dashboard.commands import run

    return run(settings, args)


def _provision(settings: Settings, args: argparse.Namespace) -> int:
    from provisioning.commands import run

    return run(settings, args)


def _models(settings: Settings, args: argparse.Namespace) -> int:
    from device.commands.models import run_models

    return run_models(
        settings,
        args.models_command,
        getattr(args, "names", []),
        getattr(args, "use", None),
        getattr(args, "from_dir", None),
        getattr(args, "vendor_digests", None),
    )


def _reply_error(stdout: TextIO, line_no: int, message: str) -> None:
    stdout.write(json.dumps({"error": f"line {line_no}: {message}"}, ensure_ascii=False) + "\n")
    stdout.flush()


DEMO_QUESTIONS = [
    "Vem är mitt nästa besök?",
    "Vad ska jag göra hos Bertil?",
    "Har Greta några allergier?",
    "Tack!",  # a verdict: counted for the pilot view, never the words
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
    from device.commands.care import import_today

    now = parse_now(args.now or "07:30", settings)
    assert now is not None
    code = import_today(settings, args.bundle, now.date())
    if code != EXIT_OK:
        return code
    assistant = assistant_for(settings, wait_for_llm=True)
    if assistant is None:
        return EXIT_ERROR
    from device.commands.telemetry import recorder_for

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


def entry() -> None:
    """The console script: run the command, then leave without the interpreter's teardown,
    where native model libraries crashed now and then (see device.lifecycle)."""
    from device.lifecycle import exit_code, leave

    try:
        code = main()
    except SystemExit as exc:
        code = exit_code(exc)
    except BaseException as exc:  # where, not what: the message might hold care data
        import traceback

        frame = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" at {Path(frame[0].filename).name}:{frame[0].lineno}" if frame else ""
        print(f"hemassist: internal error {type(exc).__name__}{where}", file=sys.stderr)
        code = EXIT_ERROR
    leave(code)


if __name__ == "__main__":
    entry()
