"""What each dashboard page reads: the overview, devices and their history, the export, the
rejections, the pilots and their weeks, the supervisors' accounts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dashboard.database import Database, locked
from dashboard.pilot import (
    NOT_QUESTIONS,
    Pilot,
    WeekCounts,
    fold_outcomes,
    monday,
    percentile_from_bins,
    week_starts,
)
from device.telemetry.schema import (
    LATENCY_BINS_MS,
)


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


class Queries(Database):
    """The pages' reads, and the pilots' and users' writes."""

    @locked
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

    @locked
    def devices(self) -> list[dict[str, Any]]:
        cursor = self._execute("SELECT * FROM devices ORDER BY team, device_id")
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @locked
    def device(self, device_id: str) -> dict[str, Any] | None:
        cursor = self._execute("SELECT * FROM devices WHERE device_id = ?", (device_id,))
        names = [c[0] for c in cursor.description]
        row = cursor.fetchone()
        return dict(zip(names, row, strict=True)) if row else None

    @locked
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

    @locked
    def export(self, days: int, today: date) -> list[tuple[str, str, str, str, str, str, int]]:
        first = today - timedelta(days=days - 1)
        rows = self._execute(
            "SELECT day, team, intent, language, path, outcome, sum(count) FROM usage_daily "
            "WHERE day >= ? AND day <= ? GROUP BY day, team, intent, language, path, outcome "
            "ORDER BY day, team, intent, language, path, outcome",
            (first.isoformat(), today.isoformat()),
        ).fetchall()
        return [(*map(str, r[:6]), int(r[6])) for r in rows]  # type: ignore[misc]

    @locked
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

    @locked
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

    @locked
    def delete_pilot(self, team: str) -> bool:
        """Forget the team's pilot period (the statistics stay); whether there was one."""
        cursor = self._execute("DELETE FROM pilots WHERE team = ?", (team,))
        self._db.commit()
        return bool(cursor.rowcount)

    @locked
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

    @locked
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

    @locked
    def teams(self) -> list[str]:
        return [
            str(r[0])
            for r in self._execute(
                "SELECT team FROM usage_daily UNION SELECT team FROM pilots ORDER BY 1"
            ).fetchall()
        ]

    @locked
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

    @locked
    def devices_active(self, team: str, first: date, last: date) -> int:
        row = self._execute(
            "SELECT count(DISTINCT device_id) FROM device_days "
            "WHERE team = ? AND day >= ? AND day <= ?",
            (team, first.isoformat(), last.isoformat()),
        ).fetchone()
        return int(row[0])

    # -- users -----------------------------------------------------------------------------

    @locked
    def set_user(self, username: str, password_hash: str) -> None:
        """Add a supervisor or set a new password; a new password ends their open sessions."""
        self._execute(
            "INSERT INTO users VALUES (?, ?) ON CONFLICT (username) "
            "DO UPDATE SET password_hash = excluded.password_hash",
            (username, password_hash),
        )
        self._execute("DELETE FROM sessions WHERE username = ?", (username,))
        self._db.commit()

    @locked
    def password_hash(self, username: str) -> str | None:
        row = self._execute(
            "SELECT password_hash FROM users WHERE username = ?", (username,)
        ).fetchone()
        return str(row[0]) if row else None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
