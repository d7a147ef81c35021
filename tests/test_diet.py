"""What to keep in mind when cooking for a client ("vad ska jag tänka på när jag lagar mat åt
Karin?"): her flags, notes and routines about food and drink, read as recorded, flags first; a
pet's food and her medication are not read; nothing recorded is said as not found (issue 39)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from device.answers.ask import Ask, Reply
from device.answers.careplan import flags
from device.answers.records import client_sentences
from device.care.fhir_import import parse_bundle
from device.care.model import CareData
from device.nlu.recognizer import Recognition
from tests.conftest import DATA, TZ

CARES = {
    name: parse_bundle((DATA / f"{name}-bundle.json").read_bytes()).care
    for name in ("example", "second", "third")
}
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=TZ)


def _diet(care: CareData, client: str, lang: str = "sv") -> Reply:
    reading = Recognition("flags", lang, {"client": (client,), "flag_topic": "diet"})
    return flags(Ask(care=care, now=NOW, tz=TZ, lang=lang), reading)


def test_an_allergy_comes_first_and_the_cats_food_is_not_hers() -> None:
    reply = _diet(CARES["second"], "Patient/p-karin")
    assert reply.text.index("Allergi mot jordnötter") < reply.text.index("müsli")
    assert "Misse" not in reply.text  # "Katten heter Misse och ska ha mat på kvällen"
    assert reply.must_verify and "Flag/p-karin-flag1" in reply.sources


def test_a_diet_written_in_a_routine_is_read_in_english_too() -> None:
    reply = _diet(CARES["example"], "Patient/p-yusuf", "en")
    assert "Halal kost" in reply.text and "Afternoon:" in reply.text
    assert reply.sources == ("CarePlan/p-yusuf-plan", "Patient/p-yusuf")


@settings(max_examples=40, deadline=None)
@given(
    pick=st.sampled_from([(name, c.ref) for name, care in CARES.items() for c in care.clients]),
    lang=st.sampled_from(["sv", "en"]),
)
def test_property_only_the_clients_own_records_and_never_her_medication(
    pick: tuple[str, str], lang: str
) -> None:
    """For any client: every source is one of her own records, none a medication order, and an
    answer with nothing found cites what was read and claims nothing."""
    name, ref = pick
    care = CARES[name]
    client = care.client(ref)
    assert client is not None
    reply = _diet(care, ref, lang)
    own = {h.ref for h in client_sentences(client, care)} | {ref}
    assert set(reply.sources) <= own
    if reply.outcome == "unknown":
        return
    assert not any(s.startswith("MedicationRequest/") for s in reply.sources)
    assert client.full_name in reply.text
