"""The supervisors' web page (Flask): log in, overview, pilot, devices, CSV and PDF export.
Read-only except the pilot periods a supervisor sets.

Sessions are kept server-side in the dashboard's database (dashboard.sessions; the cookie holds a
random id only); passwords are stored as hashes (werkzeug's scrypt). Every count shown is masked
below ``small_count``.
"""

from __future__ import annotations

import csv
import io
import re
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
from dashboard.pilot import Kpis, Pilot, PilotError, WeekCounts, total, weekly
from dashboard.report import HEADERS, PilotFigures, method_notes, pdf, table_row
from dashboard.sessions import DbGuardState, DbSessionInterface, SessionStore
from dashboard.storage import Storage
from device.telemetry.schema import ID_PATTERN

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
        return render_template(
            "devices.html",
            devices=rows,
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

    def _figures(pilot: Pilot) -> PilotFigures:
        minutes = minutes_saved_per_answer
        # Weeks that have begun: a running pilot shows no empty rows for the weeks to come.
        until = min(pilot.end, current_day())
        counts = storage.week_counts(pilot.team, pilot.start, until) if until >= pilot.start else []
        base_counts: list[WeekCounts] = []
        base_total: Kpis | None = None
        if pilot.baseline_start and pilot.baseline_end:
            first, last = pilot.baseline_start, pilot.baseline_end
            base_counts = storage.week_counts(pilot.team, first, last)
            base_total = total(
                base_counts, minutes, storage.devices_active(pilot.team, first, last)
            )
        return PilotFigures(
            pilot=pilot,
            baseline_weeks=weekly(base_counts, minutes),
            pilot_weeks=weekly(counts, minutes),
            baseline_total=base_total,
            pilot_total=total(
                counts, minutes, storage.devices_active(pilot.team, pilot.start, until)
            ),
            minutes_per_answer=minutes,
            repeat_window_s=repeat_window_s,
            small_count=small_count,
        )

    def _device_rows(pilot: Pilot, device: str | None) -> list[tuple[str, int, int, int]]:
        """Per device: questions in the baseline, in the pilot, and weeks active in the pilot;
        only ``device`` when one is chosen."""
        until = min(pilot.end, current_day())
        during = storage.device_weeks(pilot.team, pilot.start, until)
        before: dict[str, dict[date, int]] = {}
        if pilot.baseline_start and pilot.baseline_end:
            before = storage.device_weeks(pilot.team, pilot.baseline_start, pilot.baseline_end)
        names = sorted(set(during) | set(before))
        return [
            (
                name,
                sum(before.get(name, {}).values()),
                sum(during.get(name, {}).values()),
                sum(1 for n in during.get(name, {}).values() if n),
            )
            for name in names
            if device is None or name == device
        ]

    def _pilot_page(team: str | None, error: str | None = None, status: int = 200) -> Any:
        pilots = storage.pilots()
        teams = sorted(set(storage.teams()) | set(pilots))
        team = team or next(iter(pilots), None) or (teams[0] if teams else None)
        pilot = pilots.get(team) if team else None
        figures = _figures(pilot) if pilot else None
        chart = None
        if figures:
            weeks = [*figures.baseline_weeks, *figures.pilot_weeks]
            base = len(figures.baseline_weeks)
            chart = stacked_bars(
                [k.week for k in weeks if k.week],
                ["jämförelseperiod", "pilot"],
                {
                    (k.week, "jämförelseperiod" if i < base else "pilot"): k.questions
                    for i, k in enumerate(weeks)
                    if k.week
                },
                small_count,
                "Frågor per vecka",
            )
        device = request.args.get("device") or None
        page = render_template(
            "pilot.html",
            device=device,
            device_rows=_device_rows(pilot, device) if pilot else [],
            team=team,
            teams=teams,
            pilot=pilot,
            figures=figures,
            headers=HEADERS,
            row=table_row,
            notes=method_notes(figures) if figures else [],
            chart=chart,
            error=error,
            csrf=_csrf(),
            form=request.form if error else {},
            user=session["user"],
        )
        return Response(page, status)

    @app.route("/pilot", methods=["GET", "POST"])
    @login_required
    def pilot_view() -> Any:
        if request.method == "GET":
            return _pilot_page(request.args.get("team"))
        if not _csrf_ok():
            abort(400)
        team = request.form.get("team", "").strip()
        try:
            storage.set_pilot(_pilot_from(team, request.form))
        except PilotError as exc:
            return _pilot_page(team or None, str(exc), 400)
        return redirect(url_for("pilot_view", team=team))

    @app.route("/pilot/delete", methods=["POST"])
    @login_required
    def pilot_delete() -> Any:
        if not _csrf_ok():
            abort(400)
        team = request.form.get("team", "")
        if request.form.get("confirm") != "yes":
            return _pilot_page(team or None, "Kryssa i rutan för att bekräfta borttagningen.", 400)
        if not storage.delete_pilot(team):
            abort(404)
        return redirect(url_for("pilot_view"))

    def _pilot_or_404() -> Pilot:
        pilot: Pilot | None = storage.pilots().get(request.args.get("team", ""))
        if pilot is None:
            abort(404)
        return pilot

    @app.route("/pilot.csv")
    @login_required
    def pilot_csv() -> Response:
        figures = _figures(_pilot_or_404())
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            ["period", "week", "questions", "answered", "misses", "clarifications", "wrong",
             "repeats", "good", "minutes_saved", "p50_ms", "p95_ms", "devices"]
        )  # fmt: skip
        parts = [("baseline", figures.baseline_weeks), ("pilot", figures.pilot_weeks)]
        for period, weeks in parts:
            for k in weeks:
                writer.writerow(
                    [period, k.week.isoformat() if k.week else "",
                     *(masked(n, small_count) for n in (
                         k.questions, k.answered, k.misses, k.clarifications, k.wrong,
                         k.repeats, k.good)),
                     f"{k.minutes_saved:.0f}", k.p50_ms or "", k.p95_ms or "", k.devices]
                )  # fmt: skip
        name = f"hemassist-pilot-{figures.pilot.team}.csv"
        return Response(
            buffer.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}"},
        )

    @app.route("/pilot.pdf")
    @login_required
    def pilot_pdf() -> Response:
        pilot = _pilot_or_404()
        figures = _figures(pilot)
        name = f"hemassist-pilot-{pilot.team}.pdf"
        return Response(
            pdf(figures, figures.pilot_total.devices, current_day()),
            mimetype="application/pdf",
            headers={"Content-Disposition": f"attachment; filename={name}"},
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


def _pilot_from(team: str, form: Any) -> Pilot:
    """A pilot from the form, or PilotError naming the field that is wrong (in Swedish)."""
    if team != "-" and not re.fullmatch(ID_PATTERN.strip("^$"), team):
        raise PilotError(
            "Team: skriv teamets namn som enheterna rapporterar det "
            "(små bokstäver, siffror och bindestreck, till exempel majorna-2)."
        )

    def day(field: str, name: str, required: bool) -> date | None:
        value = (form.get(field) or "").strip()
        if not value and not required:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PilotError(f"{name}: skriv ett datum som 2026-09-01.") from None

    start = day("start", "Pilotens start", True)
    end = day("end", "Pilotens slut", True)
    assert start is not None and end is not None
    return Pilot(
        team,
        start,
        end,
        day("baseline_start", "Jämförelseperiodens start", False),
        day("baseline_end", "Jämförelseperiodens slut", False),
    )
