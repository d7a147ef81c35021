"""Who makes a client's visit ("Vem av oss går till Ahmed efter lunch?", round14 and round15),
a nameless question beside where the worker stands ("Jag står utanför Gretas port nu, vad är
koden?"), a visit asked by its clock time, and a tag at the end ("… eller?") (issue 39,
2026-12-07, late morning)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device.answers.ask import Ask
from device.answers.visitors import nth_visit, visit_worker
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.nlu.clauses import clause_reading, said_before, standing_at
from device.nlu.clock import ClockTime
from device.nlu.recognizer import Recognition, Templates
from device.nlu.text import normalize
from device.settings import Settings
from tests.conftest import EXAMPLE, TZ

SECOND = parse_bundle((EXAMPLE.parent / "second-bundle.json").read_bytes()).care
THIRD = parse_bundle((EXAMPLE.parent / "third-bundle.json").read_bytes()).care
NOON = datetime(2026, 11, 25, 12, 20, tzinfo=TZ)
OMARS_MORNING = datetime(2026, 12, 14, 8, 15, tzinfo=TZ)


def _assistant(settings: Settings, templates: Templates, care: object, worker: str) -> Assistant:
    assistant = Assistant(settings.model_copy(update={"worker": worker}), templates, None)
    assistant.use_care(care)  # type: ignore[arg-type]
    return assistant


@pytest.mark.parametrize(
    ("question", "said", "visit"),
    [
        ("Vem av oss går till Ahmed efter lunch?", "Jonas Berg", "Appointment/p-ahmed-v2"),
        ("vem går till Ahmed i eftermiddag", "Jonas Berg", "Appointment/p-ahmed-v2"),
        ("which of us is going to Ahmed this afternoon", "Jonas Berg", "Appointment/p-ahmed-v2"),
        ("who has Ahmed in the afternoon", "Jonas Berg", "Appointment/p-ahmed-v2"),
        # round18 and conversations3/4: one visit by its clock time or its order
        ("vem tar ahmed klockan ett är det jag eller", "Jonas Berg", "Appointment/p-ahmed-v2"),
        ("vem har ahmed-besöket klockan ett", "Jonas Berg", "Appointment/p-ahmed-v2"),
        ("vem tar andra besöket hos ahmed", "Jonas Berg", "Appointment/p-ahmed-v2"),
        ("who's doing ahmed's second visit today", "Jonas Berg", "Appointment/p-ahmed-v2"),
        ("who has Ahmed at one", "Jonas Berg", "Appointment/p-ahmed-v2"),
    ],
)
def test_who_makes_a_visit_is_the_schedules_worker_on_it(
    settings: Settings, templates: Templates, question: str, said: str, visit: str
) -> None:
    turn = _assistant(settings, templates, SECOND, "").ask(question, now=NOON)
    assert turn.intent == "visit_worker", turn
    assert said in turn.answer and visit in turn.sources, turn.answer
    assert "Practitioner/w-jonas" in turn.sources
    assert "Appointment/p-ahmed-v1" not in turn.sources  # the morning visit was not asked


def test_the_devices_own_worker_is_you_and_a_cancelled_visit_is_said(
    settings: Settings, templates: Templates
) -> None:
    omar = _assistant(settings, templates, THIRD, "w-omar")
    turn = omar.ask("vem går till Olle i morgon", now=OMARS_MORNING)
    assert "förmiddag halv elva: du" in turn.answer, turn.answer
    assert "inställt (var du)" in turn.answer, turn.answer
    sofia = omar.ask("Vem är det som har morgonbesöket hos Märta idag?", now=OMARS_MORNING)
    assert "Sofia" in sofia.answer and "Appointment/t-marta-v1" in sofia.sources, sofia.answer


def test_a_visit_not_in_the_schedule_is_an_honest_miss(
    settings: Settings, templates: Templates
) -> None:
    turn = _assistant(settings, templates, THIRD, "w-omar").ask(
        "vem går till Märta i kväll", now=OMARS_MORNING
    )
    assert turn.outcome == "unknown" and "inget besök" in turn.answer, turn.answer
    assert not any(s.startswith("Appointment/") for s in turn.sources)


def test_whom_the_worker_sees_before_a_client_is_not_who_visits_her(
    settings: Settings, templates: Templates
) -> None:
    """round4_plan's "Who do I see right before Leila this afternoon?" had been read as who
    visits Leila ("you")."""
    turn = _assistant(settings, templates, THIRD, "w-omar").ask(
        "Who do I see right before Leila this afternoon?",
        now=datetime(2026, 12, 14, 11, 30, tzinfo=TZ),
    )
    assert turn.intent == "next_visit" and "Märta" in turn.answer, turn.answer


@given(
    client=st.sampled_from(sorted(c.ref for c in THIRD.clients)),
    days=st.integers(min_value=-1, max_value=2),
    hour=st.integers(min_value=6, max_value=23),
    part=st.sampled_from([None, "morning", "forenoon", "afternoon", "evening"]),
    worker=st.sampled_from(["", "w-omar", "w-sofia"]),
    lang=st.sampled_from(["sv", "en"]),
    at=st.none() | st.builds(ClockTime, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    nth=st.sampled_from([None, 1, 2, 3, -1]),
)
def test_property_only_that_clients_visits_and_their_own_workers_are_said(
    client: str,
    days: int,
    hour: int,
    part: str | None,
    worker: str,
    lang: str,
    at: ClockTime | None,
    nth: int | None,
) -> None:
    """Whoever asks, about whomever, whenever: every visit cited is that client's on that day
    (at the clock time asked, and only one when the nth is asked), every worker cited is a
    participant of a cited visit, and with none it is an honest miss."""
    now = OMARS_MORNING.replace(hour=hour) + timedelta(days=days)
    parts = {"morning": (5, 10), "forenoon": (0, 12), "afternoon": (12, 18), "evening": (18, 24)}
    ask = Ask(care=THIRD, now=now, tz=TZ, lang=lang, worker=worker, parts=parts)
    slots: dict[str, object] = {"client": (client,)}
    if part:
        slots["part_of_day"] = part
    if at is not None:
        slots["at"] = at
    if nth is not None:
        slots["nth"] = nth
    reply = visit_worker(ask, Recognition("visit_worker", lang, slots))
    cited = [v for v in THIRD.visits if v.ref in reply.sources]
    if at is not None:
        assert all(ask.starts_at(v, at) for v in cited)
    day = [
        v
        for v in THIRD.visits
        if v.client == client and v.start.astimezone(TZ).date() == now.date()
    ]
    if nth is not None and at is None and not part and len(day) >= abs(nth):
        assert len(cited) <= 1
    for visit in cited:
        assert visit.client == client
        assert visit.start.astimezone(TZ).date() == now.date()
    workers = {s for s in reply.sources if s.startswith("Practitioner/")}
    assert workers <= {p for v in cited for p in v.practitioners}
    if not cited:
        assert reply.outcome == "unknown"


# Standing at a client's door, a question without a name.
_READ = {
    "vad är koden": Recognition("access", "sv", {}),
    "vad ska jag göra här": Recognition("routine", "sv", {}),
    "vem är nästa": Recognition("next_visit", "sv", {}),
}


def _read(text: str) -> Recognition:
    return _READ.get(normalize(text), Recognition("unknown", "sv", {}))


def _named(text: str) -> list[str]:
    forms = {"gretas": "Patient/p-greta", "greta": "Patient/p-greta", "anna": "Patient/p-anna"}
    return sorted({forms[w] for w in normalize(text).split() if w in forms})


@pytest.mark.parametrize(
    "text",
    [
        "Jag står utanför Gretas port nu, vad är koden?",
        "står vid Gretas dörr, vad är koden",
        "I'm at Greta's front door now. Vad är koden?",
    ],
)
def test_a_nameless_question_beside_where_she_stands_is_about_that_client(text: str) -> None:
    found = clause_reading(text, _read, _named)
    assert found is not None and found[1].clients == ("Patient/p-greta",), found


@pytest.mark.parametrize(
    "text",
    [
        "Klar hos Greta nu, vad är koden?",  # where she was, not where she is
        "Greta ringde, vad är koden?",  # named, but not as where she stands
        "Jag står utanför hos Greta och Anna, vad är koden?",  # two: whose?
    ],
)
def test_a_client_not_placed_as_where_she_stands_is_not_given_to_the_question(text: str) -> None:
    found = clause_reading(text, _read, _named)
    assert found is None or not found[1].clients, found


@given(
    cue=st.sampled_from(["står utanför", "är hos", "har kommit in till", "I'm at", "står vid"]),
    name=st.sampled_from(["Greta", "Gretas", "Anna"]),
    filler=st.sampled_from(["", "nu", "okej"]),
    ask=st.sampled_from(sorted(_READ)),
)
def test_property_the_client_given_is_only_ever_the_one_she_stands_at(
    cue: str, name: str, filler: str, ask: str
) -> None:
    text = f"{filler} jag {cue} {name}, {ask}".strip()
    found = clause_reading(text, _read, _named)
    if found is not None and found[1].clients:
        assert set(found[1].clients) == standing_at(text, _named) == set(_named(name))


def test_the_whole_path_gates_the_code_of_the_client_she_stands_at(
    settings: Settings, templates: Templates
) -> None:
    assistant = _assistant(settings, templates, SECOND, "")
    turn = assistant.ask("står vid Ahmeds port nu, vad var koden nu igen", now=NOON)
    assert turn.gated and turn.sources == ("Patient/p-ahmed",), turn
    assert "Ahmed" in turn.answer


@pytest.mark.parametrize(
    ("question", "now", "said", "cited"),
    [
        (
            "Is my three o'clock with Maria still on?",
            datetime(2026, 11, 25, 14, 20, tzinfo=TZ),
            "cancelled",
            {"Appointment/p-maria-v1", "Appointment/p-maria-v2"},
        ),
        (
            "ska jag till maria i eftermiddag eller",
            datetime(2026, 11, 25, 13, 40, tzinfo=TZ),
            "klockan sju",
            {"Appointment/p-maria-v1", "Appointment/p-maria-v2"},
        ),
        (
            "is my two o'clock with Maria still on?",
            datetime(2026, 11, 25, 13, 40, tzinfo=TZ),
            "I don't find a visit",
            set(),
        ),
        (
            "Hur länge varar besöket hos Ahmed klockan nio?",
            datetime(2026, 11, 25, 8, 30, tzinfo=TZ),
            "1 timme",
            {"Appointment/p-ahmed-v1"},
        ),
    ],
)
def test_a_visit_asked_by_its_clock_time_is_that_visit(
    settings: Settings,
    templates: Templates,
    question: str,
    now: datetime,
    said: str,
    cited: set[str],
) -> None:
    turn = _assistant(settings, templates, SECOND, "").ask(question, now=now)
    assert said in turn.answer, turn.answer
    assert {s for s in turn.sources if s.startswith("Appointment/")} == cited


def test_a_clock_time_a_reading_drops_is_said_back_not_answered(
    settings: Settings, templates: Templates
) -> None:
    """ "när är jag hos Maria klockan tre" was read by the similar reader without the three and
    answered with her seven o'clock visit."""
    turn = _assistant(settings, templates, SECOND, "").ask(
        "när är jag hos Maria klockan tre", now=datetime(2026, 11, 25, 14, 20, tzinfo=TZ)
    )
    assert turn.outcome in ("clarify", "unknown") or "inställt" in turn.answer, turn.answer
    assert "Appointment/p-maria-v2" not in turn.sources or "inställt" in turn.answer


@given(
    text=st.text(
        alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzåäö ")), min_size=1, max_size=40
    ),
    tag=st.sampled_from(
        [
            " eller",
            " eller hur",
            " or something",
            " eller vad",
            " är det nåt känt",
            " is that something known",
        ]
    ),
)
def test_property_a_tag_at_the_end_changes_nothing(text: str, tag: str) -> None:
    plain = normalize(text)
    if plain and normalize(plain) == plain:  # no tag of its own
        assert normalize(f"{text}{tag}?") == normalize(plain)


# A question leaning on the client named just before it, in the same breath.
def _given(ref: str) -> str | None:
    return {"Patient/p-greta": "Greta", "Patient/p-anna": "Anna"}.get(ref)


@pytest.mark.parametrize(
    ("text", "leaning"),
    [
        ("Greta är trött idag, vad ska jag göra hos henne?", "vad ska jag göra hos greta"),
        ("Anna verkar glad. Vad är hennes adress?", "vad är annas adress"),
    ],
)
def test_a_question_referring_to_the_client_said_before_it_has_her_name(
    text: str, leaning: str
) -> None:
    assert said_before(text, _named, _given) == leaning


@pytest.mark.parametrize(
    "text",
    [
        "Gretas dotter ringde, vad är hennes nummer?",  # the daughter's, not Greta's
        "Vad gillar Greta? Vill ha nåt att prata om med henne.",  # the question came first
        "Greta har ont i ryggen, vad kan hon ta?",  # the pain changes what is asked
        "Greta och Anna är ute, var är hon?",  # which one?
        "Vad ska jag göra hos henne?",  # nobody said before
    ],
)
def test_nothing_but_the_one_client_said_before_is_put_in(text: str) -> None:
    assert said_before(text, _named, _given) is None


@given(
    aside=st.sampled_from(
        ["Greta är trött", "Gretas son ringde", "Greta ramlade", "Anna och Greta väntar", "okej"]
    ),
    ask=st.sampled_from(["vad ska jag göra hos henne", "var bor hon", "vad tycker hon om"]),
)
def test_property_the_name_put_in_is_only_ever_the_one_client_said_alone(
    aside: str, ask: str
) -> None:
    leaning = said_before(f"{aside}. {ask}?", _named, _given)
    if leaning is not None:
        assert _named(aside) == ["Patient/p-greta"] and "greta" in leaning


def test_a_colleagues_number_asked_for_is_said(settings: Settings, templates: Templates) -> None:
    turn = _assistant(settings, templates, SECOND, "").ask(
        "Jag måste nå Maria Ek, vilket nummer har hon?", now=NOON
    )
    assert "700 00 01" in turn.answer and turn.sources == ("Practitioner/w-maria",), turn.answer
    code = _assistant(settings, templates, SECOND, "").ask("vad är koden till Maria Ek", now=NOON)
    assert "700" not in code.answer and not code.gated  # a code asked: who she is, no more


def test_a_sentence_with_a_comma_is_read_whole_beside_a_statement(
    settings: Settings, templates: Templates
) -> None:
    turn = _assistant(settings, templates, SECOND, "").ask(
        "Just finished cleaning at Ahmed's. Where am I off to next, and when?",
        now=datetime(2026, 11, 25, 10, 0, tzinfo=TZ),
    )
    assert turn.intent == "next_visit" and "Karl" in turn.answer, turn.answer


# -- the nth visit of the day (round16: "what time is the second visit at ahmed's") -----------


@pytest.mark.parametrize(
    ("question", "said", "visit"),
    [
        ("what time is the second visit at ahmed's", "one o'clock", "Appointment/p-ahmed-v2"),
        ("när är det andra besöket hos Ahmed", "klockan ett", "Appointment/p-ahmed-v2"),
        ("hur dags är första besöket hos Ahmed", "", "Appointment/p-ahmed-v1"),
    ],
)
def test_the_nth_visit_is_that_one_in_the_days_order(
    settings: Settings, templates: Templates, question: str, said: str, visit: str
) -> None:
    turn = _assistant(settings, templates, SECOND, "").ask(question, now=NOON)
    assert turn.intent == "visit_time" and visit in turn.sources, turn.answer
    assert said in turn.answer
    assert not [s for s in turn.sources if s.startswith("Appointment/") and s != visit]


def test_more_than_the_days_visits_is_said_as_how_many(
    settings: Settings, templates: Templates
) -> None:
    turn = _assistant(settings, templates, SECOND, "").ask(
        "when is the third visit at Ahmed's", now=NOON
    )
    assert turn.outcome == "unknown" and "2 visits" in turn.answer, turn.answer


@given(
    client=st.sampled_from(sorted(c.ref for c in THIRD.clients)),
    nth=st.sampled_from([-1, 1, 2, 3, 4]),
    days=st.integers(min_value=0, max_value=1),
    worker=st.sampled_from(["", "w-omar"]),
)
def test_property_the_nth_visit_is_the_clients_nth_that_day_or_a_miss(
    client: str, nth: int, days: int, worker: str
) -> None:
    now = OMARS_MORNING + timedelta(days=days)
    ask = Ask(care=THIRD, now=now, tz=TZ, lang="sv", worker=worker)
    reply = nth_visit(ask, Recognition("visit_time", "sv", {"client": (client,), "nth": nth}))
    mine = [
        v
        for v in THIRD.visits
        if v.client == client
        and (not worker or f"Practitioner/{worker}" in v.practitioners)
        and v.start.astimezone(TZ).date() == now.date()
        and (v.booked or v.cancelled)
    ]
    mine.sort(key=lambda v: v.start)
    if reply.outcome == "unknown":
        assert len(mine) < nth or not mine
        return
    wanted = mine[nth - 1] if nth > 0 else mine[-1]
    assert [s for s in reply.sources if s.startswith("Appointment/")] == [wanted.ref]
