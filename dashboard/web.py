"""The supervisors' web page (Flask): log in, overview, devices, CSV export; the pilot pages are
in dashboard/pilot_pages.py.
Read-only except the pilot periods a supervisor sets.

Sessions are kept server-side in the dashboard's database (dashboard.sessions; the cookie holds a
random id only); passwords are stored as hashes (werkzeug's scrypt). Every count shown is masked
below ``small_count``.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, Response, abort, redirect, render_template, request, session, url_for
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.charts import latency_lines, masked, stacked_bars
from dashboard.guard import LoginGuard
from dashboard.labels import INTENT_NAMES, OUTCOME_NAMES, PATH_NAMES, label
from dashboard.pilot_pages import add_pilot_pages
from dashboard.sessions import DbGuardState, DbSessionInterface, SessionStore
from dashboard.storage import Storage

PERIODS = (7, 30, 90, 365)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def safe_next(target: str) -> str:
    """``target`` as a path on this site, rebuilt from its parts, or "/".

    No scheme, no host, no backslash, no control character or space (a browser drops a tab and
    reads "/\t/evil.example" as "//evil.example"), never "//".
    """
    if len(target) > 2000 or any(ord(c) < 0x21 or ord(c) == 0x7F or c == "\\" for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return "/"
    path = "/" + parts.path.lstrip("/")
    return path + (f"?{parts.query}" if parts.query else "")


def secret_key(path: Path) -> bytes:
    """The session-signing key, made once and kept in a 0600 file."""
    import os

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def create_app(
    storage: Storage,
    key: bytes,
    small_count: int = 5,
    timezone: str = "Europe/Stockholm",
    minutes_saved_per_answer: float = 1.0,
    today: Callable[[], date] | None = None,
    secure_cookies: bool = True,
    trusted_proxies: int = 0,
    guard: LoginGuard | None = None,
    repeat_window_s: int = 120,
    session_idle_s: float = 1800,
    session_lifetime_s: float = 8 * 3600,
    care_stale_days: int = 2,
) -> Flask:
    app = Flask(__name__)
    sessions = SessionStore(storage, session_idle_s, session_lifetime_s)
    app.session_interface = DbSessionInterface(sessions)
    # Checked against when the user name is unknown, so that both cost one scrypt (no timing
    # tells which names exist).
    dummy_hash = hash_password(secrets.token_urlsafe(16))
    app.config.update(
        SECRET_KEY=key,
        # Behind HTTPS the session cookie is Secure and host-only (the __Host- prefix makes the
        # browser enforce both); plain HTTP is only for a local demo.
        SESSION_COOKIE_NAME="__Host-hemassist" if secure_cookies else "hemassist",
        SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
    )
    if trusted_proxies:  # the reverse proxy's X-Forwarded-For names the client
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies
        )
    guard = guard or LoginGuard(state=DbGuardState(storage))
    tz = ZoneInfo(timezone)
    current_day = today or (lambda: datetime.now(tz).date())
    app.jinja_env.filters["masked"] = lambda n: masked(int(n), small_count)
    app.jinja_env.globals["small_count"] = small_count
    app.jinja_env.globals["csrf_token"] = lambda: _csrf()  # the logout form on every page
    app.jinja_env.filters["intent"] = lambda code: label(INTENT_NAMES, code)
    app.jinja_env.filters["outcome"] = lambda code: label(OUTCOME_NAMES, code)
    app.jinja_env.filters["path"] = lambda code: label(PATH_NAMES, code)

    @app.context_processor
    def collector_state() -> dict[str, Any]:
        since = storage.collector_problem
        return {
            "collector_problem": since.astimezone(tz).strftime("%Y-%m-%d %H:%M") if since else None
        }

    def _csrf_ok() -> bool:
        """The form carries this session's token (a session without one never matches)."""
        expected = session.get("csrf")
        sent = request.form.get("csrf", "")
        return bool(expected) and secrets.compare_digest(str(expected), sent)

    def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not session.get("user"):
                return redirect(url_for("login", next=request.path))
            return view(*args, **kwargs)

        return wrapped

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; style-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        if request.is_secure:  # HTTPS (directly, or as a trusted proxy says)
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        error = None
        if request.method == "POST":
            if not _csrf_ok():
                abort(400)
            user = request.form.get("username", "")
            client = request.remote_addr or "-"
            wait_s = guard.retry_after(client, user)
            if wait_s:  # locked: the password is not even checked
                minutes = (wait_s + 59) // 60
                page = render_template(
                    "login.html",
                    error=f"För många misslyckade inloggningar. Försök igen om {minutes} min.",
                    csrf=session["csrf"],
                )
                return Response(page, 429, headers={"Retry-After": str(wait_s)})
            stored = storage.password_hash(user)
            matches = check_password_hash(stored or dummy_hash, request.form.get("password", ""))
            if stored and matches:
                guard.succeeded(client, user)
                session.clear()
                session.rotate = True  # type: ignore[attr-defined]  # a new id: no fixation
                session["user"] = user
                session["csrf"] = secrets.token_urlsafe(16)
                return redirect(safe_next(request.args.get("next", "/")))
            guard.failed(client, user)
            error = "Fel användarnamn eller lösenord."
        session["csrf"] = secrets.token_urlsafe(16)
        return render_template("login.html", error=error, csrf=session["csrf"])

    @app.route("/logout", methods=["POST"])
    def logout() -> Any:
        if not _csrf_ok():  # another site can't log a supervisor out
            abort(400)
        session.clear()  # the row goes: a copied cookie opens nothing
        return redirect(url_for("login"))

    @app.route("/sessions", methods=["GET", "POST"])
    @login_required
    def own_sessions() -> Any:
        user = str(session["user"])
        if request.method == "POST":
            if not _csrf_ok():
                abort(400)
            handle = request.form.get("session", "")
            if handle == "all-others":
                current = getattr(session, "sid", None)
                for info in sessions.of_user(user, current):
                    if not info.current:
                        sessions.end_one(user, info.handle)
            else:
                sessions.end_one(user, handle)
            return redirect(url_for("own_sessions"))
        return render_template(
            "sessions.html",
            sessions=sessions.of_user(user, getattr(session, "sid", None)),
            when=lambda t: datetime.fromtimestamp(t, tz).strftime("%Y-%m-%d %H:%M"),
            csrf=_csrf(),
            user=user,
        )

    def _period() -> int:
        try:
            days = int(request.args.get("days", "30"))
        except ValueError:
            days = 30
        return days if days in PERIODS else 30

    @app.route("/")
    @login_required
    def overview() -> Any:
        days = _period()
        team = request.args.get("team") or None
        data = storage.overview(days, current_day(), team)
        answered = data.outcomes.get("answered", 0) + data.outcomes.get("must_verify", 0)
        return render_template(
            "overview.html",
            data=data,
            days=days,
            team=team,
            periods=PERIODS,
            answered=answered,
            hours_saved=answered * minutes_saved_per_answer / 60,
            minutes_saved_per_answer=minutes_saved_per_answer,
            per_day_chart=stacked_bars(
                data.days, data.teams, data.per_day_team, small_count, "Frågor per dag och team"
            ),
            latency_chart=latency_lines(data.days, data.latency, "Svarstid per dag"),
            user=session["user"],
        )

    @app.route("/devices")
    @login_required
    def devices() -> Any:
        team = request.args.get("team") or None
        rows = [d for d in storage.devices() if team is None or d.get("team") == team]
        for row in rows:
            row["care_age_days"] = care_age_days(row.get("care_exported"), current_day(), tz)
        return render_template(
            "devices.html",
            devices=rows,
            stale_days=care_stale_days,
            team=team,
            teams=storage.teams(),
            rejected=storage.rejected(20),
            user=session["user"],
        )

    @app.route("/devices/<device_id>")
    @login_required
    def device_page(device_id: str) -> Any:
        device = storage.device(device_id)
        if device is None:
            abort(404)
        days = _period()
        return render_template(
            "device.html",
            device=device,
            days=days,
            periods=PERIODS,
            history=storage.device_history(device_id, days, current_day()),
            user=session["user"],
        )

    def _csrf() -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(16)
        return str(session["csrf"])

    add_pilot_pages(
        app,
        storage,
        login_required=login_required,
        csrf=_csrf,
        csrf_ok=_csrf_ok,
        current_day=current_day,
        small_count=small_count,
        minutes_saved_per_answer=minutes_saved_per_answer,
        repeat_window_s=repeat_window_s,
    )

    @app.route("/export.csv")
    @login_required
    def export() -> Response:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["day", "team", "intent", "language", "path", "outcome", "count"])
        for row in storage.export(_period(), current_day()):
            writer.writerow([*row[:6], masked(row[6], small_count)])
        return Response(
            buffer.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=hemassist.csv"},
        )

    return app


def care_age_days(exported: str | None, today: date, tz: ZoneInfo) -> int | None:
    """Whole days, in the dashboard's time zone, from the export of a device's care data (as its
    health message said it) to ``today``; None when the device has not said."""
    if not exported:
        return None
    try:
        moment = datetime.fromisoformat(exported)
    except ValueError:
        return None
    if moment.tzinfo is None:  # stored from an AwareDatetime: never, but not trusted either
        return None
    return (today - moment.astimezone(tz).date()).days
