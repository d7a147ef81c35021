"""Statistics messages into the database: every message is validated against the schema
(device.telemetry.schema), deduplicated on (device_id, seq), and folded into daily roll-ups per
team. What doesn't validate is counted and kept aside as its reason, topic, size and SHA-256
only: a faulty device's payload might hold personal data, so its content is never stored."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import TypeAdapter, ValidationError

from dashboard.database import Database, locked, stamp
from dashboard.pilot import (
    NOT_QUESTIONS,
)
from device.bounded import too_deep
from device.telemetry.schema import (
    ID_PATTERN,
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


class Ingest(Database):
    """Validation, deduplication and the daily roll-ups."""

    @locked
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
            self._reject(item, f"could not be stored ({type(exc).__name__})", stamp(now))
            self._db.commit()  # if this fails too, storage is down: the caller retries later
            return IngestResult(rejected=1)

    def _trim_rejected(self, now: datetime) -> None:
        """Keep the newest REJECTED_KEEP rejections of the last REJECTED_DAYS days."""
        cutoff = stamp(now - timedelta(days=REJECTED_DAYS))
        newest = self._execute("SELECT max(id) FROM rejected").fetchone()[0] or 0
        self._execute(
            "DELETE FROM rejected WHERE id <= ? OR received_at < ?",
            (int(newest) - REJECTED_KEEP, cutoff),
        )
        self._db.commit()

    def _ingest_batch(self, batch: Sequence[Incoming], now: datetime) -> IngestResult:
        """Validate, deduplicate and store a batch in one transaction."""
        received = stamp(now)
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
            "cpu_temp_c=?, mem_used_mb=?, mem_total_mb=?, disk_free_mb=?, health_at=?, "
            "care_exported=? "
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
                None if message.care_exported is None else message.care_exported.isoformat(),
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


def _message_time(message: StatsMessage | HealthMessage | StatusMessage) -> datetime:
    if isinstance(message, StatsMessage):
        return message.hour_start
    return message.sent_at if isinstance(message, HealthMessage) else message.changed_at


def _safe_topic(topic: str) -> str:
    """The topic with every level that isn't a plain identifier shown as "?": a faulty device
    may publish under any topic below its own, names included."""
    levels = topic.split("/")[:6]
    shown = [level if _ID.fullmatch(level) else "?" for level in levels]
    return "/".join(shown) + ("/…" if topic.count("/") > 5 else "")
