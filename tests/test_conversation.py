"""A conversation, not single questions (issue 38): follow-ups about the client in focus, in
Swedish and English, on the example bundle and on held-out conversations written from the care
data alone before the follow-ups were built (tests/data/eval/conversations.jsonl)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bench import heldout
from device.assistant import Assistant
from device.care.fhir_import import read_bundle
from device.care.model import CareData
from device.nlu.followup import ellipsis, refers, substitute
from device.nlu.recognizer import Templates
from device.nlu.similar_reader import SimilarReader
from device.settings import Settings, SimilarSettings
from tests.conftest import EXAMPLE, MORNING, TZ

DATA = Path(__file__).parent / "data"
SLOW_FIXTURES = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
ELEVEN = datetime(2026, 11, 24, 11, 0, tzinfo=TZ)


def test_substitute_replaces_who_and_where() -> None:
    assert substitute("Har hon några allergier?", "Greta", "Greta") == "har greta några allergier"
    assert substitute("Vem är hans son?", "Bertil", "Bertil") == "vem är bertils son"
    assert substitute("Vad är koden dit?", "Greta", "Greta") == "vad är koden till greta"
    assert substitute("What are her allergies?", "Greta", "Greta") == "what are gretas allergies"
    assert substitute("Call her", "Greta", "Greta") == "call greta"
    assert not refers("Vem är mitt nästa besök?") and refers("Vad gör jag där?")
    assert substitute("Vad heter katten?", "Kajsa", "Kajsa") == "vad heter kajsas katt"
    assert substitute("What's the bird called?", "Ahmed", "Ahmed") == "what is ahmeds bird called"


def test_ellipsis_keeps_the_part_said() -> None:
    assert ellipsis("Och i morgon då?") is not None
    assert ellipsis("Och i morgon då?").rest == "i morgon"  # type: ignore[union-attr]
    assert ellipsis("and tomorrow?").rest == "tomorrow"  # type: ignore[union-attr]
    assert ellipsis("Vad har jag i morgon?") is None
    assert ellipsis("I meant Siv").rest == "siv"  # type: ignore[union-attr]
    assert ellipsis("Greta menar jag").rest == "greta"  # type: ignore[union-attr]


def test_a_client_named_in_a_turn_not_answered_is_in_focus(talk: Assistant) -> None:
    # conversations2.jsonl: "jag är hos märta nu hon verkar trött …" was not answered, and
    # "har hon nån medicin?" next was asked "Vem menar du?".
    talk.ask("Vad ska jag göra hos Bertil?", now=ELEVEN)
    aside = talk.ask("Jag är hos Greta nu, det snöar ute.", now=ELEVEN)
    assert "Greta" not in aside.answer or aside.outcome != "answered"
    turn = talk.ask("Vilka mediciner tar hon?", now=ELEVEN)
    assert "Greta Nilsson" in turn.answer and "Bertil" not in turn.answer, turn.answer


def test_another_name_said_leaves_no_one_in_focus(talk: Assistant) -> None:
    # "and leila's visit this afternoon" not understood, then "does she have any allergies"
    # had been answered about Siv, named before Leila.
    talk.ask("Vad ska jag göra hos Bertil?", now=ELEVEN)
    talk.ask("Lars Karlsson säger att det snöar ute.", now=ELEVEN)  # his son, no client
    turn = talk.ask("Har han några allergier?", now=ELEVEN)
    assert turn.outcome == "ambiguous" and "Bertil" not in turn.answer, turn.answer


def test_only_a_name_the_worker_said_moves_the_focus(talk: Assistant) -> None:
    # Nobody in focus, "hon" is read with a stand-in client to be asked "Vem menar du?"; the
    # stand-in's name, never said, must not become the client in focus.
    talk.ask("Hur mår hon egentligen i sitt hjärta?", now=ELEVEN)
    turn = talk.ask("Vad är koden dit?", now=ELEVEN)
    assert not turn.gated and turn.outcome in ("ambiguous", "unknown"), turn.answer


def test_a_correction_asks_the_last_question_about_the_one_meant(talk: Assistant) -> None:
    talk.ask("Har Anna några allergier?", now=ELEVEN)
    turn = talk.ask("Jag menade Greta", now=ELEVEN)
    assert turn.intent == "flags" and "Greta Nilsson" in turn.answer, turn.answer
    english = talk.ask("I meant Bertil", now=ELEVEN)
    assert english.intent == "flags" and "Bertil Karlsson" in english.answer


def test_and_at_another_client_and_when_am_i_back(talk: Assistant) -> None:
    first = talk.ask("När ska jag till Anna?", now=ELEVEN)
    assert "tolv" in first.answer
    other = talk.ask("Och hos Greta?", now=ELEVEN)
    assert other.intent == "visit_time" and "Greta Nilsson" in other.answer, other.answer
    # Anna has visits at 08:00, 12:00 and 19:00 (example bundle); at 12:10 "back" is 19:00.
    during = datetime(2026, 11, 24, 12, 10, tzinfo=TZ)
    talk.ask("Vad ska jag göra hos Anna?", now=during)
    back = talk.ask("När ska jag dit igen?", now=during)
    assert back.intent == "visit_time" and "sju" in back.answer, back.answer
    late = datetime(2026, 11, 24, 19, 10, tzinfo=TZ)
    none = talk.ask("When am I at Anna's again?", now=late)
    assert "no later visit" in none.answer, none.answer


def test_her_after_the_nurse_is_the_nurse(talk: Assistant) -> None:
    # round16: "i need to call the nurse, what's her number" had been asked "who do you mean?".
    talk.ask("Vad ska jag göra hos Anna?", now=ELEVEN)
    turn = talk.ask("I need to call the nurse, what's her number?", now=ELEVEN)
    assert "Sara Holm" in turn.answer and "031-365 10 99" in turn.answer, turn.answer
    talk.ask("Vem är sjuksköterska idag?", now=ELEVEN)
    number = talk.ask("Vad har hon för nummer?", now=ELEVEN)
    assert number.intent == "contact" and "031-365 10 99" in number.answer, number.answer
    code = talk.ask("Vad är koden dit?", now=ELEVEN)  # a place: still Anna's, never the nurse's
    assert code.gated and "Anna Andersson" in code.answer, code.answer


def test_a_code_held_back_is_said_on_a_spoken_confirmation_with_the_button(
    talk: Assistant,
) -> None:
    gated = talk.ask("Vad är portkoden till Greta?", now=ELEVEN)
    assert gated.gated and "1990" not in gated.answer
    said = talk.ask("ja bekräftat", now=ELEVEN, confirmed=True)
    assert "1990" in said.answer, said.answer
    talk.ask("Vad är portkoden till Greta?", now=ELEVEN)
    unpressed = talk.ask("jag bekräftar, säg koden", now=ELEVEN, confirmed=False)
    assert "1990" not in unpressed.answer, unpressed.answer


@pytest.fixture(scope="module")
def example_care() -> CareData:
    return read_bundle(EXAMPLE, 10**7).care


@pytest.fixture
def talk(settings: Settings, templates: Templates, example_care: CareData) -> Assistant:
    assistant = Assistant(settings, templates, None)
    assistant.use_care(example_care)
    return assistant


def test_the_issues_first_conversation(talk: Assistant) -> None:
    first = talk.ask("Vem är mitt nästa besök?", now=ELEVEN)
    assert "Greta Nilsson" in first.answer
    code = talk.ask("Vad är portkoden?", now=ELEVEN, confirmed=True)
    assert code.answer.index("Greta Nilsson") < code.answer.index("1990")
    allergy = talk.ask("Har hon några allergier?", now=ELEVEN)
    assert "Greta Nilsson" in allergy.answer and allergy.intent == "flags"
    after = talk.ask("Vem har jag efter henne?", now=ELEVEN)
    assert after.intent == "next_visit" and "Efter Greta Nilsson kommer Anna" in after.answer


def test_and_tomorrow_is_the_last_question_on_another_day(talk: Assistant) -> None:
    talk.ask("Vad har jag på eftermiddagen?", now=ELEVEN)
    turn = talk.ask("Och i morgon då?", now=ELEVEN)
    assert turn.intent == "schedule"
    assert "morgon" in turn.answer.lower()


def test_a_relative_by_relation_then_that_relative(talk: Assistant) -> None:
    talk.ask("Vad ska jag göra hos Bertil?", now=ELEVEN)
    son = talk.ask("Vem är hans son?", now=ELEVEN)
    assert "Lars Karlsson" in son.answer
    number = talk.ask("Och hans nummer?", now=ELEVEN)
    assert "073-555 12 12" in number.answer


def test_the_focus_moves_to_the_client_named_last(talk: Assistant) -> None:
    talk.ask("Har Greta några allergier?", now=ELEVEN)
    talk.ask("Vad ska jag göra hos Anna?", now=ELEVEN)
    code = talk.ask("Vad är koden dit?", now=ELEVEN, confirmed=True)
    assert "4512" in code.answer and "1990" not in code.answer
    other = talk.ask("och Bertil?", now=ELEVEN, confirmed=True)
    assert "Bertil Karlsson" in other.answer and "4512" not in other.answer


def test_english_follow_up(talk: Assistant) -> None:
    three = ELEVEN.replace(hour=15)
    talk.ask("Who is my next client?", now=three)
    turn = talk.ask("Does she have any allergies?", now=three)
    assert turn.intent == "flags" and turn.language == "en"


def test_without_a_client_in_focus_who_is_asked_and_the_name_completes_it(
    talk: Assistant,
) -> None:
    turn = talk.ask("Har hon några allergier?", now=ELEVEN)
    assert turn.outcome == "ambiguous" and "Vem menar du" in turn.answer
    assert "Nilsson" not in turn.answer and "Andersson" not in turn.answer
    named = talk.ask("Greta", now=ELEVEN)
    assert named.intent == "flags" and "Greta Nilsson" in named.answer


def test_new_question_and_stop_drop_the_focus(talk: Assistant) -> None:
    talk.ask("Vad ska jag göra hos Anna?", now=ELEVEN)
    assert "ny fråga" not in talk.ask("Ny fråga", now=ELEVEN).answer.lower()
    turn = talk.ask("Vad är koden dit?", now=ELEVEN, confirmed=True)
    assert turn.outcome == "ambiguous" and "4512" not in turn.answer
    talk.ask("Vad ska jag göra hos Anna?", now=ELEVEN)
    talk.ask("stopp", now=ELEVEN)
    assert talk.ask("Har hon några allergier?", now=ELEVEN).outcome == "ambiguous"


def test_a_follow_up_after_the_time_limit_is_said_back(talk: Assistant) -> None:
    talk.ask("Vad ska jag göra hos Anna?", now=ELEVEN)
    later = ELEVEN + timedelta(minutes=20)
    turn = talk.ask("Vad är koden dit?", now=later, confirmed=True)
    assert turn.outcome == "clarify" and "Anna Andersson" in turn.answer
    assert "4512" not in turn.answer
    yes = talk.ask("ja", now=later, confirmed=True)
    assert "4512" in yes.answer


# -- the property: random conversations ------------------------------------------------------

_OPENERS = [
    "Vad ska jag göra hos {}?",
    "Har {} några allergier?",
    "Var bor {}?",
    "Vilka mediciner tar {}?",
    "Jag är hos {} nu, det snöar ute.",  # answered or not, the client named is in focus
]
_FOLLOW_UPS = [
    "Har hon några allergier?",
    "Vad är koden dit?",
    "Vad ska jag göra där?",
    "Var bor hon?",
    "Vilka mediciner tar han?",
    "Och i morgon då?",
    "Vem är hennes dotter?",
    "Ny fråga",
    "stopp",
]


@hsettings(
    max_examples=60,
    deadline=None,
    suppress_health_check=SLOW_FIXTURES,
)
@given(
    turns=st.lists(
        st.one_of(
            st.tuples(st.just("open"), st.sampled_from(_OPENERS), st.sampled_from(range(4))),
            st.tuples(st.just("follow"), st.sampled_from(_FOLLOW_UPS), st.just(0)),
        ),
        min_size=1,
        max_size=6,
    ),
    confirmed=st.booleans(),
)
def test_property_a_follow_up_names_the_client_in_focus_and_no_one_unreached(
    settings: Settings,
    templates: Templates,
    example_care: CareData,
    turns: list[tuple[str, str, int]],
    confirmed: bool,
) -> None:
    talk = Assistant(settings, templates, None)
    talk.use_care(example_care)
    clients = example_care.clients
    reached: set[str] = set()
    focus: str | None = None
    for kind, text, pick in turns:
        if kind == "open":
            client = clients[pick]
            turn = talk.ask(text.format(client.given), now=ELEVEN, confirmed=confirmed)
            reached.add(client.full_name)
            focus = client.full_name
            continue
        turn = talk.ask(text, now=ELEVEN, confirmed=confirmed)
        named = {c.full_name for c in clients if c.full_name in turn.answer}
        assert named <= reached, (text, turn.answer)
        if text in ("Ny fråga", "stopp"):
            focus = None
        elif turn.outcome not in ("unknown", "ambiguous") and named:
            assert focus in named, (text, turn.answer, focus)
        if turn.outcome == "ambiguous":
            focus = None  # "Vem menar du?": the next name would complete it


# -- held out ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimilarReader]:
    cache = tmp_path_factory.mktemp("similar") / "vectors.npz"
    yield SimilarReader(SimilarSettings(), wait=True, cache=cache)


def test_held_out_conversations_never_answer_for_the_wrong_person(
    settings: Settings, templates: Templates, reader: SimilarReader
) -> None:
    counts = heldout.conversations(settings, templates, reader)
    print(f"conversations: right {counts['right']}, miss {counts['miss']}, wrong {counts['wrong']}")
    assert counts["wrong"] == 0, [k for k in counts if k.startswith("wrong:")]
    assert counts["right"] >= 40  # of 59 turns: measured 43 when built


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        # Written by a helper from the care data alone (2026-12-07, afternoon); on the landed
        # code 40 right / 16 honest miss / 5 wrong (4 of them a held-back door code, which the
        # scorer then did not count as asking first); 53 when worked from, of 61 turns.
        ("conversations2.jsonl", 50),
        # The same, 2026-12-07, evening: 42 / 25 / 1 ("hans fru … vad behöver hon hjälp med?"
        # answered with the client's routine); 58 when worked from, of 68 turns.
        ("conversations3.jsonl", 50),
        # The same, 2026-12-07, night: 44 / 20 / 0 on the landed code; 59 when worked from, of 64.
        ("conversations4.jsonl", 52),
        # The same, 2026-12-07, late night: 53 / 13 / 1 on the landed code ("och karins
        # mediciner då" after Maria's sister Karin: the client Karin's); 57 worked from, of 67.
        ("conversations5.jsonl", 53),
    ],
)
def test_later_held_out_conversations_never_answer_for_the_wrong_person(
    settings: Settings, templates: Templates, reader: SimilarReader, name: str, floor: int
) -> None:
    counts = heldout.conversations(settings, templates, reader, name)
    assert counts["wrong"] == 0, [k for k in counts if k.startswith("wrong:")]
    assert counts["right"] >= floor


def test_a_pronoun_after_a_relative_is_the_relatives(talk: Assistant) -> None:
    # conversations3.jsonl: "sen grannen hans fru persson vad behöver hon hjälp med" had been
    # answered with Ahmed's routine; "hon" is his wife.
    talk.ask("Vad ska jag göra hos Bertil?", now=ELEVEN)
    for question in (
        "Hans fru, vad behöver hon hjälp med?",
        "Grannen, vad ska jag göra hos henne?",
        "His daughter called, what does she need help with?",
    ):
        turn = talk.ask(question, now=ELEVEN)
        assert "Bertil" not in turn.answer and turn.outcome == "unknown", (question, turn.answer)
        talk.ask("Vad ska jag göra hos Bertil?", now=ELEVEN)
    number = talk.ask("Vad har hans son för nummer?", now=ELEVEN)
    assert "073-555 12 12" in number.answer, number.answer  # a relative's own number stays


def test_her_daughter_after_her_sister_is_the_clients_daughter(talk: Assistant) -> None:
    # "hennes dotter då" after Maria's sister had been answered with the sister's number.
    talk.ask("Vad heter Gretas systerdotter?", now=ELEVEN)
    turn = talk.ask("Hennes dotter då?", now=ELEVEN)
    assert turn.intent == "relative_phone" and turn.slots.get("relation") == "dotter"
    assert "Greta Nilsson" in turn.answer or "Gretas" in turn.answer, turn.answer


def test_where_she_is_on_her_way_to_names_the_client(talk: Assistant) -> None:
    for question in (  # at 11 the next visit is Greta's: "där" is Bertil's all the same
        "Jag är på väg till Bertil nu, vad ska jag göra där?",
        "Jag står hos Bertil nu, vad ska jag göra där?",
        "jag är snart hos bertil vad ska göras",
        "jag ska till bertil nu nåt särskilt att tänka på",
    ):
        turn = talk.ask(question, now=ELEVEN)
        assert turn.outcome in ("answered", "must_verify"), (question, turn)
        assert "Bertil Karlsson" in turn.answer, (question, turn.answer)
    alone = talk.ask("Vad ska jag göra?", now=ELEVEN)  # the focus is Bertil now
    assert "Bertil Karlsson" in alone.answer, alone.answer
    talk.ask("stopp", now=ELEVEN)
    assert talk.ask("Vad ska jag göra?", now=ELEVEN).outcome == "ambiguous"


def test_and_at_lunch_is_the_last_question_for_that_visit(talk: Assistant) -> None:
    talk.ask("Vad ska jag göra hos Anna?", now=ELEVEN)
    lunch = talk.ask("Och till lunch?", now=ELEVEN)
    assert lunch.slots.get("visit_kind") == "Lunch" and "mikro" in lunch.answer, lunch.answer
    evening = talk.ask("Och på kvällen?", now=ELEVEN)  # no longer the lunch visit's
    assert "visit_kind" not in evening.slots and "mikro" not in evening.answer, evening.answer


def test_the_pet_of_the_client_in_focus(talk: Assistant) -> None:
    talk.ask("Vad ska jag göra hos Bertil?", now=ELEVEN)
    for question in (
        "Hunden då?",
        "Hur ska jag göra med hunden?",
        "Is there anything about the dog?",
    ):
        turn = talk.ask(question, now=ELEVEN)
        assert "Hund" in turn.answer and "Bertil" in turn.answer, (question, turn.answer)
    talk.ask("stopp", now=ELEVEN)
    nobody = talk.ask("Vad heter katten?", now=ELEVEN)
    assert nobody.outcome in ("ambiguous", "unknown") and "Bertil" not in nobody.answer


def test_a_correction_with_its_question(talk: Assistant) -> None:
    # conversations3.jsonl: "no sorry i meant greta what is she on", "nej jag menade maria
    # svensson när ska jag dit".
    talk.ask("Vilka mediciner tar Anna?", now=ELEVEN)
    turn = talk.ask("No sorry, I meant Greta, what is she on?", now=ELEVEN)
    assert "Metformin" in turn.answer and "Waran" not in turn.answer, turn.answer
    talk.ask("Vad ska jag göra hos Anna?", now=ELEVEN)
    turn = talk.ask("Nej jag menade Bertil, när ska jag dit?", now=ELEVEN)
    assert turn.intent == "visit_time" and "Bertil Karlsson" in turn.answer, turn.answer


def test_at_his_place_after_his_son_is_the_clients(talk: Assistant) -> None:
    talk.ask("Vad har Bertils son för nummer?", now=ELEVEN)
    turn = talk.ask("När är jag klar hos honom?", now=ELEVEN)  # his or his son's? said back
    assert turn.outcome == "clarify" and "Bertil Karlsson" in turn.answer, turn.answer
    talk.ask("Vad ska jag göra hos Bertil?", now=ELEVEN)
    son = talk.ask("Och hans son, vilket nummer har han?", now=ELEVEN)
    assert "Bertil Karlsson" not in son.answer or "073-555 12 12" in son.answer, son.answer


def test_speech_hears_a_follow_up_as_itself(talk: Assistant) -> None:
    """The speech decision asks the assistant what a free transcript means: a follow-up means
    the question about the client in focus, so no grammar sentence about another client is
    forced onto it."""
    talk.ask("Vad ska jag göra hos Bertil?", now=datetime.now(TZ))
    meaning = talk.meaning("har han några allergier", "sv")
    assert meaning is not None and "p-bertil" in repr(meaning)
    assert talk.understands("vad är koden dit")


def test_a_client_with_nothing_found_is_still_in_focus(assistant: Assistant) -> None:
    # Found by CI's property test: "Har Greta några allergier?" finds none in her records (an
    # honest "unknown"), and "vad är koden dit?" next had been Anna's, asked about before.
    assistant.ask("Vad ska jag göra hos Anna?", now=MORNING)
    negative = assistant.ask("Har Greta några allergier?", now=MORNING)
    assert negative.outcome == "unknown" and negative.sources, negative.answer
    turn = assistant.ask("Vad är koden dit?", now=MORNING)
    assert "Greta" in turn.answer and "Anna" not in turn.answer, turn.answer
