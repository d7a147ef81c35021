"""The dashboard's web page through Flask's test client: login required, read-only, masked
counts, CSV export."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from dashboard.storage import Storage
from dashboard.web import care_age_days, create_app, hash_password, secret_key
from tests.dashboard_data import health, stats, status, turn

TODAY = date(2026, 11, 24)
DAY = datetime(2026, 11, 24, 8, tzinfo=UTC)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    storage = Storage(f"sqlite:///{tmp_path / 'd.db'}")
    storage.set_user("chef", hash_password("rätt-lösenord-123"))
    storage.ingest(
        [
            stats(
                "dev-1", 1, DAY, [turn("next_visit", "answered", 20), turn("access", "gated", 2)]
            ),
            stats("dev-2", 1, DAY, [turn("unknown", "unknown", 8, path="none")], team="hisingen-1"),
            health("dev-1", 2),
            status("dev-1", True),
            status("dev-2", False),
        ]
    )
    app = create_app(storage, secret_key(tmp_path / "key"), small_count=5, today=lambda: TODAY)
    yield app.test_client()
    storage.close()


def _login(client: FlaskClient, password: str = "rätt-lösenord-123") -> int:
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"username": "chef", "password": password, "csrf": csrf})
    return response.status_code


def _csrf(client: FlaskClient, path: str = "/") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_every_page_needs_a_login(client: FlaskClient) -> None:
    for path in ("/", "/devices", "/export.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_and_missing_csrf(client: FlaskClient) -> None:
    assert _login(client, "fel") == 200
    assert client.get("/").status_code == 302
    assert client.post("/login", data={"username": "chef", "password": "x"}).status_code == 400


def test_overview_numbers_and_masking(client: FlaskClient) -> None:
    assert _login(client) == 302
    page = client.get("/?days=7").get_data(as_text=True)
    assert 'id="total">30<' in page
    assert 'data-intent="next_visit">20<' in page
    assert 'data-outcome="gated">&lt;5<' in page  # 2 gated answers: shown as <5
    assert 'id="answered-share">67 %' in page and 'id="unknown-share">27 %' in page
    assert "<svg" in page and "cdn" not in page.lower() and "<script" not in page


def test_devices_page(client: FlaskClient) -> None:
    _login(client)
    page = client.get("/devices").get_data(as_text=True)
    assert 'data-device="dev-1"' in page and 'class="online">online' in page
    assert 'class="offline">offline' in page and "900/4096 MB" in page
    only = client.get("/devices?team=hisingen-1").get_data(as_text=True)
    assert 'data-device="dev-2"' in only and 'data-device="dev-1"' not in only


def test_device_page_with_its_history(client: FlaskClient) -> None:
    _login(client)
    assert client.get("/devices/nobody").status_code == 404
    page = client.get("/devices/dev-1?days=7").get_data(as_text=True)
    assert "Enhet dev-1 (team majorna-2)" in page
    row = page.split('data-day="2026-11-24"')[1].split("</tr>")[0]
    assert ">22<" in row  # questions that day (20 + 2)


def test_csv_export_masks_small_counts(client: FlaskClient) -> None:
    _login(client)
    rows = client.get("/export.csv?days=7").get_data(as_text=True).splitlines()
    assert rows[0] == "day,team,intent,language,path,outcome,count"
    assert "2026-11-24,majorna-2,next_visit,sv,template,answered,20" in rows
    assert "2026-11-24,majorna-2,access,sv,template,gated,<5" in rows


def test_read_only_and_logout(client: FlaskClient) -> None:
    _login(client)
    assert client.post("/").status_code == 405
    assert client.delete("/devices").status_code == 405
    client.post("/logout", data={"csrf": _csrf(client)})
    assert client.get("/").status_code == 302


def test_sixth_rapid_wrong_password_is_refused_even_when_right(client: FlaskClient) -> None:
    for _ in range(5):
        assert _login(client, "fel-lösenord") == 200
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    refused = client.post(
        "/login", data={"username": "chef", "password": "rätt-lösenord-123", "csrf": csrf}
    )
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "För många misslyckade inloggningar" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in


def test_lockout_is_per_client(client: FlaskClient) -> None:
    for _ in range(5):
        _login(client, "fel-lösenord")
    other = client.application.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert _login(other) == 302


def test_session_cookie_flags(client: FlaskClient) -> None:
    client.get("/login")
    cookie = client.get("/login").headers.get("Set-Cookie", "")
    assert cookie.startswith("__Host-hemassist=")
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in cookie
    assert "Domain=" not in cookie


def test_devices_page_marks_care_data_that_missed_its_deliveries(tmp_path: Path) -> None:
    storage = Storage(f"sqlite:///{tmp_path / 'd.db'}")
    storage.set_user("chef", hash_password("rätt-lösenord-123"))
    fresh, old = datetime(2026, 11, 23, 18, tzinfo=UTC), datetime(2026, 11, 19, 6, tzinfo=UTC)
    storage.ingest(
        [
            health("dev-1", 1, care_exported=fresh),
            health("dev-2", 1, care_exported=old),
            health("dev-3", 1),  # a device that has no care data, or too old a version to say
        ]
    )
    app = create_app(storage, secret_key(tmp_path / "key"), today=lambda: TODAY, care_stale_days=2)
    client = app.test_client()
    _login(client)
    page = client.get("/devices").get_data(as_text=True)
    rows = {m[0]: m[1] for m in re.findall(r'data-device="([^"]+)">(.*?)</tr>', page, re.S)}
    assert '<td class="care">2026-11-23 (1 d)</td>' in rows["dev-1"]
    assert '<td class="care stale">2026-11-19 (5 d, gammal)</td>' in rows["dev-2"]
    assert '<td class="care">-</td>' in rows["dev-3"]
    storage.close()


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    garbage=st.text(max_size=40),
)
def test_care_age_is_whole_days_in_the_dashboards_zone(
    moment: datetime, today: date, garbage: str
) -> None:
    tz = ZoneInfo("Europe/Stockholm")
    assert (
        care_age_days(moment.isoformat(), today, tz) == (today - moment.astimezone(tz).date()).days
    )
    assert care_age_days(moment.replace(tzinfo=None).isoformat(), today, tz) is None
    assert care_age_days(None, today, tz) is None
    try:
        datetime.fromisoformat(garbage)
    except ValueError:
        assert care_age_days(garbage, today, tz) is None
