"""A name means one person (issue 36): a relative's, a worker's or a stranger's name never gets a
client's door code, address, medication or routine, on any path. The pure resolution with plain
values, a property over generated names and readings, then the assistant with the similar reader
(the path that took a client from a surname alone) on the example bundle and on held-out
questions written from the care data alone (tests/data/eval/people.jsonl)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bench import heldout
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle, read_bundle
from device.care.model import CareData, Client, Practitioner, Relative
from device.nlu.people import CLIENT_FACTS, EVERYDAY, Directory, vet
from device.nlu.recognizer import Templates
from device.nlu.similar_reader import SimilarReader
from device.settings import Settings, SimilarSettings
from tests.conftest import EXAMPLE, MORNING, TZ

DATA = Path(__file__).parent / "data"
SLOW_FIXTURES = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
EVAL = DATA / "eval" / "people.jsonl"


@pytest.fixture(scope="module")
def example_care() -> CareData:
    return read_bundle(EXAMPLE, 10**7).care


@pytest.fixture(scope="module")
def directory(example_care: CareData) -> Directory:
    return Directory.of(example_care)


@pytest.mark.parametrize(
    ("question", "said", "refs"),
    [
        ("Vad är portkoden till Karin Nilsson?", "karin nilsson", ()),
        ("Var bor Lars Nilsson?", "lars nilsson", ()),
        ("Vad är portkoden till Olle Karlsson?", "olle karlsson", ()),
        ("Vad har Greta Svensson för allergier?", "greta svensson", ()),
        (
            "Vad är portkoden till Karin Andersson?",
            "karin andersson",
            ("RelatedPerson/p-anna-rel1",),
        ),
        ("Var bor Lars Karlsson?", "lars karlsson", ("RelatedPerson/p-bertil-rel1",)),
        ("Vad är portkoden till Sara Holm?", "sara holm", ("Practitioner/w-nurse",)),
        ("Vad ska jag göra hos Greta Nilsson?", "greta nilsson", ("Patient/p-greta",)),
        ("Vad har Gretas dotter för nummer?", "gretas", ("Patient/p-greta",)),
        ("Vad ska jag göra hos Bertil idag?", "bertil", ("Patient/p-bertil",)),
        ("Har Greta några allergier?", "greta", ("Patient/p-greta",)),
        # A sentence's first word is capitalised, not a surname.
        ("I'm about to go in to Yusuf. Remind me what to do?", "yusuf", ("Patient/p-yusuf",)),
    ],
)
def test_who_a_question_names(
    directory: Directory, question: str, said: str, refs: tuple[str, ...]
) -> None:
    mentions = directory.mentions(question)
    assert [(m.said, m.refs) for m in mentions] == [(said, refs)]


def test_a_surname_alone_is_everyone_with_it(directory: Directory) -> None:
    [mention] = directory.mentions("Vad är portkoden till Nilsson?")
    assert mention.part == "family"
    assert set(mention.refs) == {"Patient/p-greta", "RelatedPerson/p-greta-rel1"}
    verdict = vet("access", ("Patient/p-greta",), [mention], directory)
    assert verdict.verdict == "say_back"  # a code for a surname alone: "Menar du Greta Nilsson?"


# -- the property: any reading, from any path, of a question naming a non-client -------------

# Names are not everyday words ("Hon", "Man"): those are read as words, not names.
_NAMES = st.text("abcdefghijklmnoprstuvyåäö", min_size=3, max_size=9).filter(
    lambda n: n not in EVERYDAY
)


@st.composite
def _care_and_stranger(draw: st.DrawFn) -> tuple[CareData, str, str]:
    """Generated care data (clients, relatives, workers) and a name that is not a client's full
    name, first name or nickname, of one of the four kinds the issue names."""
    givens = draw(st.lists(_NAMES, min_size=6, max_size=6, unique=True))
    families = draw(st.lists(_NAMES, min_size=3, max_size=3, unique=True))
    clients = tuple(
        Client(f"Patient/c{i}", givens[i], families[i], address=f"Gatan {i}", access_code=f"{i}999")
        for i in range(2)
    )
    relative = Relative("RelatedPerson/r0", "Patient/c0", givens[2], families[0], "dotter", "070")
    worker = Practitioner("Practitioner/w0", givens[3], families[2], "031")
    care = CareData(
        "generated", None, clients=clients, relatives=(relative,), practitioners=(worker,)
    )
    unseen = givens[4]
    other_surname = draw(_NAMES.filter(lambda n: n not in families))
    name = draw(
        st.sampled_from(
            [
                f"{givens[2]} {families[0]}",  # the relative, by full name
                f"{givens[3]} {families[2]}",  # the worker, by full name
                f"{unseen} {families[1]}",  # an unseen first name, a client's surname
                f"{givens[0]} {other_surname}",  # a client's first name, another surname
                f"{givens[0]} {families[1]}",  # one client's first name, the other's surname
            ]
        )
    )
    return (
        care,
        name,
        draw(
            st.sampled_from(
                [
                    "Vad är portkoden till {}?",
                    "Var bor {}?",
                    "Vad ska jag göra hos {}?",
                    "Har {} allergier?",
                    "What is the door code for {}?",
                ]
            )
        ),
    )


@hsettings(
    max_examples=300,
    deadline=None,
    suppress_health_check=SLOW_FIXTURES,
)
@given(
    case=_care_and_stranger(), intent=st.sampled_from(sorted(CLIENT_FACTS)), pick=st.integers(0, 2)
)
def test_property_no_reading_of_a_non_client_is_answered_for_a_client(
    case: tuple[CareData, str, str], intent: str, pick: int
) -> None:
    care, name, question = case
    directory = Directory.of(care)
    clients = [(), ("Patient/c0",), ("Patient/c1",)][pick]  # what any path may have read
    said = question.format(name.title())  # typed: a name is written with capitals
    vetting = vet(intent, clients, directory.mentions(said), directory)
    # Said back at most (a near miss of a client's full name), never answered at once.
    assert vetting.verdict in ("person", "nobody", "say_back"), (name, vetting)


# -- the assistant, every path on: templates, fuzzy names, similar reader, records ----------


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimilarReader]:
    cache = tmp_path_factory.mktemp("similar") / "vectors.npz"
    yield SimilarReader(SimilarSettings(), wait=True, cache=cache)


def _assistant(
    settings: Settings,
    templates: Templates,
    reader: SimilarReader,
    care: CareData,
    worker: str = "",
) -> Assistant:
    mine = settings.model_copy(update={"worker": worker})
    assistant = Assistant(mine, templates, None, similar=reader)
    assistant.use_care(care)
    return assistant


def _client_facts(care: CareData) -> list[str]:
    """Every text of a client's that a wrong-person answer could leak."""
    facts: list[str] = []
    for client in care.clients:
        facts += [t for t in (client.access_code, client.address) if t]
    facts += [m.name for m in care.medications]
    facts += [a.description for p in care.careplans for a in p.activities]
    return facts


@pytest.mark.parametrize(
    ("question", "hears", "never"),
    [
        ("Vad är portkoden till Karin Nilsson?", "ingen som heter Karin Nilsson", "1990"),
        ("Var bor Lars Nilsson?", "ingen som heter Lars Nilsson", "Karl Johansgatan"),
        ("Vad är portkoden till Olle Karlsson?", "ingen som heter Olle Karlsson", "Digitalt"),
        ("Var bor Lars Karlsson?", "Lars Karlsson", "Allmänna vägen"),
        ("Vad är portkoden till Sara Holm?", "Sara Holm", "Portkod"),
        # Who she is, not her phone: a client's fact was asked, not a number (data minimised).
        ("Vad är portkoden till Karin Andersson?", "Annas dotter Karin Andersson.", "070-123"),
        ("Har Eva Nilsson några allergier?", "Gretas systerdotter Eva Nilsson.", "076-222"),
        ("What is the door code for Eva Nilsson?", "Eva Nilsson", "1990"),
    ],
)
def test_the_issues_cases_are_answered_honestly(
    settings: Settings,
    templates: Templates,
    reader: SimilarReader,
    example_care: CareData,
    question: str,
    hears: str,
    never: str,
) -> None:
    assistant = _assistant(settings, templates, reader, example_care)
    turn = assistant.ask(question, now=MORNING, confirmed=True)
    assert hears in turn.answer and never not in turn.answer, turn.answer
    assert not any(fact in turn.answer for fact in _client_facts(example_care))
    assert turn.outcome == "unknown", turn.outcome  # an honest miss, not an answer


def test_a_client_named_in_full_still_gets_her_code(
    settings: Settings, templates: Templates, reader: SimilarReader, example_care: CareData
) -> None:
    assistant = _assistant(settings, templates, reader, example_care)
    for question in ("Vad är portkoden till Greta Nilsson?", "Vad är portkoden till Greta?"):
        turn = assistant.ask(question, now=MORNING, confirmed=True)
        assert "1990" in turn.answer and "Greta Nilsson" in turn.answer


def test_a_misheard_name_is_said_back_before_a_code(
    settings: Settings, templates: Templates, example_care: CareData
) -> None:
    assistant = Assistant(settings, templates, None)
    assistant.use_care(example_care)
    turn = assistant.ask("Vad är portkoden till Greeta?", now=MORNING, confirmed=True)
    assert "Greta Nilsson" in turn.answer and "1990" not in turn.answer
    assert turn.outcome == "clarify"
    yes = assistant.ask("ja", now=MORNING)  # the reading, then the usual confirmation
    assert "1990" not in yes.answer and yes.gated
    code = assistant.ask("ja", now=MORNING, confirmed=True)
    assert "1990" in code.answer


@hsettings(
    max_examples=40,
    deadline=None,
    suppress_health_check=SLOW_FIXTURES,
)
@given(
    name=st.sampled_from(
        [
            "Karin Andersson",
            "Lars Karlsson",
            "Eva Nilsson",
            "Hodan Hassan",
            "Sara Holm",
            "Peter Lund",
            "Lina Berg",
        ]
    )
    | st.builds(
        lambda first, family: f"{first} {family}",
        st.sampled_from(["Olle", "Ingrid", "Kalle", "Maja", "Sven"]),
        st.sampled_from(["Andersson", "Karlsson", "Nilsson", "Hassan"]),
    )
    | st.builds(
        lambda first, family: f"{first} {family}",
        st.sampled_from(["Anna", "Bertil", "Greta", "Yusuf"]),
        st.sampled_from(["Svensson", "Lindqvist", "Andersson", "Nilsson", "Berg"]),
    ).filter(lambda n: n not in {"Anna Andersson", "Greta Nilsson"}),
    question=st.sampled_from(
        [
            "Vad är portkoden till {}?",
            "Var bor {}?",
            "Vilka mediciner tar {}?",
            "Vad ska jag göra hos {}?",
            "Hur kommer jag in till {}?",
            "Where does {} live?",
            "What medication does {} take?",
        ]
    ),
)
def test_property_no_path_answers_a_non_client_with_a_clients_facts(
    settings: Settings,
    templates: Templates,
    reader: SimilarReader,
    example_care: CareData,
    name: str,
    question: str,
) -> None:
    assistant = _assistant(settings, templates, reader, example_care)
    for confirmed in (False, True):
        answer = assistant.ask(question.format(name), now=MORNING, confirmed=confirmed).answer
        leaked = [fact for fact in _client_facts(example_care) if fact in answer]
        assert not leaked, (question.format(name), answer)


# -- held out: questions written from the care data alone -------------------------------------


def test_held_out_people_questions_never_get_another_persons_facts(
    settings: Settings, templates: Templates, reader: SimilarReader
) -> None:
    counts = heldout.people(settings, templates, reader)
    print(f"people.jsonl: right {counts['right']}, miss {counts['miss']}, wrong {counts['wrong']}")
    assert counts["wrong"] == 0, [k for k in counts if k.startswith("wrong:")]
    assert counts["right"] >= 40  # of 47: measured 47 when written


@pytest.mark.parametrize(
    ("question", "intent", "verdict"),
    [
        # Hodan (Yusuf's daughter) is the one coming: the visit's time would answer another
        # question (round12: "Vilken tid kommer Omar till Ahmed idag?" got Ahmed's visit).
        ("Vilken tid kommer Hodan till Yusuf idag?", "visit_time", "say_back"),
        ("How long is Hodan staying with Yusuf?", "visit_length", "say_back"),
        ("När är besöket hos Yusuf?", "visit_time", "ok"),
        ("Vad har Yusufs dotter Hodan för nummer?", "relative_phone", "ok"),
        # A colleague's visit is hers to look up by time (tests/test_colleague.py); its length
        # or routine is still said back.
        ("När kommer Lina till Yusuf?", "visit_time", "colleague"),
        ("How long is Lina staying with Yusuf?", "visit_length", "say_back"),
    ],
)
def test_someone_else_named_in_a_question_of_my_visit_is_said_back(
    directory: Directory, question: str, intent: str, verdict: str
) -> None:
    mentions = directory.mentions(question)
    assert vet(intent, ("Patient/p-yusuf",), mentions, directory).verdict == verdict


def test_a_colleagues_visit_is_read_by_who_makes_it(
    settings: Settings, templates: Templates, reader: SimilarReader
) -> None:
    second = parse_bundle((EXAMPLE.parent / "second-bundle.json").read_bytes()).care
    assistant = _assistant(settings, templates, reader, second)
    morning = datetime(2026, 11, 25, 10, 30, tzinfo=TZ)
    for question in ("hur dags ska jonas till ahmed", "När kommer Jonas till Ahmed?"):
        turn = assistant.ask(question, now=morning)
        assert "Jonas Berg" in turn.answer and "klockan ett" in turn.answer, turn.answer
        assert "Appointment/p-ahmed-v2" in turn.sources and "Practitioner/w-jonas" in turn.sources
        assert "Appointment/p-ahmed-v1" not in turn.sources
    none = assistant.ask("när kommer jonas till karl", now=morning)
    assert none.outcome == "unknown" and "Jonas Berg" in none.answer
    assert not any(s.startswith("Appointment/") for s in none.sources)
