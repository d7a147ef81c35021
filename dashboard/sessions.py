"""Server-side sessions and the shared login throttle, both in the dashboard's database.

The cookie carries only a random id; the database keeps its SHA-256 (a copy of the database
opens no session), who it belongs to and its data (the user and the CSRF token). Logout, a new
password and ``dashboard user --revoke`` delete the rows, so a copied cookie stops working at once,
in every dashboard process. A session ends after ``idle_s`` without a request and ``lifetime_s``
after login, whatever happens.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from dashboard.storage import Storage

_SID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
TOUCH_EVERY_S = 60  # last_seen is written at most this often per session
MAX_ANONYMOUS = 10_000  # login-page sessions kept; a flood of them can't fill the disk


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session's data; ``sid`` None until it is first saved."""

    def __init__(self, data: dict[str, Any], sid: str | None, last_seen: float = 0.0) -> None:
        def changed(_: object) -> None:
            self.modified = True

        super().__init__(data, changed)
        self.sid = sid
        self.last_seen = last_seen
        self.modified = False
        self.rotate = False  # a new id at the next save (after login: no session fixation)


@dataclass(frozen=True)
class SessionInfo:
    handle: str  # the first characters of the id's hash: names a session without revealing it
    created: float
    last_seen: float
    agent: str
    current: bool


class SessionStore:
    """Sessions as rows of ``sessions`` (see the module's docstring)."""

    def __init__(
        self,
        storage: Storage,
        idle_s: float,
        lifetime_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
        self.idle_s, self.lifetime_s = idle_s, lifetime_s
        self._clock = clock

    def load(self, sid: str) -> ServerSession | None:
        if not _SID.fullmatch(sid):
            return None
        now = self._clock()
        with self._storage.transaction() as execute:
            row = execute(
                "SELECT data, created, last_seen FROM sessions WHERE id_hash = ?", (_hash(sid),)
            ).fetchone()
            if row is None:
                return None
            data, created, last_seen = str(row[0]), float(row[1]), float(row[2])
            if now - last_seen > self.idle_s or now - created > self.lifetime_s:
                execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(sid),))
                return None
            if now - last_seen > TOUCH_EVERY_S:
                execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", (now, _hash(sid)))
                last_seen = now
        return ServerSession(json.loads(data), sid, last_seen)

    def save(self, session: ServerSession, agent: str) -> str:
        """Write the session (a new id when it has none or must rotate); returns its id."""
        now = self._clock()
        with self._storage.transaction() as execute:
            if session.sid is not None and session.rotate:
                execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(session.sid),))
                session.sid = None
            user = session.get("user")
            data = json.dumps(dict(session))
            if session.sid is None:
                session.sid = secrets.token_urlsafe(32)
                execute(
                    "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                    (_hash(session.sid), user, data, now, now, agent[:120]),
                )
                self._prune(execute, now)
            else:
                execute(
                    "UPDATE sessions SET username = ?, data = ?, last_seen = ? WHERE id_hash = ?",
                    (user, data, now, _hash(session.sid)),
                )
        session.rotate = False
        return session.sid

    def delete(self, sid: str) -> None:
        with self._storage.transaction() as execute:
            execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(sid),))

    def end_all(self, username: str) -> int:
        """End every session of ``username``; how many there were."""
        with self._storage.transaction() as execute:
            cursor = execute("DELETE FROM sessions WHERE username = ?", (username,))
            return int(cursor.rowcount or 0)

    def end_one(self, username: str, handle: str) -> bool:
        """End the user's session whose hash starts with ``handle`` (their own only)."""
        if not re.fullmatch(r"[0-9a-f]{16}", handle):
            return False
        with self._storage.transaction() as execute:
            rows = execute(
                "SELECT id_hash FROM sessions WHERE username = ?", (username,)
            ).fetchall()
            for (id_hash,) in rows:
                if str(id_hash).startswith(handle):
                    execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))
                    return True
        return False

    def of_user(self, username: str, current_sid: str | None) -> list[SessionInfo]:
        now = self._clock()
        current = _hash(current_sid) if current_sid else ""
        with self._storage.transaction() as execute:
            rows = execute(
                "SELECT id_hash, created, last_seen, agent FROM sessions WHERE username = ? "
                "AND last_seen >= ? AND created >= ? ORDER BY last_seen DESC",
                (username, now - self.idle_s, now - self.lifetime_s),
            ).fetchall()
        return [
            SessionInfo(str(h)[:16], float(c), float(s), str(a or ""), str(h) == current)
            for h, c, s, a in rows
        ]

    def _prune(self, execute: Callable[..., Any], now: float) -> None:
        execute(
            "DELETE FROM sessions WHERE last_seen < ? OR created < ?",
            (now - self.idle_s, now - self.lifetime_s),
        )
        anonymous = int(
            execute("SELECT count(*) FROM sessions WHERE username IS NULL").fetchone()[0]
        )
        if anonymous > MAX_ANONYMOUS:
            execute(
                "DELETE FROM sessions WHERE username IS NULL AND last_seen < ?",
                (now - 60,),
            )


class DbSessionInterface(SessionInterface):
    """Flask's session, kept in the SessionStore; the cookie holds the id only."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app), "")
        return (self.store.load(sid) if sid else None) or ServerSession({}, None)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        name = self.get_cookie_name(app)
        if not session:  # cleared (logout) or never used: no row, no cookie
            if session.sid is not None:
                self.store.delete(session.sid)
                response.delete_cookie(name, path="/", secure=self.get_cookie_secure(app))
            return
        if not (session.modified or session.rotate or session.sid is None):
            return
        sid = self.store.save(session, (request.user_agent.string or "")[:120])
        response.set_cookie(
            name,
            sid,
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite="Strict",
            path="/",
        )


class DbGuardState:
    """The login throttle's failures and locks in the database: one count for every process."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    def add_failure(self, key: str, at: float, window_s: float) -> int:
        with self._storage.transaction() as execute:
            execute(
                "DELETE FROM login_failures WHERE (key = ? AND at <= ?) OR at <= ?",
                (key, at - window_s, at - 86_400),  # old ones of every key go within a day
            )
            execute("INSERT INTO login_failures VALUES (?, ?)", (key, at))
            row = execute("SELECT count(*) FROM login_failures WHERE key = ?", (key,)).fetchone()
        return int(row[0])

    def lock(self, key: str, until: float) -> None:
        with self._storage.transaction() as execute:
            execute(
                "INSERT INTO login_locks VALUES (?, ?) ON CONFLICT (key) "
                "DO UPDATE SET until = excluded.until",
                (key, until),
            )

    def clear(self, key: str) -> None:
        with self._storage.transaction() as execute:
            execute("DELETE FROM login_failures WHERE key = ?", (key,))

    def locked_until(self, keys: tuple[str, ...], now: float) -> float:
        with self._storage.transaction() as execute:
            execute("DELETE FROM login_locks WHERE until <= ?", (now,))
            marks = ",".join("?" * len(keys))
            row = execute(
                f"SELECT max(until) FROM login_locks WHERE key IN ({marks})", keys
            ).fetchone()
        return float(row[0]) if row and row[0] is not None else 0.0
