"""`hemassist import-fhir` and `hemassist status` (also `hemassist provision data …`)."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path

from device.commands.common import EXIT_ERROR, EXIT_OK, open_store
from device.settings import Settings


def import_fhir(settings: Settings, path: Path) -> int:
    from device.care.fhir_import import BundleError, read_bundle
    from device.care.store import StoreError

    started = time.perf_counter()
    try:
        bundle = read_bundle(
            path, int(settings.store.max_bundle_mb * 1_000_000), settings.input.max_bundle_depth
        )
    except BundleError as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    store = open_store(settings)
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


def status(settings: Settings) -> int:
    """The loaded care data (bundle id, time, counts) and the models in use: no personal data."""
    from device.models.choice import model_choices

    store = open_store(settings)
    if store is None:
        return EXIT_ERROR
    care = store.status()
    store.close()
    report = care.as_dict() if care is not None else {"care_data": "none imported"}
    report["models"] = {c.part: c.as_dict() for c in model_choices(settings)}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return EXIT_OK
