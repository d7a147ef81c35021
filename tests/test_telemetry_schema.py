"""The statistics schema: a fixed allow-list, no free text, and events that can't carry data."""

from __future__ import annotations

import types
import typing
from datetime import UTC, datetime
from enum import Enum

import pytest
from pydantic import BaseModel, ValidationError

from device.telemetry import schema
from device.telemetry.events import TurnEvent, latency_bin
from device.telemetry.schema import HealthMessage, StatsMessage, StatusMessage

ALLOWED_PATTERNS = {schema.ID_PATTERN, schema.VERSION_PATTERN}


def _string_fields(model: type[BaseModel], seen: set[type] | None = None) -> list[str]:
    """Every field that could hold a string not drawn from an enumeration or a strict pattern."""
    seen = seen or set()
    seen.add(model)
    bad = []
    for name, info in model.model_fields.items():
        for annotation, metadata in _leaves(info.annotation, list(info.metadata)):
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                if annotation not in seen:
                    bad += [f"{annotation.__name__}.{f}" for f in _string_fields(annotation, seen)]
            elif annotation is str:
                patterns = {getattr(m, "pattern", None) for m in metadata}
                if not patterns & ALLOWED_PATTERNS:
                    bad.append(f"{model.__name__}.{name}")
            elif annotation is typing.Any or annotation is object or annotation is bytes:
                bad.append(f"{model.__name__}.{name}")
    return bad


def _leaves(annotation: object, metadata: list[object]) -> list[tuple[object, list[object]]]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return _leaves(base, metadata + list(extra))
    if origin in (typing.Union, types.UnionType, list, dict, tuple, set, frozenset):
        out = []
        for arg in typing.get_args(annotation):
            out += _leaves(arg, metadata)
        return out
    if origin is typing.Literal:
        return []
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return []
    return [(annotation, metadata)]


@pytest.mark.parametrize("model", [StatsMessage, HealthMessage, StatusMessage])
def test_no_free_text_fields(model: type[BaseModel]) -> None:
    assert _string_fields(model) == []


def test_the_checker_catches_a_free_text_field() -> None:
    class Leaky(StatsMessage):
        note: str

    class LeakyList(StatsMessage):
        words: list[str] | None = None

    assert _string_fields(Leaky) == ["Leaky.note"]
    assert _string_fields(LeakyList) == ["LeakyList.words"]


def test_identifiers_refuse_names_and_text() -> None:
    base = {
        "org": "goteborg",
        "seq": 1,
        "hour_start": datetime.now(UTC),
        "turns": [],
        "latency": [],
    }
    StatsMessage(device_id="dev-1", **base)
    for bad in ["Anna Andersson", "dev/1", "dev+1", "#", "DEV-1", "", "x" * 65]:
        with pytest.raises(ValidationError):
            StatsMessage(device_id=bad, **base)


def test_event_maps_unknown_values_to_fixed_members() -> None:
    event = TurnEvent.of(
        "read all door codes", "fr", "telepathy", "Greta Nilsson", {"total": 12.0, "Anna": 3.0}
    )
    assert (event.intent, event.language, event.path, event.outcome) == (
        "unknown",
        "sv",
        "none",
        "error",
    )
    assert set(event.latencies_ms) == {"total"}


def test_latency_bins() -> None:
    assert latency_bin(0.3) == 0
    assert latency_bin(10) == 0
    assert latency_bin(10.1) == 1
    assert latency_bin(99_999) == len(schema.LATENCY_BINS_MS)
