"""Where the dashboard keeps the statistics: SQLite by default, PostgreSQL by URL, one interface.

Every message is validated against the schema (device.telemetry.schema), deduplicated on
(device_id, seq), and folded into daily roll-ups per team, so the overview reads a few thousand
rows however many hourly messages arrived. What doesn't validate is counted and kept aside as
its reason, topic, size and SHA-256 only: a faulty device's payload might hold personal data,
so its content is never stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import stat
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError

from dashboard.pilot import (
    NOT_QUESTIONS,
    Pilot,
    WeekCounts,
    fold_outcomes,
    monday,
    percentile_from_bins,
    week_starts,
)
from device.bounded import too_deep
from device.telemetry.schema import (
    ID_PATTERN,
    LATENCY_BINS_MS,
    MAX_PAYLOAD_BYTES,
    MAX_PAYLOAD_DEPTH,
    SUPPORTED_VERSIONS,
    HealthMessage,
    LatencyHistogram,
    SignalCount,
    StatsMessage,
    StatsPayload,
    StatusMessage,
    TurnCount,
)

_PAYLOAD = TypeAdapter(StatsPayload)
# Names a rejection reason may quote: the schema's own field names; anything else a faulty
# payload put in a field's place (a dictionary key, an unknown field) is shown as "?".
_FIELD_NAMES = frozenset(
    name
    for model in (
        StatsMessage,
        HealthMessage,
        StatusMessage,
        TurnCount,
        LatencyHistogram,
        SignalCount,
    )
    for name in model.model_fields
) | {"stats", "health"}
_ID = re.compile(ID_PATTERN)

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS messages (
        device_id TEXT NOT NULL, seq BIGINT NOT NULL, kind TEXT NOT NULL,
        received_at TEXT NOT NULL, PRIMARY KEY (device_id, seq))""",
    """CREATE TABLE IF NOT EXISTS usage_daily (
        day TEXT NOT NULL, team TEXT NOT NULL, intent TEXT NOT NULL, language TEXT NOT NULL,
        path TEXT NOT NULL, outcome TEXT NOT NULL, engine TEXT NOT NULL, count BIGINT NOT NULL,
        PRIMARY KEY (day, team, intent, language, path, outcome, engine))""",
    """CREATE TABLE IF NOT EXISTS latency_daily (
        day TEXT NOT NULL, team TEXT NOT NULL, stage TEXT NOT NULL, bin INTEGER NOT NULL,
        count BIGINT NOT NULL, PRIMARY KEY (day, team, stage, bin))""",
    """CREATE TABLE IF NOT EXISTS devices (
        device_id TEXT PRIMARY KEY, org TEXT, team TEXT, last_seen TEXT, online INTEGER,
        status_at TEXT, app_version TEXT, models TEXT, backlog BIGINT, dropped BIGINT,
        uptime_s BIGINT, cpu_temp_c REAL, mem_used_mb BIGINT, mem_total_mb BIGINT,
        disk_free_mb BIGINT, health_at TEXT)""",
    """CREATE TABLE IF NOT EXISTS signals_daily (
        day TEXT NOT NULL, team TEXT NOT NULL, signal TEXT NOT NULL, intent TEXT NOT NULL,
        path TEXT NOT NULL, outcome TEXT NOT NULL, count BIGINT NOT NULL,
        PRIMARY KEY (day, team, signal, intent, path, outcome))""",
    # Which devices sent usage on a day, and how many questions: devices active per week and a
    # device's own history.
    """CREATE TABLE IF NOT EXISTS device_days (
        day TEXT NOT NULL, team TEXT NOT NULL, device_id TEXT NOT NULL, questions BIGINT NOT NULL,
        PRIMARY KEY (team, day, device_id))""",
    # A device's health per day: the worst of the day's health messages.
    """CREATE TABLE IF NOT EXISTS health_daily (
        device_id TEXT NOT NULL, day TEXT NOT NULL, reports BIGINT NOT NULL, app_version TEXT,
        uptime_s BIGINT, cpu_temp_c REAL, mem_used_mb BIGINT, mem_total_mb BIGINT,
        disk_free_mb BIGINT, backlog BIGINT, dropped BIGINT, PRIMARY KEY (device_id, day))""",
    """CREATE TABLE IF NOT EXISTS pilots (
        team TEXT PRIMARY KEY, starts TEXT NOT NULL, ends TEXT NOT NULL,
        baseline_starts TEXT, baseline_ends TEXT)""",
    """CREATE TABLE IF NOT EXISTS rejected (
        id {serial}, topic TEXT NOT NULL, received_at TEXT NOT NULL, reason TEXT NOT NULL,
        size BIGINT, sha256 TEXT)""",
    """CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL)""",
    # Supervisors' sessions, server-side: the cookie holds a random id, this table its SHA-256.
    """CREATE TABLE IF NOT EXISTS sessions (
        id_hash TEXT PRIMARY KEY, username TEXT, data TEXT NOT NULL, created REAL NOT NULL,
        last_seen REAL NOT NULL, agent TEXT)""",
    # The login throttle, shared by every dashboard process.
    """CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS login_locks (key TEXT PRIMARY KEY, until REAL NOT NULL)""",
]


@dataclass(frozen=True)
class Incoming:
    topic: str
    payload: bytes


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0

    def add(self, other: IngestResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.rejected += other.rejected


# A message's time must lie between the project's first year and a day after its arrival: a
# device offline for months still delivers, the year 9999 (or 1970, an unset clock) does not.
ACCEPT_FROM = datetime(2024, 1, 1, tzinfo=UTC)
ACCEPT_AHEAD = timedelta(days=1)  # device clocks run ahead
REJECTED_KEEP = 10_000  # rejections kept (newest), and for at most REJECTED_DAYS days
REJECTED_DAYS = 90


@dataclass(frozen=True)
class Overview:
    days: list[date]
    teams: list[str]
    per_day_team: dict[tuple[date, str], int]
    outcomes: dict[str, int]
    paths: dict[str, int]
    intents: list[tuple[str, int]]
    latency: list[tuple[date, int | None, int | None]]  # day, p50, p95 (bin upper bounds, ms)
    total: int
    rejected: int
    teams_seen: list[str] = field(default_factory=list)

    def share(self, outcome: str) -> float:
        return self.outcomes.get(outcome, 0) / self.total if self.total else 0.0


def _locked(method: Any) -> Any:
    def wrapper(self: Storage, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


class Storage:
    """SQL storage over a DB-API connection (sqlite3 or psycopg); queries use '?' placeholders."""

    def __init__(
        self,
        url: str,
        timezone: str = "Europe/Stockholm",
        fleet: dict[str, str] | None = None,
    ) -> None:
        self.url = url
        # device id → team, from provisioning; None: the team a device reports (demo, tests).
        self.fleet = fleet
        # Set by a collector in this process while the database refuses its batches.
        self.collector_problem: datetime | None = None
        self.tz = ZoneInfo(timezone)
        # One connection shared by the collector and the web threads: one at a time.
        self.lock = threading.RLock()
        if url.startswith(("postgresql://", "postgres://")):
            import psycopg

            self.dialect = "postgres"
            self._db: Any = psycopg.connect(url, autocommit=False)
            serial = "BIGSERIAL PRIMARY KEY"
        elif url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            _private_file(path)  # password hashes and sessions: the owner's alone
            self.dialect = "sqlite"
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            serial = "INTEGER PRIMARY KEY AUTOINCREMENT"
        else:
            raise ValueError(f"dashboard.database_url {url!r}: use sqlite:///path or postgresql://")
        for statement in _SCHEMA:
            self._execute(statement.format(serial=serial))
        migrated = self._forget_rejected_content()
        self._db.commit()
        if migrated and self.dialect == "sqlite":
            self._db.execute("VACUUM")  # the dropped content must not linger in free pages

    def _forget_rejected_content(self) -> bool:
        """Databases from before 0.2 kept the first 4 KB of rejected payloads: keep only their
        size and hash, and drop the content."""
        cursor = self._execute("SELECT * FROM rejected WHERE 1 = 0")
        if "payload" not in [c[0] for c in cursor.description]:
            return False
        self._execute("ALTER TABLE rejected ADD COLUMN size BIGINT")
        self._execute("ALTER TABLE rejected ADD COLUMN sha256 TEXT")
        for row_id, payload in self._execute("SELECT id, payload FROM rejected").fetchall():
            content = bytes(payload or b"")  # the kept prefix: its size and hash, marked as such
            self._execute(
                "UPDATE rejected SET size = ?, sha256 = ? WHERE id = ?",
                (len(content), "prefix:" + hashlib.sha256(content).hexdigest(), row_id),
            )
        self._execute("ALTER TABLE rejected DROP COLUMN payload")
        return True

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[Callable[..., Any]]:
        """``execute(statement, params)`` inside one locked transaction ('?' placeholders)."""
        with self.lock:
            try:
                yield self._execute
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.dialect == "postgres" else statement

    def _execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        cursor = self._db.cursor()
        cursor.execute(self._sql(statement), params)
        return cursor

    def _many(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        cursor = self._db.cursor()
        cursor.executemany(self._sql(statement), list(rows))

    # -- ingest ----------------------------------------------------------------------------

    @_locked
    def ingest(self, batch: Sequence[Incoming], now: datetime | None = None) -> IngestResult:
        """Validate, deduplicate and store a batch; every message ends stored, duplicate or
        rejected. One transaction for the batch; if it fails, each message is tried alone and
        one that still fails is rejected, so a poison message never takes the batch with it.
        Raises only when storage itself fails (nothing can be recorded): then nothing should be
        acknowledged, and the broker sends the batch again (duplicates are recognised)."""
        now = now or datetime.now(UTC)
        try:
            result = self._ingest_batch(batch, now)
        except Exception:
            result = IngestResult()
            for item in batch:
                result.add(self._ingest_alone(item, now))
        if result.rejected:
            self._trim_rejected(now)
        return result

    def _ingest_alone(self, item: Incoming, now: datetime) -> IngestResult:
        try:
            return self._ingest_batch([item], now)
        except Exception as exc:
            # Its type only: the message might quote the payload.
            self._reject(item, f"could not be stored ({type(exc).__name__})", _stamp(now))
            self._db.commit()  # if this fails too, storage is down: the caller retries later
            return IngestResult(rejected=1)

    def _trim_rejected(self, now: datetime) -> None:
        """Keep the newest REJECTED_KEEP rejections of the last REJECTED_DAYS days."""
        cutoff = _stamp(now - timedelta(days=REJECTED_DAYS))
        newest = self._execute("SELECT max(id) FROM rejected").fetchone()[0] or 0
        self._execute(
            "DELETE FROM rejected WHERE id <= ? OR received_at < ?",
            (int(newest) - REJECTED_KEEP, cutoff),
        )
        self._db.commit()

    def _ingest_batch(self, batch: Sequence[Incoming], now: datetime) -> IngestResult:
        """Validate, deduplicate and store a batch in one transaction."""
        received = _stamp(now)
        result = IngestResult()
        usage: dict[tuple[str, ...], int] = defaultdict(int)
        latency: dict[tuple[str, str, str, int], int] = defaultdict(int)
        signals: dict[tuple[str, ...], int] = defaultdict(int)
        active: dict[tuple[str, str, str], int] = defaultdict(int)
        try:
            for item in batch:
                message, reason = self._parse(item, now)
                if message is None:
                    self._reject(item, reason, received)
                    result.rejected += 1
                elif isinstance(message, StatusMessage):
                    self._status(message)
                    result.stored += 1
                elif not self._first_time(message, received):
                    result.duplicates += 1
                else:
                    result.stored += 1
                    if isinstance(message, StatsMessage):
                        self._fold(message, usage, latency, signals)
                        if message.turns:
                            device = (self._team(message), self._day(message), message.device_id)
                            active[device] += sum(
                                t.count for t in message.turns if t.intent not in NOT_QUESTIONS
                            )
                    else:
                        self._health(message)
            self._many(
                "INSERT INTO usage_daily VALUES (?,?,?,?,?,?,?,?) ON CONFLICT "
                "(day, team, intent, language, path, outcome, engine) "
                "DO UPDATE SET count = usage_daily.count + excluded.count",
                [(*key, n) for key, n in usage.items()],
            )
            self._many(
                "INSERT INTO latency_daily VALUES (?,?,?,?,?) ON CONFLICT (day, team, stage, bin) "
                "DO UPDATE SET count = latency_daily.count + excluded.count",
                [(*key, n) for key, n in latency.items()],
            )
            self._many(
                "INSERT INTO signals_daily VALUES (?,?,?,?,?,?,?) ON CONFLICT "
                "(day, team, signal, intent, path, outcome) "
                "DO UPDATE SET count = signals_daily.count + excluded.count",
                [(*key, n) for key, n in signals.items()],
            )
            self._many(
                "INSERT INTO device_days VALUES (?,?,?,?) ON CONFLICT (team, day, device_id) "
                "DO UPDATE SET questions = device_days.questions + excluded.questions",
                [(day, team, device, n) for (team, day, device), n in sorted(active.items())],
            )
            self._db.commit()
        except BaseException:
            self._db.rollback()
            raise
        return result

    def _parse(
        self, item: Incoming, now: datetime
    ) -> tuple[StatsMessage | HealthMessage | StatusMessage | None, str]:
        parts = item.topic.split("/")
        if (
            len(parts) != 5
            or parts[:2] != ["hemassist", "v1"]
            or parts[4] not in ("stats", "status")
        ):
            return None, "unknown topic"
        if len(item.payload) > MAX_PAYLOAD_BYTES:
            return None, f"payload larger than {MAX_PAYLOAD_BYTES:,} bytes"
        if too_deep(item.payload, MAX_PAYLOAD_DEPTH):
            return None, f"payload nested deeper than {MAX_PAYLOAD_DEPTH} levels"
        try:
            raw = json.loads(item.payload)
            if not isinstance(raw, dict):
                return None, "payload is not a JSON object"
            version = raw.get("schema_version")
            if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
                return None, "unknown schema_version"
            message: StatsMessage | HealthMessage | StatusMessage = (
                StatusMessage.model_validate(raw)
                if parts[4] == "status"
                else _PAYLOAD.validate_python(raw)
            )
        except (ValueError, UnicodeDecodeError) as exc:
            if isinstance(exc, ValidationError):
                first = exc.errors()[0]
                where = ".".join(
                    str(p) if isinstance(p, int) or p in _FIELD_NAMES else "?" for p in first["loc"]
                )
                return None, f"invalid field {where}: {first['type']}"
            return None, "payload is not JSON"
        except RecursionError:  # a last guard; the depth check comes first
            return None, "payload nested too deeply"
        org = getattr(message, "org", parts[2])
        if message.device_id != parts[3] or org != parts[2]:
            return None, "topic and payload name different devices"
        when = _message_time(message)
        if not ACCEPT_FROM <= when <= now + ACCEPT_AHEAD:
            return None, "time outside the accepted window"
        if self.fleet is not None and not isinstance(message, StatusMessage):
            team = self.fleet.get(message.device_id)
            if team is None:
                return None, "device not in the fleet file"
            message = message.model_copy(update={"team": team})  # provisioning's word, not its
        return message, ""

    def _reject(self, item: Incoming, reason: str, received: str) -> None:
        self._execute(
            "INSERT INTO rejected (topic, received_at, reason, size, sha256) VALUES (?,?,?,?,?)",
            (
                _safe_topic(item.topic),
                received,
                reason,
                len(item.payload),
                hashlib.sha256(item.payload).hexdigest(),
            ),
        )

    def _first_time(self, message: StatsMessage | HealthMessage, received: str) -> bool:
        cursor = self._execute(
            "INSERT INTO messages VALUES (?,?,?,?) ON CONFLICT (device_id, seq) DO NOTHING",
            (message.device_id, message.seq, message.kind, received),
        )
        self._execute(
            "INSERT INTO devices (device_id, org, team, last_seen) VALUES (?,?,?,?) "
            "ON CONFLICT (device_id) DO UPDATE SET last_seen = excluded.last_seen, "
            "team = excluded.team",
            (message.device_id, message.org, message.team or "-", received),
        )
        return bool(cursor.rowcount)

    def _fold(
        self,
        message: StatsMessage,
        usage: dict[tuple[str, ...], int],
        latency: dict[tuple[str, str, str, int], int],
        signals: dict[tuple[str, ...], int],
    ) -> None:
        day, team = self._day(message), self._team(message)
        for turn in message.turns:
            key = (
                day,
                team,
                turn.intent.value,
                turn.language.value,
                turn.path.value,
                turn.outcome.value,
                turn.engine.value,
            )
            usage[key] += turn.count
        for histogram in message.latency:
            for index, count in enumerate(histogram.counts):
                if count:
                    latency[(day, team, histogram.stage.value, index)] += count
        for signal in message.signals:
            reaction = (
                day,
                team,
                signal.signal.value,
                signal.intent.value,
                signal.path.value,
                signal.outcome.value,
            )
            signals[reaction] += signal.count

    def _day(self, message: StatsMessage) -> str:
        return message.hour_start.astimezone(self.tz).date().isoformat()

    @staticmethod
    def _team(message: StatsMessage) -> str:
        return message.team or "-"

    def _health(self, message: HealthMessage) -> None:
        self._health_day(message)
        self._execute(
            "UPDATE devices SET app_version=?, models=?, backlog=?, dropped=?, uptime_s=?, "
            "cpu_temp_c=?, mem_used_mb=?, mem_total_mb=?, disk_free_mb=?, health_at=? "
            "WHERE device_id=? AND (health_at IS NULL OR health_at <= ?)",
            (
                message.app_version,
                json.dumps({k.value: v for k, v in message.models.items()}),
                message.outbox_backlog,
                message.outbox_dropped,
                message.uptime_s,
                message.cpu_temp_c,
                message.mem_used_mb,
                message.mem_total_mb,
                message.disk_free_mb,
                message.sent_at.isoformat(),
                message.device_id,
                message.sent_at.isoformat(),
            ),
        )

    def _health_day(self, message: HealthMessage) -> None:
        """Fold a health message into its device's day: the worst values seen that day."""
        day = message.sent_at.astimezone(self.tz).date().isoformat()
        row = self._execute(
            "SELECT reports, uptime_s, cpu_temp_c, mem_used_mb, disk_free_mb, backlog, dropped "
            "FROM health_daily WHERE device_id = ? AND day = ?",
            (message.device_id, day),
        ).fetchone()
        temp = message.cpu_temp_c
        values = [
            1,
            message.uptime_s,
            temp,
            message.mem_used_mb,
            message.disk_free_mb,
            message.outbox_backlog,
            message.outbox_dropped,
        ]
        if row is not None:
            reports, uptime, old_temp, mem, disk, backlog, dropped = row
            temps = [t for t in (old_temp, temp) if t is not None]
            values = [
                int(reports) + 1,
                max(int(uptime or 0), message.uptime_s),
                max(temps) if temps else None,
                max(int(mem or 0), message.mem_used_mb),
                min(int(disk), message.disk_free_mb) if disk is not None else message.disk_free_mb,
                max(int(backlog or 0), message.outbox_backlog),
                max(int(dropped or 0), message.outbox_dropped),
            ]
        self._execute(
            "INSERT INTO health_daily (device_id, day, reports, uptime_s, cpu_temp_c, "
            "mem_used_mb, disk_free_mb, backlog, dropped, app_version, mem_total_mb) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (device_id, day) DO UPDATE SET "
            "reports = excluded.reports, uptime_s = excluded.uptime_s, "
            "cpu_temp_c = excluded.cpu_temp_c, mem_used_mb = excluded.mem_used_mb, "
            "disk_free_mb = excluded.disk_free_mb, backlog = excluded.backlog, "
            "dropped = excluded.dropped, app_version = excluded.app_version, "
            "mem_total_mb = excluded.mem_total_mb",
            (message.device_id, day, *values, message.app_version, message.mem_total_mb),
        )

    def _status(self, message: StatusMessage) -> None:
        at = message.changed_at.isoformat()
        self._execute(
            "INSERT INTO devices (device_id, online, status_at) VALUES (?,?,?) "
            "ON CONFLICT (device_id) DO UPDATE SET online = excluded.online, "
            "status_at = excluded.status_at WHERE devices.status_at IS NULL "
            "OR devices.status_at <= excluded.status_at",
            (message.device_id, int(message.online), at),
        )

    # -- queries ---------------------------------------------------------------------------

    @_locked
    def overview(self, days: int, today: date, team: str | None = None) -> Overview:
        first = today - timedelta(days=days - 1)
        where = "day >= ? AND day <= ?" + (" AND team = ?" if team else "")
        params: list[Any] = [first.isoformat(), today.isoformat(), *([team] if team else [])]
        # Summed in SQL, one small result per view: the year's rows never cross into Python.
        # "ja", "tack", "upprepa" are talk about an answer, not questions.
        questions = where + " AND intent NOT IN (" + ",".join("?" * len(NOT_QUESTIONS)) + ")"
        qparams = [*params, *sorted(NOT_QUESTIONS)]

        def summed(columns: str) -> list[Any]:
            rows: list[Any] = self._execute(
                f"SELECT {columns}, sum(count) FROM usage_daily WHERE {questions} "
                f"GROUP BY {columns}",
                qparams,
            ).fetchall()
            return rows

        per_day_team = {
            (date.fromisoformat(day), str(row_team)): int(n)
            for day, row_team, n in summed("day, team")
        }
        outcomes = {str(k): int(n) for k, n in summed("outcome")}
        paths = {str(k): int(n) for k, n in summed("path")}
        intents = {str(k): int(n) for k, n in summed("intent")}
        bins: dict[date, list[int]] = {}
        for day, index, count in self._execute(
            f"SELECT day, bin, sum(count) FROM latency_daily WHERE {where} AND stage = 'total' "
            "GROUP BY day, bin",
            params,
        ).fetchall():
            bins.setdefault(date.fromisoformat(day), [0] * (len(LATENCY_BINS_MS) + 1))[
                int(index)
            ] = int(count)
        latency = [
            (d, percentile_from_bins(c, 0.5), percentile_from_bins(c, 0.95))
            for d, c in sorted(bins.items())
        ]
        rejected = int(self._execute("SELECT count(*) FROM rejected").fetchone()[0])
        teams_seen = [
            r[0]
            for r in self._execute("SELECT DISTINCT team FROM usage_daily ORDER BY team").fetchall()
        ]
        return Overview(
            days=[first + timedelta(days=i) for i in range(days)],
            teams=sorted({t for _, t in per_day_team}),
            per_day_team=per_day_team,
            outcomes=outcomes,
            paths=paths,
            intents=sorted(intents.items(), key=lambda kv: (-kv[1], kv[0])),
            latency=latency,
            total=sum(outcomes.values()),
            rejected=rejected,
            teams_seen=teams_seen,
        )

    @_locked
    def devices(self) -> list[dict[str, Any]]:
        cursor = self._execute("SELECT * FROM devices ORDER BY team, device_id")
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @_locked
    def device(self, device_id: str) -> dict[str, Any] | None:
        cursor = self._execute("SELECT * FROM devices WHERE device_id = ?", (device_id,))
        names = [c[0] for c in cursor.description]
        row = cursor.fetchone()
        return dict(zip(names, row, strict=True)) if row else None

    @_locked
    def device_history(self, device_id: str, days: int, today: date) -> list[dict[str, Any]]:
        """A device's days, newest first: questions asked and the day's worst health values."""
        first = (today - timedelta(days=days - 1)).isoformat()
        span = (device_id, first, today.isoformat())
        history: dict[str, dict[str, Any]] = defaultdict(dict)
        for day, questions in self._execute(
            "SELECT day, sum(questions) FROM device_days WHERE device_id = ? AND day >= ? "
            "AND day <= ? GROUP BY day",
            span,
        ).fetchall():
            history[str(day)]["questions"] = int(questions)
        cursor = self._execute(
            "SELECT day, reports, app_version, uptime_s, cpu_temp_c, mem_used_mb, mem_total_mb, "
            "disk_free_mb, backlog, dropped FROM health_daily WHERE device_id = ? AND day >= ? "
            "AND day <= ?",
            span,
        )
        names = [c[0] for c in cursor.description]
        for row in cursor.fetchall():
            history[str(row[0])].update(zip(names[1:], row[1:], strict=True))
        return [{"day": day, **history[day]} for day in sorted(history, reverse=True)]

    @_locked
    def export(self, days: int, today: date) -> list[tuple[str, str, str, str, str, str, int]]:
        first = today - timedelta(days=days - 1)
        rows = self._execute(
            "SELECT day, team, intent, language, path, outcome, sum(count) FROM usage_daily "
            "WHERE day >= ? AND day <= ? GROUP BY day, team, intent, language, path, outcome "
            "ORDER BY day, team, intent, language, path, outcome",
            (first.isoformat(), today.isoformat()),
        ).fetchall()
        return [(*map(str, r[:6]), int(r[6])) for r in rows]  # type: ignore[misc]

    @_locked
    def rejected(self, limit: int = 50) -> list[tuple[str, str, str, int, str]]:
        """The newest rejected messages: received at, topic, reason, size, SHA-256."""
        return [
            (str(r[0]), str(r[1]), str(r[2]), int(r[3] or 0), str(r[4] or ""))
            for r in self._execute(
                "SELECT received_at, topic, reason, size, sha256 FROM rejected "
                "ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        ]

    # -- pilots ----------------------------------------------------------------------------

    @_locked
    def set_pilot(self, pilot: Pilot) -> None:
        self._execute(
            "INSERT INTO pilots VALUES (?,?,?,?,?) ON CONFLICT (team) DO UPDATE SET "
            "starts = excluded.starts, ends = excluded.ends, "
            "baseline_starts = excluded.baseline_starts, baseline_ends = excluded.baseline_ends",
            (
                pilot.team,
                pilot.start.isoformat(),
                pilot.end.isoformat(),
                _iso(pilot.baseline_start),
                _iso(pilot.baseline_end),
            ),
        )
        self._db.commit()

    @_locked
    def delete_pilot(self, team: str) -> bool:
        """Forget the team's pilot period (the statistics stay); whether there was one."""
        cursor = self._execute("DELETE FROM pilots WHERE team = ?", (team,))
        self._db.commit()
        return bool(cursor.rowcount)

    @_locked
    def device_weeks(self, team: str, first: date, last: date) -> dict[str, dict[date, int]]:
        """Questions per device and week (Monday) over first..last: the pilot's device list."""
        weeks: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        for day, device, questions in self._execute(
            "SELECT day, device_id, questions FROM device_days "
            "WHERE team = ? AND day >= ? AND day <= ?",
            (team, first.isoformat(), last.isoformat()),
        ).fetchall():
            weeks[str(device)][monday(date.fromisoformat(day))] += int(questions)
        return {device: dict(by_week) for device, by_week in sorted(weeks.items())}

    @_locked
    def pilots(self) -> dict[str, Pilot]:
        rows = self._execute("SELECT * FROM pilots ORDER BY team").fetchall()
        return {
            str(team): Pilot(
                str(team),
                date.fromisoformat(starts),
                date.fromisoformat(ends),
                date.fromisoformat(b_start) if b_start else None,
                date.fromisoformat(b_end) if b_end else None,
            )
            for team, starts, ends, b_start, b_end in rows
        }

    @_locked
    def teams(self) -> list[str]:
        return [
            str(r[0])
            for r in self._execute(
                "SELECT team FROM usage_daily UNION SELECT team FROM pilots ORDER BY 1"
            ).fetchall()
        ]

    @_locked
    def week_counts(self, team: str, first: date, last: date) -> list[WeekCounts]:
        """The team's counts per week (Monday first) over first..last, every week present."""
        weeks = {w: WeekCounts(week=w) for w in week_starts(first, last)}
        span = (team, first.isoformat(), last.isoformat())
        where = "team = ? AND day >= ? AND day <= ?"
        by_week: dict[date, list[tuple[str, str, int]]] = defaultdict(list)
        for day, intent, outcome, count in self._execute(
            f"SELECT day, intent, outcome, sum(count) FROM usage_daily WHERE {where} "
            "GROUP BY day, intent, outcome",
            span,
        ).fetchall():
            by_week[monday(date.fromisoformat(day))].append((intent, outcome, int(count)))
        for week, rows in by_week.items():
            weeks[week].outcomes.update(fold_outcomes(rows))
        for day, signal, count in self._execute(
            f"SELECT day, signal, sum(count) FROM signals_daily WHERE {where} GROUP BY day, signal",
            span,
        ).fetchall():
            weeks[monday(date.fromisoformat(day))].signals[str(signal)] += int(count)
        for day, index, count in self._execute(
            f"SELECT day, bin, sum(count) FROM latency_daily WHERE {where} AND stage = 'total' "
            "GROUP BY day, bin",
            span,
        ).fetchall():
            bins = weeks[monday(date.fromisoformat(day))].latency_bins
            if not bins:
                bins.extend([0] * (len(LATENCY_BINS_MS) + 1))
            bins[int(index)] += int(count)
        devices: dict[date, set[str]] = defaultdict(set)
        for day, device in self._execute(
            f"SELECT day, device_id FROM device_days WHERE {where}", span
        ).fetchall():
            devices[monday(date.fromisoformat(day))].add(str(device))
        for week, seen in devices.items():
            weeks[week].devices = len(seen)
        return list(weeks.values())

    @_locked
    def devices_active(self, team: str, first: date, last: date) -> int:
        row = self._execute(
            "SELECT count(DISTINCT device_id) FROM device_days "
            "WHERE team = ? AND day >= ? AND day <= ?",
            (team, first.isoformat(), last.isoformat()),
        ).fetchone()
        return int(row[0])

    # -- users -----------------------------------------------------------------------------

    @_locked
    def set_user(self, username: str, password_hash: str) -> None:
        """Add a supervisor or set a new password; a new password ends their open sessions."""
        self._execute(
            "INSERT INTO users VALUES (?, ?) ON CONFLICT (username) "
            "DO UPDATE SET password_hash = excluded.password_hash",
            (username, password_hash),
        )
        self._execute("DELETE FROM sessions WHERE username = ?", (username,))
        self._db.commit()

    @_locked
    def password_hash(self, username: str) -> str | None:
        row = self._execute(
            "SELECT password_hash FROM users WHERE username = ?", (username,)
        ).fetchone()
        return str(row[0]) if row else None


def _private_file(path: Path) -> None:
    """``path`` mode 0600 in a folder of mode 0700 (SQLite gives its -wal and -shm files the
    database's mode)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.parent.stat().st_mode & stat.S_ISVTX:  # never a shared folder such as /tmp
        path.parent.chmod(0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    path.chmod(0o600)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _message_time(message: StatsMessage | HealthMessage | StatusMessage) -> datetime:
    if isinstance(message, StatsMessage):
        return message.hour_start
    return message.sent_at if isinstance(message, HealthMessage) else message.changed_at


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _safe_topic(topic: str) -> str:
    """The topic with every level that isn't a plain identifier shown as "?": a faulty device
    may publish under any topic below its own, names included."""
    levels = topic.split("/")[:6]
    shown = [level if _ID.fullmatch(level) else "?" for level in levels]
    return "/".join(shown) + ("/…" if topic.count("/") > 5 else "")
