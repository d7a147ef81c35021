"""The pilot pages of the dashboard: a team's pilot and baseline periods set or deleted, the
weekly table side by side, its devices, the CSV and the PDF report."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask, Response, abort, redirect, render_template, request, session, url_for

from dashboard.charts import masked, stacked_bars
from dashboard.pilot import Kpis, Pilot, PilotError, WeekCounts, total, weekly
from dashboard.report import HEADERS, PilotFigures, method_notes, pdf, table_row
from dashboard.storage import Storage
from device.telemetry.schema import ID_PATTERN


def add_pilot_pages(
    app: Flask,
    storage: Storage,
    *,
    login_required: Callable[[Callable[..., Any]], Callable[..., Any]],
    csrf: Callable[[], str],
    csrf_ok: Callable[[], bool],
    current_day: Callable[[], date],
    small_count: int,
    minutes_saved_per_answer: float,
    repeat_window_s: int,
) -> None:
    """The pilot routes on ``app``, behind its login and CSRF checks."""

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
            csrf=csrf(),
            form=request.form if error else {},
            user=session["user"],
        )
        return Response(page, status)

    @app.route("/pilot", methods=["GET", "POST"])
    @login_required
    def pilot_view() -> Any:
        if request.method == "GET":
            return _pilot_page(request.args.get("team"))
        if not csrf_ok():
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
        if not csrf_ok():
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
