"""The records' own sentences found for a question (device/answers/records.py), on plain values:
a working life written without the word "arbetade", a routine found by its visit's name, and the
words that must not be taken for one another."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from device.answers.records import OCCUPATIONS, search
from device.care.model import Activity, CareData, CarePlan, Client

ELSA = Client(ref="Patient/e", given="Elsa", family="Berg")


def _care(notes: tuple[str, ...], activities: tuple[Activity, ...] = ()) -> CareData:
    plan = CarePlan(ref="CarePlan/e", client=ELSA.ref, activities=activities, notes=notes)
    return CareData(bundle_id="b", exported=None, clients=(ELSA,), careplans=(plan,))


def _found(care: CareData, question: str, lang: str = "sv") -> list[str]:
    return [hit.text for hit in search(care, ELSA, question, {"elsa"}, lang)]


def test_a_condition_said_in_everyday_words_is_found() -> None:
    # round16: "är gittan sockersjuk", "är det nån antibiotika han inte tål", "olle seems really
    # confused tonight, is that something known" (the tag dropped by normalize).
    care = _care(("Diabetes typ 2.", "Allergi mot penicillin.", "Förvirrad på kvällen."))
    assert _found(care, "Är Elsa sockersjuk?") == ["Diabetes typ 2."]
    assert _found(care, "Är det nån antibiotika Elsa inte tål?") == ["Allergi mot penicillin."]
    asked = "Elsa seems really confused tonight, is that something known?"
    assert _found(care, asked, "en") == ["Förvirrad på kvällen."]


def test_a_working_life_is_found_by_its_occupation() -> None:
    care = _care(("Äter gärna fisk.", "Före detta spårvagnsförare.", "Spelar schack."))
    assert _found(care, "Vad jobbade Elsa med förut?") == ["Före detta spårvagnsförare."]
    assert _found(care, "Vilket yrke hade Elsa?") == ["Före detta spårvagnsförare."]
    assert _found(care, "What did Elsa work with?", "en") == ["Före detta spårvagnsförare."]


def test_a_working_life_asked_as_before_she_retired_or_back_in_the_day() -> None:
    # round16 and round17: "vad höll karin på med innan hon blev pensionär", "what did karl do
    # for work back in the day".
    care = _care(("Äter gärna fisk.", "Arbetade som lärare i fyrtio år.", "Spelar schack."))
    said = ["Arbetade som lärare i fyrtio år."]
    assert _found(care, "Vad höll Elsa på med innan hon blev pensionär?") == said
    assert _found(care, "What did Elsa do before she retired?", "en") == said
    assert _found(care, "What did Elsa do for work back in the day?", "en") == said
    assert _found(care, "Vad höll Elsa på med?") == []  # not asked of her work


def test_an_occupation_is_matched_as_written_not_by_its_stem() -> None:
    # Snowball stems "fiskare" to "fisk" and "musiker" to "musik": neither may find the fish she
    # eats or the music she likes.
    care = _care(("Äter gärna fisk.", "Lyssnar på musik på kvällen.", "Apoteket levererar."))
    assert _found(care, "Vad jobbade Elsa med?") == []


def test_a_routine_is_found_by_the_name_of_its_visit() -> None:
    care = _care(
        (),
        (
            Activity("Morgon", "Hjälp med dusch."),
            Activity("Lunch", "Värm soppa, hon äter helst buljong."),
        ),
    )
    assert _found(care, "Vad ska Elsa äta till lunch?") == ["Värm soppa, hon äter helst buljong."]
    assert _found(care, "Vad äter Elsa?") == ["Värm soppa, hon äter helst buljong."]


def test_an_amount_is_answered_only_by_a_sentence_that_says_one() -> None:
    """ "Hur mycket ska Elsa ha i sprutan?" ("sprutan" is the insulin pen): the dose, never the
    routine that only says insulin is given (records_dev's one wrong answer, 2026-12-06)."""
    care = _care(
        (),
        (
            Activity("Morgon", "Hjälp med insulin enligt ordination. Frukost: fil med müsli."),
            Activity("Kväll", "Insulin 8 enheter före maten."),
        ),
    )
    asked = "Hur mycket insulin ska Elsa ha på kvällen?"
    assert _found(care, asked) == ["Insulin 8 enheter före maten."]
    assert _found(care, "Hur mycket ska Elsa ha i sprutan på kvällen?") == [
        "Insulin 8 enheter före maten."
    ]
    assert _found(care, "Hur mycket ska Elsa ha i sprutan på morgonen?") == []


@given(st.lists(st.sampled_from(["Ge", "insulin", "före", "maten", "dusch", "te"]), max_size=6))
def test_property_how_much_is_never_answered_without_a_number(words: list[str]) -> None:
    care = _care((), (Activity("Kväll", " ".join(words) + "."),))
    assert _found(care, "Hur mycket insulin ska Elsa ha?") == []


def test_speaking_is_one_word_whichever_verb() -> None:
    care = _care(("Talar finska och lite svenska.", "Tycker om att prata om fotboll."))
    assert _found(care, "Vilket språk pratar Elsa?") == ["Talar finska och lite svenska."]
    assert _found(care, "Vilket språk talar Elsa?") == ["Talar finska och lite svenska."]


def test_a_topic_of_talk_is_said_with_the_verb_and_om() -> None:
    # "Tala tydligt" is how to speak to her, not what she likes to talk about.
    care = _care(("Hör dåligt, tala tydligt.", "Pratar gärna om sina barnbarn."))
    assert _found(care, "Vad gillar Elsa att prata om?") == ["Pratar gärna om sina barnbarn."]
    assert _found(care, "What does Elsa like to talk about?", "en") == [
        "Pratar gärna om sina barnbarn."
    ]
    assert _found(_care(("Hör dåligt, tala tydligt.",)), "Vad tycker Elsa om att prata om?") == []
    fotboll = _care(("Talar finska.", "Håller på Häcken och pratar gärna fotboll."))
    assert _found(fotboll, "Vad pratar Elsa om?") == ["Håller på Häcken och pratar gärna fotboll."]


@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö .", max_size=40), max_size=5))
def test_no_talk_about_no_topic(notes: list[str]) -> None:
    found = _found(_care(tuple(notes)), "Vad pratar Elsa om?")
    for text in found:
        assert " om" in text.casefold() or " gärna" in text.casefold(), text


@given(
    st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö .", min_size=1, max_size=40), max_size=5
    )
)
def test_no_occupation_no_answer_about_work(notes: list[str]) -> None:
    # Whatever else the notes say, a question about work is answered only from a sentence with
    # a word of work or an occupation in it.
    found = _found(_care(tuple(notes)), "Vad jobbade Elsa med?")
    for text in found:
        words = text.casefold().split()
        assert any(w.endswith(tuple(OCCUPATIONS)) for w in words) or any(
            "jobb" in w or "arbet" in w or "yrk" in w for w in words
        ), text


def test_fire_where_there_is_oxygen_is_found_by_smoking_or_a_candle() -> None:
    care = _care(("Syrgas i hemmet, ingen öppen eld.", "Gillar ljusa kläder.", "Tänd lampan."))
    fire = ["Syrgas i hemmet, ingen öppen eld."]
    assert _found(care, "Får jag röka hos Elsa?") == fire
    assert _found(care, "Kan man tända ljus hos Elsa?") == fire
    assert _found(care, "Can I light a candle at Elsa's?", "en") == fire
    assert _found(care, "Does Elsa have oxygen?", "en") == fire


def test_memory_is_found_in_what_the_records_say_of_dementia() -> None:
    """ "hur är Elsa med minnet?" finds "Demens, kan bli förvirrad" (a nurse should review
    these words: records.SYNONYMS)."""
    care = _care(("Demens, kan bli förvirrad på kvällen.", "Vill bli kallad Elsa."))
    dementia = ["Demens, kan bli förvirrad på kvällen."]
    assert _found(care, "hur är Elsa med minnet") == dementia
    assert _found(care, "How is Elsa with her memory?", "en") == dementia
    assert _found(care, "Is Elsa forgetful?", "en") == dementia
    assert _found(_care(("Gillar att lösa korsord.",)), "hur är Elsa med minnet") == []


def test_a_part_of_the_day_alone_is_not_what_a_question_asks_the_records() -> None:
    care = _care(("Kan bli förvirrad på kvällen.",), (Activity("Kväll", "Hjälp med kvällsmat."),))
    assert _found(care, "ska jag till Elsa ikväll") == []
    assert _found(care, "har jag besök hos Elsa i kväll") == []
    assert _found(care, "Am I going to Elsa tonight?", "en") == []
    assert _found(care, "Vad behöver Elsa hjälp med på kvällen?") == ["Hjälp med kvällsmat."]


@given(part=st.sampled_from(["ikväll", "i kväll", "i morse", "på förmiddagen", "i natt", "idag"]))
def test_property_no_record_answers_a_question_of_only_a_time(part: str) -> None:
    care = _care(("Förvirrad på kvällen, lugn i natt, pigg på förmiddagen och i morse.",))
    assert _found(care, f"ska jag till Elsa {part}") == []
