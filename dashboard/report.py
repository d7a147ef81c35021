"""The pilot report for the board, as a PDF (reportlab): period, team, devices, the weekly
table, baseline against pilot, a chart of questions per week, and how each figure is made.

Pure: given the figures, returns the PDF's bytes. Small counts are masked as on the pages.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dashboard.charts import masked
from dashboard.pilot import Kpis, Pilot

BASELINE_COLOUR = colors.HexColor("#8c8c8c")
PILOT_COLOUR = colors.HexColor("#0b4f6c")


@dataclass(frozen=True)
class PilotFigures:
    """Everything the pilot view and the report show for one team."""

    pilot: Pilot
    baseline_weeks: list[Kpis]
    pilot_weeks: list[Kpis]
    baseline_total: Kpis | None
    pilot_total: Kpis
    minutes_per_answer: float
    repeat_window_s: int
    small_count: int


HEADERS = [
    "Vecka",
    "Frågor",
    "Besvarade",
    "Kunde inte svara",
    "Frågade tillbaka",
    "Fel enligt personal",
    "Upprepade",
    "Nöjdhet",
    "Tid sparad",
    "Svarstid p50/p95",
    "Enheter",
]


def table_row(k: Kpis, small: int, label: str | None = None) -> list[str]:
    """One line of the weekly table as shown: masked counts, shares only from enough data."""

    def count(n: int) -> str:
        return masked(n, small)

    def share(part: int) -> str:
        value = k.share(part)
        return "-" if value is None or k.questions < small else f"{value * 100:.0f} %"

    said = k.good + k.wrong
    satisfaction = k.satisfaction
    return [
        label or (f"v{k.week.isocalendar().week} ({k.week:%d/%m})" if k.week else "-"),
        count(k.questions),
        f"{count(k.answered)} ({share(k.answered)})",
        count(k.misses),
        count(k.clarifications),
        count(k.wrong),
        count(k.repeats),
        "-" if satisfaction is None or said < small else f"{satisfaction * 100:.0f} %",
        f"{k.minutes_saved / 60:.1f} h",
        f"{_ms(k.p50_ms)} / {_ms(k.p95_ms)}",
        str(k.devices),
    ]


def _ms(value: int | None) -> str:
    return "-" if value is None else f"{value / 1000:.2g} s" if value >= 1000 else f"{value} ms"


def method_notes(figures: PilotFigures) -> list[str]:
    small = figures.small_count
    return [
        "Frågor: allt som ställdes till enheten utom 'ja', 'nej', 'upprepa', 'stopp' och omdömen.",
        "Besvarade: svar ur vårddata (även läkemedel som måste kontrolleras). Kunde inte svara: "
        "'vet inte', ingen vårddata eller programfel. Frågade tillbaka: enheten bad om "
        "förtydligande eller frågade vilken brukare som menades.",
        "Fel enligt personal: gånger någon sa 'fel' direkt efter ett svar. Nöjdhet: andel 'bra'/"
        "'tack' av alla omdömen ('bra' + 'fel').",
        f"Upprepade: 'upprepa', eller samma fråga om samma brukare inom "
        f"{figures.repeat_window_s} sekunder: ett tecken på att svaret inte gick fram.",
        f"Tid sparad är en uppskattning: {figures.minutes_per_answer:g} min per besvarad fråga "
        "(inställningen dashboard.minutes_saved_per_answer), inte en mätning.",
        "Svarstid: från frågans slut till svaret, övre gräns i histogrammets fack.",
        f"Antal under {small} visas som '<{small}' och andelar visas först från {small} "
        "frågor, så att ingen enskild kan pekas ut. Inga frågor, svar eller namn lämnar "
        "enheterna, bara antal.",
    ]


def _table(rows: list[list[str]], first: str = "Vecka") -> Table:
    table = Table([[first, *HEADERS[1:]], *rows], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#eef2f5")]),
            ]
        )
    )
    return table


def questions_chart(baseline: Sequence[Kpis], pilot: Sequence[Kpis], small: int) -> Drawing:
    """Questions per week, baseline weeks in grey, pilot weeks in blue; small weeks not drawn."""
    weeks = [*baseline, *pilot]
    drawing = Drawing(250 * mm, 60 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y = round(15 * mm), round(10 * mm)
    chart.width, chart.height = round(230 * mm), round(42 * mm)
    chart.data = [[k.questions if k.questions >= small else 0 for k in weeks] or [0]]
    chart.categoryAxis.categoryNames = [
        f"v{k.week.isocalendar().week}" if k.week else "" for k in weeks
    ] or [""]
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars.strokeColor = None
    for index in range(len(weeks)):
        chart.bars[(0, index)].fillColor = (
            BASELINE_COLOUR if index < len(baseline) else PILOT_COLOUR
        )
    drawing.add(chart)
    drawing.add(
        String(
            15 * mm,
            55 * mm,
            "Frågor per vecka (grå: jämförelseperiod, blå: pilot)",
            fontName="Helvetica",
            fontSize=9,
        )
    )
    return drawing


def _period(first: date | None, last: date | None) -> str:
    return f"{first:%Y-%m-%d} till {last:%Y-%m-%d}" if first and last else "ingen angiven"


def pdf(figures: PilotFigures, devices: int, made: date) -> bytes:
    """The report as PDF bytes."""
    pilot, small = figures.pilot, figures.small_count
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"hemassist pilotrapport {pilot.team}",
        author="hemassist",
    )
    story: list[Flowable] = [
        Paragraph(f"hemassist: pilotrapport för team {pilot.team}", styles["Title"]),
        Paragraph(
            f"Pilot: {_period(pilot.start, pilot.end)} ({pilot.weeks} veckor). "
            f"Jämförelseperiod: {_period(pilot.baseline_start, pilot.baseline_end)}. "
            f"Enheter som använts i piloten: {devices}. Rapporten skapad {made:%Y-%m-%d}.",
            styles["Normal"],
        ),
        Spacer(1, 4 * mm),
        Paragraph("Pilot och jämförelseperiod", styles["Heading2"]),
    ]
    summary = [table_row(figures.pilot_total, small, "Piloten")]
    if figures.baseline_total is not None:
        summary.insert(0, table_row(figures.baseline_total, small, "Jämförelse"))
    story += [_table(summary, "Period"), Spacer(1, 4 * mm)]
    story.append(questions_chart(figures.baseline_weeks, figures.pilot_weeks, small))
    if figures.baseline_weeks:
        story += [
            Paragraph("Jämförelseperiod per vecka", styles["Heading2"]),
            _table([table_row(k, small) for k in figures.baseline_weeks]),
        ]
    story += [
        Paragraph("Piloten per vecka", styles["Heading2"]),
        _table([table_row(k, small) for k in figures.pilot_weeks]),
        Paragraph("Så räknas siffrorna", styles["Heading2"]),
        *[Paragraph(note, styles["Normal"]) for note in method_notes(figures)],
    ]
    doc.build(story)
    return buffer.getvalue()
