"""The supervisors' web page (Flask): log in, overview, devices, CSV export. Read-only.

Sessions are signed cookies with a key kept in a 0600 file; passwords are stored as hashes
(werkzeug's scrypt). Every count shown is masked below ``small_count``.
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
from zoneinfo import ZoneInfo

from flask import Flask, Response, abort, redirect, render_template, request, session, url_for
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.charts import latency_lines, masked, stacked_bars
from dashboard.guard import LoginGuard
from dashboard.storage import Storage

PERIODS = (7, 30, 90, 365)
OUTCOME_NAMES = {
    "answered": "besvarade",
    "must_verify": "besvarade, måste kontrolleras",
    "gated": "kod begärd",
    "unknown": "kunde inte svara",
    "escalated": "hänvisade till sjuksköterska/samordnare",
    "ambiguous": "frågade vem som menades",
    "clarify": "frågade tillbaka om det den förstått",
    "no_data": "ingen vårddata",
    "error": "fel",
}


def hash_password(password: str) -> str:
    return generate_password_hash(password)


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
) -> Flask:
    app = Flask(__name__)
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
    guard = guard or LoginGuard()
    tz = ZoneInfo(timezone)
    current_day = today or (lambda: datetime.now(tz).date())
    app.jinja_env.filters["masked"] = lambda n: masked(int(n), small_count)
    app.jinja_env.globals["small_count"] = small_count

    def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not session.get("user"):
                return redirect(url_for("login", next=request.path))
            return view(*args, **kwargs)

        return wrapped

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self'"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        error = None
        if request.method == "POST":
            if request.form.get("csrf") != session.get("csrf"):
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
            if stored and check_password_hash(stored, request.form.get("password", "")):
                guard.succeeded(client, user)
                session.clear()
                session.permanent = True
                session["user"] = user
                target = request.args.get("next", "/")
                return redirect(
                    target if target.startswith("/") and not target.startswith("//") else "/"
                )
            guard.failed(client, user)
            error = "Fel användarnamn eller lösenord."
        session["csrf"] = secrets.token_urlsafe(16)
        return render_template("login.html", error=error, csrf=session["csrf"])

    @app.route("/logout", methods=["POST"])
    def logout() -> Any:
        session.clear()
        return redirect(url_for("login"))

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
            outcome_names=OUTCOME_NAMES,
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
        rows = storage.devices()
        return render_template(
            "devices.html", devices=rows, rejected=storage.rejected(20), user=session["user"]
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
