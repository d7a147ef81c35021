"""Which part of the day a visit is in (device/answers/ask.py, ``Ask.in_part``), on plain values:
its kind when that names a part ("Kvällsmat" at 17:00 is the evening's), else its start, with
care-data.md's hours ("eftermiddag" 12:00-18:00, "kväll" from 18:00)."""

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
        (_visit(17, kind="Kvällsmat"), "evening", True),  # its kind names the evening
        (_visit(17, kind="Kvällsmat"), "afternoon", False),
        (_visit(11, kind="Morgon"), "morning", True),
        (_visit(11, kind="Morgon"), "forenoon", True),  # the morning is in the forenoon
        (_visit(22, 30, kind="Natt"), "evening", True),
        (_visit(12, 15, kind="Lunch"), "afternoon", True),  # "Lunch" names no part: its hour
    ],
)
def test_a_visit_is_placed_by_its_kind_or_its_start(visit: Visit, part: str, inside: bool) -> None:
    assert ASK.in_part(visit, part) is inside


@given(st.integers(0, 23), st.integers(0, 59), st.sampled_from(sorted(PARTS_OF_DAY)))
def test_a_kind_that_names_no_part_goes_by_the_hour(hour: int, minute: int, part: str) -> None:
    low, high = PARTS_OF_DAY[part]
    assert ASK.in_part(_visit(hour, minute, "Dusch"), part) is (low <= hour < high)


@given(
    st.integers(0, 23),
    st.sampled_from(["Kväll", "Kvällsmat", "Morgon", "Förmiddag", "Eftermiddag", "Natt"]),
    st.sampled_from(sorted(PARTS_OF_DAY)),
)
def test_a_kind_that_names_a_part_decides_whatever_the_hour(
    hour: int, kind: str, part: str
) -> None:
    assert ASK.in_part(_visit(hour, kind=kind), part) is ASK.in_part(_visit(12, kind=kind), part)
