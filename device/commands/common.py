"""What every ``hemassist`` subcommand shares: exit codes, usage errors, ``--now``, printing a turn,
opening the store and building the assistant.

It sits below ``device.cli`` and the subcommand modules (speech, statistics, models, provisioning)
so that they import it, never the entry point and never each other.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, time
from typing import Any, TextIO

from device.bounded import quote
from device.settings import CONFIG_DIR, Settings

log = logging.getLogger("hemassist")

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments: exit code 2."""


def parse_now(text: str | None, settings: Settings) -> datetime | None:
    """``--now``: an ISO 8601 time, or HH:MM for that time today (the device's time zone)."""
    if not text:
        return None
    try:
        if len(text) > 64:  # the longest ISO 8601 time is about 35 characters
            raise ValueError
        if len(text) <= 5 and ":" in text:
            clock = time.fromisoformat(text.zfill(5))
            return datetime.combine(datetime.now(settings.tz).date(), clock, settings.tz)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--now: {quote(text)} is not an ISO 8601 time such as 2026-11-24T08:00, "
            "nor HH:MM for today"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


def open_store(settings: Settings) -> Any:
    """The care-data store (retention applied), or None after printing what is wrong."""
    from device.care.crypto import DecryptError, KeyFileError
    from device.care.store import CareStore, StoreError

    try:
        store = CareStore(settings.data_dir, settings.store.retention_days)
        store.purge(datetime.now(settings.tz))
        return store
    except (StoreError, KeyFileError, DecryptError) as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return None


def assistant_for(
    settings: Settings, wait_for_llm: bool = False, wait_for_index: bool | None = None
) -> Any:
    """The assistant over the device's store, with the LLM fallback when one is installed.

    ``wait_for_llm``: a one-shot command (``ask --text``, ``demo``) waits for the model to load on
    its first free question; a session (``ask --jsonl``, ``run``) loads it in the background and
    never lets a question wait longer than ``llm.timeout_s``. ``wait_for_index`` (default: as
    ``wait_for_llm``): build the index of questions in other words when a question first needs
    it, rather than in the background (device/nlu/similar_reader.py).
    """
    from device.assistant import Assistant
    from device.nlu.recognizer import load_templates
    from device.nlu.similar_reader import SimilarReader

    store = open_store(settings)
    if store is None:
        return None
    return Assistant(
        settings,
        load_templates(CONFIG_DIR / "sentences"),
        store,
        llm_for(settings),
        wait_for_llm=wait_for_llm,
        similar=SimilarReader(
            settings.similar,
            wait=wait_for_llm if wait_for_index is None else wait_for_index,
            cache=settings.similar.cache_file or settings.data_dir / "similar-vectors.npz",
        ),
    )


def llm_for(settings: Settings) -> Any:
    """The LLM fallback when enabled and installed (not loaded yet), else None."""
    from device.models.choice import choose_llm
    from device.nlu.llm import LlmFallback

    choice = choose_llm(settings)
    if choice.path is None:
        log.info("no LLM fallback: %s", choice.note)
        return None
    llm = settings.llm
    return LlmFallback(
        choice.path / "model.gguf", llm.threads, llm.context, llm.max_tokens, llm.timeout_s
    )


def print_turn(turn: Any, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(json.dumps(turn.as_dict(), ensure_ascii=False) + "\n")
        return
    out.write(turn.answer + "\n")
    marks = [m for m, on in (("gated", turn.gated), ("must verify", turn.must_verify)) if on]
    sources = ", ".join(turn.sources) or "none"
    out.write(f"  [{turn.intent}; sources: {sources}{'; ' + ', '.join(marks) if marks else ''}]\n")
