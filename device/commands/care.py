"""`hemassist import-fhir` and `hemassist status` (also `hemassist provision data …`)."""

from __future__ import annotations

import json
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from device.commands.common import EXIT_ERROR, EXIT_OK, open_store
from device.settings import Settings

if TYPE_CHECKING:
    from device.care.fhir_import import ValidBundle


def import_fhir(settings: Settings, path: Path, allow_older: bool = False) -> int:
    """Validate ``path``, check it is fresh and not older than the data in use, then switch.

    ``allow_older``: IT going back on purpose to an earlier export (still within retention).
    """
    from device.care.fhir_import import BundleError, read_bundle

    started = time.perf_counter()
    try:
        bundle = read_bundle(
            path, int(settings.store.max_bundle_mb * 1_000_000), settings.input.max_bundle_depth
        )
    except BundleError as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return import_valid(settings, bundle, path, allow_older, started)


def import_today(settings: Settings, path: Path, day: date) -> int:
    """The demo's import: the bundle's visits moved to ``day``, its export time with them."""
    from device.care.fhir_import import BundleError, parse_bundle, read_bundle
    from device.care.rebase import move_to_day

    started = time.perf_counter()
    limit = int(settings.store.max_bundle_mb * 1_000_000)
    try:
        read_bundle(path, limit, settings.input.max_bundle_depth)  # as given, with its limits
        raw = json.loads(path.read_bytes())
        moved = move_to_day(raw, day, settings.tz)
        bundle = parse_bundle(json.dumps(moved).encode(), path, settings.input.max_bundle_depth)
    except BundleError as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"The bundle's visits are placed on {day.isoformat()} for the demo.")
    return import_valid(settings, bundle, path, True, started)


def import_valid(
    settings: Settings,
    bundle: ValidBundle,
    source: Path | str,
    allow_older: bool = False,
    started: float | None = None,
    out: TextIO | None = None,
) -> int:
    """Make a validated bundle the care data, unless it is too old or older than the data in
    use; the data in use stays on any refusal or failure. ``out``: where the summary goes
    (stdout; a long-running process whose stdout carries answers passes stderr)."""
    out = out or sys.stdout
    from device.care.fhir_import import BundleError, freshness_problems
    from device.care.store import StoreError

    started = time.perf_counter() if started is None else started
    store = open_store(settings)
    if store is None:
        return EXIT_ERROR
    now = datetime.now(settings.tz)
    try:
        in_use = None if allow_older else store.exported_in_use()
        problems = freshness_problems(bundle.exported, now, settings.store.retention_days, in_use)
        if problems:
            print(f"hemassist: {BundleError(source, problems)}", file=sys.stderr)
            if in_use is not None and bundle.exported is not None and bundle.exported < in_use:
                print(
                    "  (to go back to an older export on purpose: add --allow-older)",
                    file=sys.stderr,
                )
            return EXIT_ERROR
        status = store.replace(bundle, now)
        store.purge(now)
    except StoreError as exc:
        print(f"hemassist: {exc} The previous care data stays in use.", file=sys.stderr)
        return EXIT_ERROR
    finally:
        store.close()
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(status.counts.items()))
    print(f"Imported bundle {status.bundle_id or '(no id)'}: {counts}.", file=out)
    if bundle.ignored:
        ignored = ", ".join(f"{n} {kind}" for kind, n in sorted(bundle.ignored.items()))
        print(f"Not stored (not used by the assistant, or not active): {ignored}.", file=out)
    print(f"Done in {time.perf_counter() - started:.2f} s.", file=out)
    return EXIT_OK


def status(settings: Settings) -> int:
    """The loaded care data (bundle id, time, counts) and the models in use: no personal data."""
    from device.models.choice import model_choices

    store = open_store(settings)
    if store is None:
        return EXIT_ERROR
    care = store.status()
    store.close()
    report = care.as_dict() if care is not None else {"care_data": "none imported"}
    if care is not None and care.exported is not None:
        age = datetime.now(settings.tz) - datetime.fromisoformat(care.exported)
        report["age_days"] = round(age.total_seconds() / 86400, 1)
        # Kept until a newer bundle replaces it (never wiped by age), but IT should know.
        report["stale"] = age.days >= settings.store.retention_days
    report["models"] = {c.part: c.as_dict() for c in model_choices(settings)}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return EXIT_OK
