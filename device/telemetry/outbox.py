"""The durable statistics outbox: SQLite in the data directory (WAL, synchronous=FULL).

A turn is added to its hour's bucket in one transaction. Closed hours are sealed into messages
with the next sequence number; a message is marked sent only after the broker acknowledged it,
and kept a few days after that so ``hemassist stats`` can show what left the device. Caps on the
number and age of unsent messages drop the oldest first and count what was dropped.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from device.telemetry.events import TurnEvent, latency_bin
from device.telemetry.schema import (
    LATENCY_BINS_MS,
    MAX_PER_HOUR,
    LatencyHistogram,
    SignalCount,
    StatsMessage,
    TurnCount,
    stats_topic,
)

DB_NAME = "telemetry.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    hour TEXT NOT NULL, intent TEXT NOT NULL, language TEXT NOT NULL, path TEXT NOT NULL,
    outcome TEXT NOT NULL, engine TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (hour, intent, language, path, outcome, engine)
);
CREATE TABLE IF NOT EXISTS latency (
    hour TEXT NOT NULL, stage TEXT NOT NULL, bin INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (hour, stage, bin)
);
CREATE TABLE IF NOT EXISTS signals (
    hour TEXT NOT NULL, signal TEXT NOT NULL, intent TEXT NOT NULL, path TEXT NOT NULL,
    outcome TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (hour, signal, intent, path, outcome)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at REAL NOT NULL,
    sent_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
"""


class OutboxError(Exception):
    """The outbox can't be written (full disk, unusable directory); the message says which."""


@dataclass(frozen=True)
class Identity:
    device_id: str
    org: str
    team: str | None = None


@dataclass(frozen=True)
class OutboxState:
    queued: int
    oldest_queued: datetime | None
    last_sent: datetime | None
    dropped: int
    sent_kept: int
    open_turns: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "queued": self.queued,
            "oldest_queued": self.oldest_queued.isoformat() if self.oldest_queued else None,
            "last_sent": self.last_sent.isoformat() if self.last_sent else None,
            "dropped": self.dropped,
            "sent_kept": self.sent_kept,
            "open_turns": self.open_turns,
        }


def hour_of(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0).isoformat()


def _ts(moment: datetime) -> float:
    return moment.timestamp()


class Outbox:
    def __init__(
        self,
        data_dir: Path,
        identity: Identity,
        max_messages: int = 50_000,
        max_age: timedelta = timedelta(days=30),
        keep_sent: timedelta = timedelta(days=7),
    ) -> None:
        self.identity = identity
        self.max_messages = max_messages
        self.max_age = max_age
        self.keep_sent = keep_sent
        self._lock = threading.RLock()
        try:
            data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            # One connection shared by the answering thread and the sender thread, under a lock.
            self._db = sqlite3.connect(
                data_dir / DB_NAME, isolation_level=None, timeout=10, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise OutboxError(f"can't open the statistics outbox in {data_dir}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, action: str, body: Callable[[], Any]) -> Any:
        with self._lock:
            return self._transaction(action, body)

    def _transaction(self, action: str, body: Callable[[], Any]) -> Any:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            result = body()
            self._db.execute("COMMIT")
            return result
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            reason = "the disk is full" if "full" in str(exc) else str(exc)
            raise OutboxError(f"can't {action} in the statistics outbox: {reason}") from None

    # -- recording -------------------------------------------------------------------------

    def record(self, event: TurnEvent, now: datetime) -> None:
        """Count one turn in its hour, durably."""
        hour = hour_of(now)

        def body() -> None:
            self._db.execute(
                "INSERT INTO turns VALUES (?,?,?,?,?,?,1) ON CONFLICT DO UPDATE "
                "SET count = count + 1",
                (hour, event.intent, event.language, event.path, event.outcome, event.engine),
            )
            self._db.executemany(
                "INSERT INTO latency VALUES (?,?,?,1) ON CONFLICT DO UPDATE SET count = count + 1",
                [(hour, stage, latency_bin(ms)) for stage, ms in event.latencies_ms.items()],
            )
            if event.signal is not None:
                sig = event.signal
                self._db.execute(
                    "INSERT INTO signals VALUES (?,?,?,?,?,1) ON CONFLICT DO UPDATE "
                    "SET count = count + 1",
                    (hour, sig.signal, sig.intent, sig.path, sig.outcome),
                )

        self._write("record a turn", body)

    # -- sealing and queueing --------------------------------------------------------------

    def seal(self, now: datetime, include_current: bool = False) -> int:
        """Turn finished hours (and the current one, when asked) into queued messages."""
        current = hour_of(now)
        op = "<=" if include_current else "<"

        def body() -> int:
            hours = [
                row[0]
                for row in self._db.execute(
                    f"SELECT hour FROM turns WHERE hour {op} ? UNION "
                    f"SELECT hour FROM signals WHERE hour {op} ? ORDER BY hour",
                    (current, current),
                )
            ]
            for hour in hours:
                self._enqueue_locked(partial(self._stats_message, hour), now)
                self._db.execute("DELETE FROM turns WHERE hour = ?", (hour,))
                self._db.execute("DELETE FROM latency WHERE hour = ?", (hour,))
                self._db.execute("DELETE FROM signals WHERE hour = ?", (hour,))
            self._apply_caps(now)
            return len(hours)

        sealed: int = self._write("seal the statistics", body)
        return sealed

    def enqueue(self, build: Callable[[int], BaseModel], now: datetime) -> int:
        """Queue a message built for its sequence number (health messages)."""

        def body() -> int:
            seq = self._enqueue_locked(build, now)
            self._apply_caps(now)
            return seq

        seq: int = self._write("queue a message", body)
        return seq

    def _enqueue_locked(self, build: Callable[[int], BaseModel], now: datetime) -> int:
        cur = self._db.execute(
            "INSERT INTO outbox (topic, kind, payload, created_at) VALUES (?, '', x'', ?)",
            (stats_topic(self.identity.org, self.identity.device_id), _ts(now)),
        )
        seq = int(cur.lastrowid or 0)
        message = build(seq)
        kind = str(getattr(message, "kind", "stats"))
        self._db.execute(
            "UPDATE outbox SET kind = ?, payload = ? WHERE seq = ?",
            (kind, message.model_dump_json().encode(), seq),
        )
        return seq

    def _stats_message(self, hour: str, seq: int) -> StatsMessage:
        turns = [
            TurnCount(
                intent=i, language=lang, path=p, outcome=o, engine=e, count=min(n, MAX_PER_HOUR)
            )
            for i, lang, p, o, e, n in self._db.execute(
                "SELECT intent, language, path, outcome, engine, count FROM turns "
                "WHERE hour = ? ORDER BY intent, language, path, outcome, engine",
                (hour,),
            )
        ]
        bins: dict[str, list[int]] = {}
        for stage, index, count in self._db.execute(
            "SELECT stage, bin, count FROM latency WHERE hour = ?", (hour,)
        ):
            bins.setdefault(stage, [0] * (len(LATENCY_BINS_MS) + 1))[index] = min(
                count, MAX_PER_HOUR
            )
        signals = [
            SignalCount(signal=s, intent=i, path=p, outcome=o, count=min(n, MAX_PER_HOUR))
            for s, i, p, o, n in self._db.execute(
                "SELECT signal, intent, path, outcome, count FROM signals "
                "WHERE hour = ? ORDER BY signal, intent, path, outcome",
                (hour,),
            )
        ]
        return StatsMessage(
            device_id=self.identity.device_id,
            org=self.identity.org,
            team=self.identity.team,
            seq=seq,
            hour_start=datetime.fromisoformat(hour),
            turns=turns,
            latency=[LatencyHistogram(stage=s, counts=c) for s, c in sorted(bins.items())],
            signals=signals,
        )

    def _apply_caps(self, now: datetime) -> None:
        too_old = self._db.execute(
            "DELETE FROM outbox WHERE sent_at IS NULL AND created_at < ?",
            (_ts(now - self.max_age),),
        ).rowcount
        excess = self._db.execute(
            "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE sent_at IS NULL "
            "ORDER BY seq DESC LIMIT -1 OFFSET ?)",
            (self.max_messages,),
        ).rowcount
        if too_old + excess:
            self._db.execute(
                "INSERT INTO meta VALUES ('dropped', ?) ON CONFLICT DO UPDATE "
                "SET value = value + excluded.value",
                (too_old + excess,),
            )
        self._db.execute(
            "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?",
            (_ts(now - self.keep_sent),),
        )

    # -- sending ---------------------------------------------------------------------------

    def unsent(self, after_seq: int = 0, limit: int = 100) -> list[tuple[int, str, bytes]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, topic, payload FROM outbox WHERE sent_at IS NULL AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [(int(seq), str(topic), bytes(payload)) for seq, topic, payload in rows]

    def mark_sent(self, seqs: Iterable[int], now: datetime) -> None:
        batch = [(_ts(now), seq) for seq in seqs]
        if batch:
            self._write(
                "mark messages sent",
                lambda: self._db.executemany(
                    "UPDATE outbox SET sent_at = ? WHERE seq = ? AND sent_at IS NULL", batch
                ),
            )

    # -- reading ---------------------------------------------------------------------------

    def state(self) -> OutboxState:
        with self._lock:
            return self._state()

    def _state(self) -> OutboxState:
        queued, oldest = self._db.execute(
            "SELECT count(*), min(created_at) FROM outbox WHERE sent_at IS NULL"
        ).fetchone()
        sent_kept, last_sent = self._db.execute(
            "SELECT count(*), max(sent_at) FROM outbox WHERE sent_at IS NOT NULL"
        ).fetchone()
        dropped = self._db.execute("SELECT value FROM meta WHERE key = 'dropped'").fetchone()
        open_turns = self._db.execute("SELECT coalesce(sum(count), 0) FROM turns").fetchone()[0]
        return OutboxState(
            queued=int(queued),
            oldest_queued=datetime.fromtimestamp(oldest, UTC) if oldest else None,
            last_sent=datetime.fromtimestamp(last_sent, UTC) if last_sent else None,
            dropped=int(dropped[0]) if dropped else 0,
            sent_kept=int(sent_kept),
            open_turns=int(open_turns),
        )

    def totals(self) -> dict[tuple[str, str], int]:
        """Turns per (intent, outcome) over what is open, queued and kept after sending."""
        with self._lock:
            return self._totals()

    def _totals(self) -> dict[tuple[str, str], int]:
        totals: dict[tuple[str, str], int] = {}
        for intent, outcome, count in self._db.execute(
            "SELECT intent, outcome, sum(count) FROM turns GROUP BY intent, outcome"
        ):
            totals[(intent, outcome)] = totals.get((intent, outcome), 0) + int(count)
        for (payload,) in self._db.execute("SELECT payload FROM outbox WHERE kind = 'stats'"):
            for turn in StatsMessage.model_validate_json(payload).turns:
                key = (turn.intent.value, turn.outcome.value)
                totals[key] = totals.get(key, 0) + turn.count
        return totals
