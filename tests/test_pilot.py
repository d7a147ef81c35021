"""The pilot view: the weekly measures from plain counts, the period a supervisor sets (with its
errors), the page, the CSV, and the PDF report rendered to PNG and read back."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from flask.testing import FlaskClient

from dashboard.pilot import Pilot, PilotError, WeekCounts, kpis, total, week_starts
from dashboard.report import PILOT_COLOUR
from dashboard.storage import Storage
from dashboard.web import create_app, hash_password, secret_key
from tests.dashboard_data import signal, stats, turn

ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"
TODAY = date(2026, 12, 20)
BASE = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday; the baseline's two weeks
START = datetime(2026, 11, 16, 9, tzinfo=UTC)  # the pilot's three weeks


def test_measures_of_a_week() -> None:
    week = WeekCounts(
        week=date(2026, 11, 16),
        outcomes=Counter(answered=30, must_verify=10, unknown=5, no_data=1, clarify=3, gated=1),
        signals=Counter(good=9, bad=3, repeat=4),
        latency_bins=[0, 0, 40, 0, 0, 0, 8, 2, 0, 0, 0, 0],
        devices=3,
    )
    k = kpis(week, minutes_per_answer=1.5, week=week.week)
    assert (k.questions, k.answered, k.misses, k.clarifications) == (50, 40, 6, 3)
    assert (k.wrong, k.repeats, k.good) == (3, 4, 9)
    assert k.satisfaction == 0.75 and k.share(k.answered) == 0.8
    assert k.minutes_saved == 60 and (k.p50_ms, k.p95_ms) == (50, 1000) and k.devices == 3
    empty = kpis(WeekCounts(week=date(2026, 11, 23)), 1.0)
    assert empty.satisfaction is None and empty.share(0) is None and empty.p95_ms is None
    both = total([week, week], 1.5, devices=4)
    assert both.questions == 100 and both.devices == 4 and both.satisfaction == 0.75


def test_weeks_and_period_rules() -> None:
    assert week_starts(date(2026, 11, 18), date(2026, 12, 1)) == [
        date(2026, 11, 16),
        date(2026, 11, 23),
        date(2026, 11, 30),
    ]
    assert Pilot("t", date(2026, 9, 1), date(2026, 11, 23)).weeks == 12
    with pytest.raises(PilotError, match="slutdatum"):
        Pilot("t", date(2026, 9, 1), date(2026, 8, 1))
    with pytest.raises(PilotError, match="innan piloten"):
        Pilot("t", date(2026, 9, 1), date(2026, 11, 1), date(2026, 8, 1), date(2026, 9, 1))
    with pytest.raises(PilotError, match="både"):
        Pilot("t", date(2026, 9, 1), date(2026, 11, 1), date(2026, 8, 1))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    storage = Storage(f"sqlite:///{tmp_path / 'd.db'}")
    storage.set_user("chef", hash_password("rätt-lösenord-123"))
    batch = []
    for week in range(5):
        hour = BASE + timedelta(weeks=week)
        pilot_week = hour >= START
        answered = 40 + 10 * week
        batch.append(
            stats(
                "dev-1",
                week + 1,
                hour,
                [
                    turn("next_visit", "answered", answered),
                    turn("unknown", "unknown", 12 - 2 * week, path="none"),
                    turn("feedback", "answered", 10),
                ],
                signals=[signal("good", 8 if pilot_week else 5), signal("bad", 2)]
                + ([signal("repeat", 3)] if week < 2 else []),
            )
        )
    batch.append(stats("dev-2", 1, START, [turn("flags", "clarify", 7)]))
    storage.ingest(batch)
    app = create_app(
        storage,
        secret_key(tmp_path / "key"),
        small_count=5,
        minutes_saved_per_answer=2.0,
        today=lambda: TODAY,
    )
    yield app.test_client()
    storage.close()


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def _login(client: FlaskClient) -> None:
    csrf = _csrf(client.get("/login").get_data(as_text=True))
    data = {"username": "chef", "password": "rätt-lösenord-123", "csrf": csrf}
    assert client.post("/login", data=data).status_code == 302


def _set_pilot(client: FlaskClient, **form: str) -> tuple[int, str]:
    csrf = _csrf(client.get("/pilot").get_data(as_text=True))
    response = client.post("/pilot", data={"csrf": csrf, **form}, follow_redirects=True)
    return response.status_code, response.get_data(as_text=True)


PERIOD = {
    "team": "majorna-2",
    "start": "2026-11-16",
    "end": "2026-12-06",
    "baseline_start": "2026-11-02",
    "baseline_end": "2026-11-15",
}


def test_a_supervisor_sets_a_pilot_and_reads_its_weeks(client: FlaskClient) -> None:
    assert client.get("/pilot").status_code == 302  # login first
    _login(client)
    assert client.post("/pilot", data=PERIOD).status_code == 400  # no CSRF token
    status, page = _set_pilot(client, **{**PERIOD, "team": "<script>Greta"})
    assert status == 400 and "Team: skriv teamets namn" in page and "<script>G" not in page
    status, page = _set_pilot(client, **{**PERIOD, "end": "2026-11-01"})
    assert status == 400 and "slutdatum ligger före" in page
    status, page = _set_pilot(client, **{**PERIOD, "baseline_end": "15/11"})
    assert status == 400 and "Jämförelseperiodens slut: skriv ett datum" in page
    status, page = _set_pilot(client, **PERIOD)
    assert status == 200 and "3 veckor" in page
    # Week of 16 Nov: 60 answered, 8 unknown, 7 clarifications (dev-2), "tack" not counted.
    week = re.search(r'data-week="2026-11-16">(.*?)</tr>', page, re.S)
    assert week is not None
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", week.group(1))
    assert cells[:8] == ["v47 (16/11)", "75", "60 (80 %)", "8", "7", "&lt;5", "0", "80 %"]
    assert cells[8] == "2.0 h" and cells[10] == "2"
    summary = re.search(r'data-period="baseline">(.*?)</tr>', page, re.S)
    assert summary is not None and "90 (" in summary.group(1)  # 40 + 50 answered before
    assert "Tid sparad är en uppskattning: 2 min per besvarad fråga" in page
    assert "<script" not in page


def test_csv_keeps_codes_and_masks(client: FlaskClient) -> None:
    _login(client)
    _set_pilot(client, **PERIOD)
    rows = client.get("/pilot.csv?team=majorna-2").get_data(as_text=True).splitlines()
    assert rows[0].startswith("period,week,questions,answered,misses")
    assert rows[1].startswith("baseline,2026-11-02,52,40,12,0,<5,<5,")
    assert rows[3].startswith("pilot,2026-11-16,75,60,8,7,<5,0,8,120,50,50,2")
    assert client.get("/pilot.csv?team=nobody").status_code == 404


def test_pdf_report_rendered_shows_the_figures(client: FlaskClient) -> None:
    _login(client)
    _set_pilot(client, **PERIOD)
    response = client.get("/pilot.pdf?team=majorna-2")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    document = pdfium.PdfDocument(response.data)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    compact = " ".join(text.split())
    assert "pilotrapport för team majorna-2" in compact
    assert "2026-11-16 till 2026-12-06 (3 veckor)" in compact
    assert "Enheter som använts i piloten: 2" in compact
    assert "v47 (16/11) 75 60 (80 %) 8 7 <5 0 80 %" in compact
    assert "Så räknas siffrorna" in compact and "2 min per besvarad fråga" in compact
    ARTIFACTS.mkdir(exist_ok=True)
    image = document[0].render(scale=1.5).to_pil().convert("RGB")
    image.save(ARTIFACTS / "pilot-report.png")
    # The chart is drawn: the pilot's bar colour covers a visible area of the first page.
    colour = tuple(round(c * 255) for c in PILOT_COLOUR.rgb())
    bar_pixels = sum(n for n, pixel in image.getcolors(1 << 24) or [] if pixel == colour)
    assert bar_pixels > 500
