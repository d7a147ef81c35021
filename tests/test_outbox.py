"""The durable outbox: hourly buckets, sequence numbers, caps, and nothing lost on reopen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from device.telemetry.events import TurnEvent
from device.telemetry.outbox import Identity, Outbox, OutboxError
from device.telemetry.schema import StatsMessage

ID = Identity("dev-1", "goteborg", "majorna-2")
T0 = datetime(2026, 11, 24, 8, 10, tzinfo=UTC)


def _event(intent: str = "next_visit", outcome: str = "answered", total: float = 3.0) -> TurnEvent:
    return TurnEvent.of(
        intent, "sv", "template", outcome, {"recognize": 1.0, "answer": 0.5, "total": total}
    )


def test_turns_are_bucketed_per_hour_and_sealed_in_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path, ID)
    for minute in range(3):
        box.record(_event(), T0 + timedelta(minutes=minute))
    box.record(_event("access", "gated", total=700), T0 + timedelta(hours=1))
    assert box.seal(T0 + timedelta(hours=1, minutes=5)) == 1  # only the finished hour
    assert box.seal(T0 + timedelta(hours=1, minutes=6), include_current=True) == 1
    rows = box.unsent()
    assert [seq for seq, _, _ in rows] == [1, 2]
    assert all(topic == "hemassist/v1/goteborg/dev-1/stats" for _, topic, _ in rows)
    first = StatsMessage.model_validate_json(rows[0][2])
    assert first.hour_start == datetime(2026, 11, 24, 8, tzinfo=UTC)
    assert [(t.intent, t.count) for t in first.turns] == [("next_visit", 3)]
    total = next(h for h in first.latency if h.stage == "total")
    assert sum(total.counts) == 3
    second = StatsMessage.model_validate_json(rows[1][2])
    assert second.turns[0].outcome == "gated"
    assert box.totals() == {("next_visit", "answered"): 3, ("access", "gated"): 1}


def test_recorded_turns_survive_reopening(tmp_path: Path) -> None:
    box = Outbox(tmp_path, ID)
    box.record(_event(), T0)
    box.close()
    box = Outbox(tmp_path, ID)
    assert box.state().open_turns == 1
    box.seal(T0 + timedelta(hours=2))
    box.close()
    box = Outbox(tmp_path, ID)
    assert box.state().queued == 1


def test_sequence_numbers_never_repeat(tmp_path: Path) -> None:
    box = Outbox(tmp_path, ID)
    box.record(_event(), T0)
    box.seal(T0, include_current=True)
    box.mark_sent([1], T0)
    box.record(_event(), T0)
    box.seal(T0, include_current=True)
    assert [seq for seq, _, _ in box.unsent()] == [2]


def test_caps_drop_the_oldest_and_count_them(tmp_path: Path) -> None:
    box = Outbox(tmp_path, ID, max_messages=10, max_age=timedelta(days=2))
    for hour in range(15):
        box.record(_event(), T0 + timedelta(hours=hour))
    box.seal(T0 + timedelta(hours=20))
    state = box.state()
    assert (state.queued, state.dropped) == (10, 5)
    assert box.unsent()[0][0] == 6
    box.record(_event(), T0 + timedelta(days=3))
    box.seal(T0 + timedelta(days=3, hours=1))  # the earlier ten are now too old
    assert box.state().queued == 1
    assert box.state().dropped == 15


def test_sent_messages_are_kept_then_pruned(tmp_path: Path) -> None:
    box = Outbox(tmp_path, ID, keep_sent=timedelta(days=7))
    box.record(_event(), T0)
    box.seal(T0, include_current=True)
    box.mark_sent([1], T0)
    state = box.state()
    assert (state.queued, state.sent_kept, state.last_sent) == (0, 1, T0)
    box.record(_event(), T0 + timedelta(days=8))
    box.seal(T0 + timedelta(days=8), include_current=True)
    assert box.state().sent_kept == 0


def test_unusable_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutboxError, match="statistics outbox"):
        Outbox(tmp_path / "file" / "data", ID)


def test_full_disk_is_a_clear_error_and_keeps_what_was_there(tmp_path: Path) -> None:
    box = Outbox(tmp_path, ID)
    box.record(_event(), T0)
    pages = box._db.execute("PRAGMA page_count").fetchone()[0]
    box._db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(OutboxError, match="disk is full"):
        for hour in range(2000):
            box.record(_event(), T0 + timedelta(hours=hour))
    assert box.state().open_turns >= 1
