"""A colleague's visit ("När kommer Jonas till Ahmed?"): the visit of that client whose
participant is that worker, on the day asked, with its source; none, said as what the schedule
holds (round10's "hur dags ska jonas till ahmed", said back until 2026-12-07). The whole path,
with the similar reader, is in tests/test_people.py."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from device.answers.ask import Ask
from device.answers.schedule import visit_time
from device.care.fhir_import import parse_bundle
from device.nlu.recognizer import Recognition
from tests.conftest import EXAMPLE, TZ

SECOND = parse_bundle((EXAMPLE.parent / "second-bundle.json").read_bytes()).care
MORNING = datetime(2026, 11, 25, 10, 30, tzinfo=TZ)


@given(
    worker=st.sampled_from(sorted(p.ref for p in SECOND.practitioners)),
    client=st.sampled_from(sorted(c.ref for c in SECOND.clients)),
    days=st.integers(min_value=-1, max_value=3),
    lang=st.sampled_from(["sv", "en"]),
)
def test_property_only_that_workers_visit_to_that_client_is_said(
    worker: str, client: str, days: int, lang: str
) -> None:
    """Whoever and whenever: the visit cited is that client's, that worker's, on that day, and
    a visit time is said only with it."""
    now = MORNING + timedelta(days=days)
    ask = Ask(care=SECOND, now=now, tz=TZ, lang=lang)
    reply = visit_time(ask, Recognition("visit_time", lang, {"client": (client,), "by": worker}))
    cited = [v for v in SECOND.visits if v.ref in reply.sources]
    assert len(cited) <= 1
    for visit in cited:
        assert visit.client == client and worker in visit.practitioners
        assert visit.start.astimezone(TZ).date() == now.date()
    if not cited:
        assert reply.outcome == "unknown"
