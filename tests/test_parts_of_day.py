"""Which part of the day a visit is in (device/answers/ask.py, ``Ask.in_part``), on plain values:
its start, with care-data.md's hours ("förmiddag" before 12:00, "eftermiddag" 12:00-18:00, "kväll"
from 18:00), whatever its kind says ("Kvällsmat" at 17:00 is the afternoon's)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device.answers.ask import PARTS_OF_DAY, Ask
from device.care.model import CareData, Visit
from device.settings import Settings

TZ = ZoneInfo("Europe/Stockholm")
ASK = Ask(CareData.empty(), datetime(2026, 12, 14, 8, tzinfo=TZ), TZ, "sv")


def _visit(hour: int, minute: int = 0, kind: str = "Dusch") -> Visit:
    start = datetime(2026, 12, 14, hour, minute, tzinfo=TZ)
    return Visit(
        "Appointment/v", "Patient/p", (), "booked", start, start + timedelta(minutes=30), kind
    )


def test_the_hours_are_care_data_mds() -> None:
    assert PARTS_OF_DAY["afternoon"] == (12, 18) and PARTS_OF_DAY["evening"] == (18, 24)
    assert dict(Settings().answers.parts_of_day) == PARTS_OF_DAY


@pytest.mark.parametrize(
    ("visit", "part", "inside"),
    [
        (_visit(17, 30), "afternoon", True),  # a shower at half past five: the afternoon's
        (_visit(17, 30), "evening", False),
        (_visit(18), "evening", True),
        (_visit(17, kind="Kvällsmat"), "evening", False),  # its hour decides, not its kind
        (_visit(17, kind="Kvällsmat"), "afternoon", True),
        (_visit(13, kind="Förmiddag"), "forenoon", False),
        (_visit(13, kind="Förmiddag"), "afternoon", True),
        (_visit(8, kind="Morgon"), "forenoon", True),  # the morning is in the forenoon
        (_visit(22, 30, kind="Natt"), "evening", True),
        (_visit(22, 30, kind="Natt"), "night", True),
        (_visit(12, 15, kind="Lunch"), "afternoon", True),
    ],
)
def test_a_visit_is_placed_by_its_start(visit: Visit, part: str, inside: bool) -> None:
    assert ASK.in_part(visit, part) is inside


@given(
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(["Dusch", "Kväll", "Kvällsmat", "Morgon", "Förmiddag", "Eftermiddag", "Natt"]),
    st.sampled_from(sorted(PARTS_OF_DAY)),
)
def test_only_the_hour_decides(hour: int, minute: int, kind: str, part: str) -> None:
    low, high = PARTS_OF_DAY[part]
    assert ASK.in_part(_visit(hour, minute, kind), part) is (low <= hour < high)
