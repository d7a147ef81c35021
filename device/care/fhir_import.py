"""Read and validate a FHIR R4 care-data bundle (the only module that imports fhir.resources).

Every problem becomes a BundleError whose lines name the entry, the resource and the field,
never a value from the data (values may be personal data and error messages end up in logs).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from device.bounded import quote, too_deep
from device.care.fhir_codes import code_problems
from device.care.fhir_map import MappingError, prune, ref_of, references, to_care_data
from device.care.model import CareData

MAX_PROBLEMS_SHOWN = 20
MAX_DEPTH = 48  # real FHIR bundles nest about 10 deep


class BundleError(Exception):
    """The bundle can't be imported; ``problems`` lists what is wrong, one line each."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        lines = [f"{self.path}: not imported, the previous care data stays in use."]
        lines += [f"  - {p}" for p in shown]
        if more:
            lines.append(f"  … and {more} more problems")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ValidBundle:
    """A validated bundle: its pruned resources and what the import summary shows."""

    bundle_id: str
    exported: datetime | None
    resources: list[dict[str, Any]]
    care: CareData
    counts: dict[str, int] = field(default_factory=dict)
    ignored: dict[str, int] = field(default_factory=dict)


def read_bundle(path: Path, max_bytes: int, max_depth: int = MAX_DEPTH) -> ValidBundle:
    """Read, validate and map the bundle at ``path``; raise BundleError on any problem."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BundleError(path, [f"can't read the file: {exc.strerror}"]) from None
    if size > max_bytes:
        raise BundleError(
            path,
            [
                f"the file is {size / 1e6:.1f} MB, more than the limit of {max_bytes / 1e6:.1f} MB "
                "(store.max_bundle_mb)"
            ],
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleError(path, [f"can't read the file: {exc.strerror}"]) from None
    return parse_bundle(raw, path, max_depth)


def parse_bundle(
    raw: bytes, source: Path | str = "<bundle>", max_depth: int = MAX_DEPTH
) -> ValidBundle:
    if too_deep(raw, max_depth):  # before json.loads, which would recurse into it
        raise BundleError(
            source,
            [f"the JSON nests deeper than {max_depth} levels (input.max_bundle_depth)"],
        )
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise BundleError(source, ["not JSON text (not UTF-8)"]) from None
    except json.JSONDecodeError as exc:
        raise BundleError(
            source, [f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]
        ) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        kind = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise BundleError(source, [f"not a FHIR Bundle (resourceType is {quote(kind)})"])
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise BundleError(source, ["field 'entry': the bundle has no list of entries"])

    problems = _bundle_problems(data) + _structure_problems(entries)
    if not problems:
        problems = _fhir_problems(data, entries) or code_problems(entries)
    if problems:
        raise BundleError(source, problems)

    resources, ignored, problems = _prune_and_link(entries)
    if problems:
        raise BundleError(source, problems)
    bundle_id = str(data["id"])
    exported = _timestamp(data["timestamp"])
    try:
        care = to_care_data(bundle_id, exported, resources)
    except MappingError as exc:
        where = _entry_index(entries, exc.ref)
        raise BundleError(source, [f"entry {where} ({exc})"]) from None
    counts = Counter(str(r["resourceType"]) for r in resources)
    return ValidBundle(bundle_id, exported, resources, care, dict(counts), ignored)


def _bundle_problems(data: dict[str, Any]) -> list[str]:
    """The bundle's own id and export time: status, freshness and rollback checks need both."""
    problems = []
    bid = data.get("id")
    if not isinstance(bid, str) or not bid.strip():
        problems.append("field 'id': the bundle needs an id (status and the import log name it)")
    stamp = data.get("timestamp")
    if not isinstance(stamp, str):
        problems.append(
            "field 'timestamp': the bundle needs its export time (the device keeps care data "
            "for a set time and never replaces newer data with older)"
        )
    elif _timestamp(stamp) is None:
        problems.append(
            "field 'timestamp': not an ISO 8601 time with a UTC offset, "
            "such as 2026-11-23T18:00:00+01:00"
        )
    return problems


def freshness_problems(
    exported: datetime | None, now: datetime, retention_days: int, in_use: datetime | None
) -> list[str]:
    """Why a bundle exported at ``exported`` must not replace the data in use, if it must not.

    Too old: the retention purge would delete it at once, so importing it would leave the
    device with nothing. Older than the data in use: a rollback, which would answer from an
    older plan. (Equal is allowed: importing the same export again is harmless.)
    """
    if exported is None:
        return ["field 'timestamp': the bundle has no export time"]
    problems = []
    if exported < now - timedelta(days=retention_days):
        problems.append(
            f"field 'timestamp': exported {exported.date().isoformat()}, more than "
            f"{retention_days} days ago (store.retention_days): the device may not keep it. "
            "Export a new bundle from the planning system."
        )
    if in_use is not None and exported < in_use:
        problems.append(
            f"field 'timestamp': exported {exported.isoformat(timespec='minutes')}, before the "
            f"care data in use ({in_use.isoformat(timespec='minutes')}): an older plan never "
            "replaces a newer one."
        )
    return problems


def _structure_problems(entries: list[Any]) -> list[str]:
    """What fhir.resources would report less clearly: missing resources, types and ids."""
    from fhir.resources import get_fhir_model_class

    problems = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            problems.append(f"entry {i}: field 'resource' is missing or not an object")
            continue
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or not kind:
            problems.append(f"entry {i}: field 'resourceType' is missing")
            continue
        try:
            get_fhir_model_class(kind)
        except (KeyError, ValueError):
            problems.append(f"entry {i}: resourceType {quote(kind)} is not a FHIR R4 resource")
            continue
        rid = resource.get("id")
        if not isinstance(rid, str) or not rid:
            problems.append(f"entry {i} ({kind}): field 'id' is required (answers cite it)")
            continue
        ref = f"{kind}/{rid}"
        if ref in seen:
            problems.append(f"entry {i} ({ref}): the id is used twice in the bundle")
        seen.add(ref)
    return problems


def _fhir_problems(data: dict[str, Any], entries: list[Any]) -> list[str]:
    from fhir.resources.R4B.bundle import Bundle

    try:
        Bundle.model_validate(data)
    except ValidationError as exc:
        return [_describe(err["loc"], err["msg"], entries) for err in exc.errors()]
    except (KeyError, ValueError, TypeError) as exc:
        return [f"the bundle is not valid FHIR R4: {type(exc).__name__}"]
    return []


def _describe(loc: tuple[Any, ...], msg: str, entries: list[Any]) -> str:
    """'entry 3 (Appointment/v1): field 'start': …' from a pydantic error location."""
    if len(loc) >= 3 and loc[0] == "entry" and isinstance(loc[1], int) and loc[2] == "resource":
        resource = entries[loc[1]]["resource"]
        field_path = _dotted(loc[3:])
        return f"entry {loc[1]} ({ref_of(resource)}): field '{field_path}': {msg}"
    return f"field '{_dotted(loc)}': {msg}"


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(bundle)"


def _prune_and_link(
    entries: list[Any],
) -> tuple[list[dict[str, Any]], dict[str, int], list[str]]:
    full_urls = {
        e.get("fullUrl"): ref_of(e["resource"])
        for e in entries
        if isinstance(e.get("fullUrl"), str)
    }
    known = {ref_of(e["resource"]) for e in entries}
    resources: list[dict[str, Any]] = []
    ignored: Counter[str] = Counter()
    problems = []
    for i, entry in enumerate(entries):
        pruned = prune(entry["resource"])
        if pruned is None:
            ignored[str(entry["resource"]["resourceType"])] += 1
            continue
        for path, reference in references(pruned):
            target = full_urls.get(reference, reference)
            if target not in known:
                problems.append(
                    f"entry {i} ({ref_of(pruned)}): field '{path}' refers to a resource "
                    "that is not in the bundle"
                )
        resources.append(_resolve_urls(pruned, full_urls))
    return resources, dict(ignored), problems


def _resolve_urls(resource: dict[str, Any], full_urls: dict[str, str]) -> dict[str, Any]:
    """Rewrite urn:uuid references to ResourceType/id so answers can cite them."""
    if not any(ref in full_urls for _, ref in references(resource)):
        return resource
    text = json.dumps(resource)
    for url, ref in full_urls.items():
        text = text.replace(json.dumps(url), json.dumps(ref))
    result: dict[str, Any] = json.loads(text)
    return result


def _timestamp(value: Any) -> datetime | None:
    """An ISO 8601 time with its UTC offset, else None (a naive time is ambiguous)."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _entry_index(entries: list[Any], ref: str) -> int | str:
    return next((i for i, e in enumerate(entries) if ref_of(e["resource"]) == ref), "?")
