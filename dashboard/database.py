"""The dashboard's database: SQLite by default, PostgreSQL by URL, one interface. The schema
(created on first use, migrated in place), the shared connection and its lock, transactions."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
        disk_free_mb BIGINT, health_at TEXT, care_exported TEXT)""",
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


def locked(method: Any) -> Any:
    """The method holds the connection's lock: one call at a time on the shared connection."""

    def wrapper(self: Database, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


class Database:
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
            private_file(path)  # password hashes and sessions: the owner's alone
            self.dialect = "sqlite"
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            serial = "INTEGER PRIMARY KEY AUTOINCREMENT"
        else:
            raise ValueError(f"dashboard.database_url {url!r}: use sqlite:///path or postgresql://")
        for statement in _SCHEMA:
            self._execute(statement.format(serial=serial))
        migrated = self._forget_rejected_content()
        self._add_care_exported()
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

    def _add_care_exported(self) -> None:
        """Databases from before 0.3 have no column for when a device's care data was exported."""
        cursor = self._execute("SELECT * FROM devices WHERE 1 = 0")
        if "care_exported" not in [c[0] for c in cursor.description]:
            self._execute("ALTER TABLE devices ADD COLUMN care_exported TEXT")

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


def private_file(path: Path) -> None:
    """``path`` mode 0600 in a folder of mode 0700 (SQLite gives its -wal and -shm files the
    database's mode)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.parent.stat().st_mode & stat.S_ISVTX:  # never a shared folder such as /tmp
        path.parent.chmod(0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    path.chmod(0o600)


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
