"""The day's plan reasoned over (issue 39): a visit's length, the end of the day, what is left,
the time until the next visit and whether a break fits, in both languages; the rule that a
question's ask decides what may answer it; held-out questions written from the care data
alone (tests/data/eval/round3.jsonl)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bench import heldout
from device.answers.plan import minutes
from device.assistant import Assistant
from device.nlu.agreement import answers_what_is_asked
from device.nlu.numbers import minutes_said
from device.nlu.question import answer_kind, read_question
from device.nlu.recognizer import Templates
from device.nlu.similar_reader import SimilarReader
from device.nlu.text import normalize
from device.settings import Settings, SimilarSettings
from tests.conftest import TZ

ELEVEN = datetime(2026, 11, 24, 11, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("question", "intent", "hears"),
    [
        ("Hur länge är jag hos Anna på lunchen?", "visit_length", "30 minuter"),
        ("How long is my visit with Bertil?", "visit_length", "45 minutes"),
        ("När är jag klar för dagen?", "day_end", "halv åtta"),
        ("When am I done for the day?", "day_end", "half past seven"),
        ("Vad har jag kvar resten av dagen?", "remaining", "Greta Nilsson kvart över elva"),
        ("What do I have left today?", "remaining", "Yusuf Hassan"),
        ("Hur lång tid har jag till nästa besök?", "time_left", "15 minuter"),
        ("How long until my next visit?", "time_left", "15 minutes"),
        ("Hinner jag ta en paus på 20 minuter innan nästa besök?", "time_left", "Nej"),
        ("Do I have time for a 10 minute break before my next visit?", "time_left", "Yes"),
        ("Hur lång tid har jag till Bertil?", "time_left", "3 timmar och 30 minuter"),
        ("Vad heter Annas dotter?", "relative_phone", "Karin Andersson"),
        # Between two named visits: from the end of the one said first (Greta's, 11.50).
        ("Hur lång tid har jag mellan Greta och Anna?", "time_left", "10 minuter"),
        ("How much time do I get between Gittan and Anna's lunch visit?", "time_left", "10 min"),
        ("Hinner jag ta en paus på 20 minuter mellan Greta och Anna?", "time_left", "Nej"),
        # Said in other words, and a visit in the gap is said (Anna's lunch between the two).
        ("hinner jag ta en halvtimmes rast mellan gittan och anna", "time_left", "Nej"),
        ("How much time is there after Greta before Bertil?", "time_left", "Anna Andersson"),
        ("Hinner jag en paus på 150 minuter mellan Greta och Bertil?", "time_left", "Nej"),
        # The plan asked after by name, for a part of the day (round10, 2026-12-06); a part
        # with no visit is said before the routines of the others.
        ("Vad står det i Annas genomförandeplan för kvällen?", "routine", "kvällstoalett"),
        ("What does Bertil's care plan say for the evening?", "routine", "no visit to Bertil"),
        # How a client walks, asked in everyday words: her flag (round10, round11).
        ("Kan Anna gå själv?", "flags", "rollator"),
        ("Can Anna walk on her own?", "flags", "rollator"),
        ("What's the code for the key box at Anna's?", "access", "confirm"),
    ],
)
def test_the_plans_facts(assistant: Assistant, question: str, intent: str, hears: str) -> None:
    turn = assistant.ask(question, now=ELEVEN)
    assert turn.intent == intent and hears in turn.answer, turn.answer
    assert turn.sources


def test_the_last_visit_is_the_one_in_progress_too(assistant: Assistant) -> None:
    late = ELEVEN.replace(hour=19, minute=10)
    turn = assistant.ask("Vad har jag kvar i dag?", now=late)
    assert "Anna Andersson" in turn.answer and "Greta" not in turn.answer


@pytest.mark.parametrize(
    ("question", "at", "hears", "not_said"),
    [
        # Anna's visits: 08:00-08:45, 12:00-12:30, 19:00-19:30; the one nearest now anchors.
        ("Vem kommer efter Anna?", (12, 40), "Bertil Karlsson", "Yusuf"),
        ("Vem kommer efter Anna?", (8, 50), "Bertil Karlsson", "Yusuf"),
        ("Who comes after Anna?", (18, 0), "no more visits", "Bertil"),
        ("Vem kommer före Anna?", (12, 40), "Greta Nilsson", "Yusuf"),
    ],
)
def test_after_a_client_is_after_her_visit_nearest_now(
    assistant: Assistant, question: str, at: tuple[int, int], hears: str, not_said: str
) -> None:
    turn = assistant.ask(question, now=ELEVEN.replace(hour=at[0], minute=at[1]))
    assert turn.intent == "next_visit" and hears in turn.answer, turn.answer
    assert not_said not in turn.answer


@pytest.mark.parametrize(
    ("question", "hears", "not_said"),
    [
        ("Vad har jag kvar på eftermiddagen?", "Kvar på eftermiddagen: Anna", "Greta"),
        ("ehm vad har jag kvar på eftermiddan då", "Kvar på eftermiddagen: Anna", "Greta"),
        ("Vilka har jag kvar i kväll?", "Kvar på kvällen: Anna Andersson", "Bertil"),
        ("What do I have left this afternoon?", "Left in the afternoon: Anna", "Greta"),
        ("Who is left tonight?", "Left in the evening: Anna Andersson", "Yusuf"),
    ],
)
def test_what_is_left_of_a_part_of_the_day(
    assistant: Assistant, question: str, hears: str, not_said: str
) -> None:
    turn = assistant.ask(question, now=ELEVEN)
    assert turn.intent == "remaining" and hears in turn.answer, turn.answer
    assert not_said not in turn.answer and turn.sources


def test_a_part_of_the_day_that_is_over_is_said_to_be_over(assistant: Assistant) -> None:
    turn = assistant.ask("Vad har jag kvar på förmiddagen?", now=ELEVEN.replace(hour=13))
    assert turn.answer.endswith("Du har inga fler besök på förmiddagen."), turn.answer


@given(st.integers(0, 600))
def test_minutes_are_said_as_people_say_them(total: int) -> None:
    said = minutes("sv", timedelta(minutes=total))
    hours, mins = divmod(total, 60)
    assert (f"{hours} timm" in said) == (hours > 0)
    assert (f"{mins} minuter" in said) == (mins > 0 or hours == 0)


INTENTS = [
    "next_visit", "schedule", "schedule_count", "visit_time", "visit_length", "day_end",
    "remaining", "time_left", "routine", "notes", "flags", "medication", "access", "address",
    "relative_phone", "escalation", "contact", "records",
]  # fmt: skip


@given(
    ask=st.sampled_from(
        [
            "Hur länge",
            "hur lång tid",
            "How long",
            "Vem",
            "Who",
            "När",
            "When",
            "Hur många",
            "How many",
        ]
    ),
    rest=st.text("abcdefghijklmnopqrstuvwxyzåäö ", max_size=30),
    intent=st.sampled_from(INTENTS),
)
def test_property_an_answer_is_of_the_kind_asked(ask: str, rest: str, intent: str) -> None:
    """No reading answers another kind of question: a length is never answered by a time, a
    person never by a door code, a time never by an address."""
    question = f"{ask} {rest}"
    kind = answer_kind(question)
    assert kind is not None
    ok = answers_what_is_asked(intent, read_question(question, "sv"))
    if kind == "length":
        assert ok == (intent in ("visit_length", "time_left"))
    if intent in ("access", "address", "flags"):
        assert not ok
    if kind == "time" and intent == "visit_length":
        assert not ok


def test_a_visits_length_is_of_the_part_of_the_day_asked(assistant: Assistant) -> None:
    """Asked in the afternoon, "på förmiddagen" is still the forenoon visit, not the next one."""
    turn = assistant.ask("Hur länge är jag hos Bertil på förmiddagen?", now=ELEVEN.replace(hour=14))
    assert "1 timme" in turn.answer and "Appointment/p-bertil-v1" in turn.sources, turn.answer
    assert "Appointment/p-bertil-v2" not in turn.sources
    evening = assistant.ask("Hur länge är jag hos Bertil i kväll?", now=ELEVEN)
    assert "p-bertil-v2" not in " ".join(evening.sources) and "minuter" not in evening.answer


@pytest.mark.parametrize(
    "question",
    ["Hur lång stund har jag innan nästa besök?", "Done here. How long till my next one?"],
)
def test_the_time_until_the_next_visit_is_not_a_visits_length(question: str) -> None:
    assert answer_kind(question) == "until"
    assert answers_what_is_asked("time_left", read_question(question, "sv"))
    assert not answers_what_is_asked("visit_length", read_question(question, "sv"))


@pytest.mark.parametrize(
    "question",
    [
        "När är jag färdig med dagens besök?",
        "When's my last visit over today?",
        "Hur sent jobbar jag?",
    ],
)
def test_when_it_ends_is_not_when_it_starts(question: str) -> None:
    assert answer_kind(question) == "end"
    assert answers_what_is_asked("day_end", read_question(question, "sv"))
    assert answers_what_is_asked("visit_time", read_question(question, "sv"), {"boundary": "end"})
    assert not answers_what_is_asked(
        "visit_time", read_question(question, "sv"), {"boundary": "start"}
    )
    assert not answers_what_is_asked("schedule", read_question(question, "sv"))
    assert not answers_what_is_asked("next_visit", read_question(question, "sv"))


@given(
    left=st.sampled_from(["har jag kvar", "återstår", "is left", "do I still have to see"]),
    before=st.text("abcdefghijklmnopqrstuvwxyzåäö ", max_size=20),
    after=st.text("abcdefghijklmnopqrstuvwxyzåäö ", max_size=20),
    intent=st.sampled_from(["schedule", "schedule_count"]),
    part=st.sampled_from([{}, {"part_of_day": "evening"}]),
)
def test_property_what_is_left_is_never_the_whole_day(
    left: str, before: str, after: str, intent: str, part: dict[str, str]
) -> None:
    """A question about what is left is never answered with the whole day's list or count
    (it names visits that are over); the count of what is left is."""
    question = f"{before} {left} {after}"
    assert not answers_what_is_asked(intent, read_question(question, "sv"), part)
    if intent == "schedule_count" and answer_kind(question) in (None, "number"):
        assert answers_what_is_asked(
            intent, read_question(question, "sv"), {**part, "remaining": True}
        )


@pytest.mark.parametrize(
    ("text", "lang", "said"),
    [
        ("hinner jag ta en halvtimmes lunch innan bertil", "sv", [30]),
        ("do i have time for a 20 minute break", "en", [20]),
        ("har jag tid för en paus på tjugo fem minuter", "sv", [25]),
        ("a twenty five minute break", "en", [25]),
        ("hinner jag en kvarts paus", "sv", [15]),
        ("hinner jag en timmes fika innan anna", "sv", [60]),
        ("hinner jag äta innan greta", "sv", []),
    ],
)
def test_the_minutes_a_question_names(text: str, lang: str, said: list[int]) -> None:
    assert minutes_said(text, lang) == said


@given(
    st.lists(
        st.sampled_from(
            ["20", "45", "123", "minuter", "minutes", "tjugo", "fem", "twenty", "halvtimmes",
             "kvart", "en", "timmes", "paus", "innan", "anna", "hour", "x"]
        )
        | st.text(max_size=8),
        max_size=10,
    ),
    st.sampled_from(["sv", "en"]),
)  # fmt: skip
def test_property_minutes_said_are_lengths_the_text_says(words: list[str], lang: str) -> None:
    """Any text: no error, each length once, and each one the text says: a number before a
    word for minutes (digits up to 99, words up to 59), or a kvart, a halvtimme or a timme."""
    text = normalize(" ".join(words))
    found = minutes_said(text, lang)
    assert len(found) == len(set(found))
    for m in found:
        assert 0 <= m <= 99, m
        assert re.search(r"min", text) or m in (15, 30, 45, 60), (text, m)


def test_how_long_is_never_answered_with_a_time(assistant: Assistant) -> None:
    for question in ("Hur länge är jag hos Yusuf?", "Hur länge stannar jag hos Greta?"):
        turn = assistant.ask(question, now=ELEVEN)
        assert turn.intent == "visit_length" and "minuter" in turn.answer


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimilarReader]:
    cache = tmp_path_factory.mktemp("similar") / "vectors.npz"
    yield SimilarReader(SimilarSettings(), wait=True, cache=cache)


# Questions the records cannot answer, once read by the similar reader as another question (a
# birthday as the visit's time, a favourite colour as the briefing): now said back, because
# their words ("fyller", "färg") are in no template and no record (device/nlu/known.py).
NOT_IN_THE_RECORDS = ("När fyller Anna år?", "Vilken färg tycker Bertil bäst om?")
# Wrong by round3's scorer, and why: none. "Vad har jag kvar idag?" lists only what is booked
# (a list of what is left is a "what is next" answer, care-data.md); a count of what is left
# says the cancelled visit after it (round14's writer asked for that).
KNOWN_WRONG: set[str] = set()


def test_held_out_plan_and_records_questions(
    settings: Settings, templates: Templates, reader: SimilarReader
) -> None:
    scores = heldout.round3(settings, templates, reader)
    for kind, counts in sorted(scores.items()):
        print(
            f"round3 {kind}: right {counts['right']} miss {counts['miss']} wrong {counts['wrong']}"
        )
    wrong = {
        k.split(" → ")[0].removeprefix("wrong: ") for k in scores["all"] if k.startswith("wrong:")
    }
    assert wrong <= KNOWN_WRONG, wrong - KNOWN_WRONG
    # A floor against collapse, not the target (issue 39 wants 90 %): measured 7 of 10
    # durations, 5 of 8 day-ends, 6 of 8 remaining, 6 of 8 relative names (2026-12-06).
    for kind in ("duration", "day-end", "remaining", "relative-name"):
        assert scores[kind]["right"] >= 0.3 * sum(scores[kind][v] for v in ("right", "miss")), kind
    # The records by meaning: measured 13 of 22 (9 before them, 2026-12-05).
    assert scores["records-meaning"]["right"] >= 11


# Judged wrong by round18's key, and kept (docs/understanding.md, round 15): a health event's
# "who do I call" is not marked must-verify (19 other held-out keys agree; this one does not);
# a daughter not among the relatives is said to be missing, with who is registered (the key
# forbids naming the sister at all; no number of hers is said).
KEY_DISPUTED = {
    "gittans blodsocker är jättehögt alltså vem ringer jag",
    "maria svenssons dotter i helsingfors vad har hon för nummer",
    "marias dotter i helsingfors vad har hon för nummer",  # round19 asks it again
}


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("round10.jsonl", 54),
        ("round11.jsonl", 54),
        ("round16.jsonl", 54),
        ("round17.jsonl", 46),
        ("round18.jsonl", 44),
        ("round19.jsonl", 52),
    ],
)
def test_the_latest_held_out_sets_have_no_wrong_answer(
    settings: Settings, templates: Templates, reader: SimilarReader, name: str, floor: int
) -> None:
    """Written by helpers from the care data alone, each measured once before being read
    (docs/understanding.md, rounds 8 and 9); since then worked from, so 0 wrong is a floor that
    guards what was fixed, not a figure of held-out accuracy."""
    scores = heldout.round3(settings, templates, reader, name)
    wrong = [k for k in scores["all"] if k.startswith("wrong:")]
    wrong = [k for k in wrong if k.split(" → ")[0].removeprefix("wrong: ") not in KEY_DISPUTED]
    assert not wrong, wrong
    # 61 and 59 on 2026-12-07; round16 (written before round 13) 57 when worked from; round17
    # (written before round 14) 42 on the landed code, more when worked from; round18 (written
    # before round 15) 40 on the landed code; round19 (written before round 16) 44 on the
    # landed code, 57 when worked from.
    assert scores["all"]["right"] >= floor, scores["all"]


@pytest.mark.parametrize("question", NOT_IN_THE_RECORDS)
def test_questions_the_records_cannot_answer_are_not_answered(
    settings: Settings, templates: Templates, reader: SimilarReader, question: str
) -> None:
    from device.care.fhir_import import read_bundle
    from tests.conftest import EXAMPLE

    assistant = Assistant(settings, templates, None, similar=reader)
    assistant.use_care(read_bundle(EXAMPLE, 10**7).care)
    turn = assistant.ask(question, now=ELEVEN)
    assert turn.outcome in ("unknown", "clarify", "ambiguous"), turn.answer


def test_a_long_day_is_listed_without_dropping_a_visit(
    settings: Settings, templates: Templates
) -> None:
    """Omar's nine visits: eight are named, and the ninth (Leila at 22:30) is said and cited,
    not dropped unsaid."""
    care = heldout._cares()["third"]
    assistant = Assistant(settings.model_copy(update={"worker": "w-omar"}), templates, None)
    assistant.use_care(care)
    morning = datetime(2026, 12, 14, 7, 0, tzinfo=TZ)
    turn = assistant.ask("Vad har jag i dag?", now=morning)
    assert "nio besök" in turn.answer and "sedan ett besök till" in turn.answer, turn.answer
    assert "Appointment/t-leila-v2" in turn.sources
    english = assistant.ask("What do I have today?", now=morning)
    assert "then one visit more" in english.answer, english.answer


@pytest.mark.parametrize(
    ("question", "lang", "booked", "called_off"),
    [
        ("Vilka har jag i kväll?", "sv", "ett besök: Leila Rahimi halv elva.", "Inställt: Olof"),
        (
            "who have i got tonight",
            "en",
            "one visit: Leila Rahimi at half past ten.",
            "Cancelled: Olof",
        ),
    ],
)
def test_a_cancelled_visit_is_said_apart_from_the_count(
    settings: Settings, templates: Templates, question: str, lang: str, booked: str, called_off: str
) -> None:
    """Omar's evening of 15 December: Olof's 19:00 visit is cancelled. It was listed among the
    booked after "one visit", so the worker heard one and then two names."""
    assistant = Assistant(settings.model_copy(update={"worker": "w-omar"}), templates, None)
    assistant.use_care(heldout._cares()["third"])
    turn = assistant.ask(question, now=datetime(2026, 12, 15, 15, 0, tzinfo=TZ))
    assert turn.intent == "schedule" and turn.language == lang
    assert booked in turn.answer and called_off in turn.answer, turn.answer
    assert turn.answer.index(booked) < turn.answer.index(called_off)
    assert {"Appointment/t-leila-v3", "Appointment/t-olof-v4"} <= set(turn.sources)


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("How many visits have I got left today?", "schedule_count"),
        ("hur många besök har jag kvar idag", "schedule_count"),
    ],
)
def test_a_cancelled_visit_later_today_is_said_with_what_is_left(
    settings: Settings, templates: Templates, question: str, intent: str
) -> None:
    """round14: "How many visits have I got left today?" at 14:00 said Leila only; Olof's 19:00
    visit is cancelled, and is now said so after the count, with its source (a list of what is
    left names only what is booked: the test below)."""
    assistant = Assistant(settings.model_copy(update={"worker": "w-omar"}), templates, None)
    assistant.use_care(heldout._cares()["third"])
    turn = assistant.ask(question, now=datetime(2026, 12, 15, 14, 0, tzinfo=TZ))
    assert turn.intent == intent, turn
    assert "Leila" in turn.answer and turn.answer.index("Leila") < turn.answer.index("Olof")
    assert {"Appointment/t-leila-v3", "Appointment/t-olof-v4"} <= set(turn.sources)
    late = assistant.ask(question, now=datetime(2026, 12, 15, 19, 40, tzinfo=TZ))
    assert "Olof" not in late.answer  # over: not said


CLIENTS = ["Anna", "Bertil", "Greta", "Yusuf"]


@hypothesis_settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pair=st.permutations(CLIENTS).map(lambda names: names[:2]),
    hour=st.integers(6, 21),
    lang=st.sampled_from(["sv", "en"]),
)
def test_property_the_time_between_two_visits_is_from_one_end_to_the_other_start(
    assistant: Assistant, pair: list[str], hour: int, lang: str
) -> None:
    """Whichever two clients and whenever asked: the two visits cited first are the two
    clients', the earlier ends before the later starts, the length said is the time between,
    and any other visit cited lies between them and is said."""
    one, other = pair
    question = (
        f"Hur lång tid har jag mellan {one} och {other}?"
        if lang == "sv"
        else f"How much time do I have between {one} and {other}?"
    )
    turn = assistant.ask(question, now=ELEVEN.replace(hour=hour))
    assert turn.intent == "time_left", turn.answer
    cited = [s for s in turn.sources if s.startswith("Appointment/")]
    if not cited:
        return  # no visit today to one of them: said so, nothing cited but the two clients
    visits = {v.ref: v for v in assistant.care.visits}
    first, then = sorted((visits[ref] for ref in cited[:2]), key=lambda v: v.start)
    names = {assistant.care.client(v.client).full_name.split()[0] for v in (first, then)}  # type: ignore[union-attr]
    assert names == {one, other} and first.end <= then.start
    assert minutes(lang, then.start - first.end) in turn.answer
    for ref in cited[2:]:  # a visit in the gap: inside it, and named
        inside = visits[ref]
        assert first.end <= inside.start and inside.end <= then.start
        assert assistant.care.client(inside.client).full_name in turn.answer  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Vad har Maria Svenssons dotter för nummer?", "sv"),
        ("What is Maria's daughter's phone number?", "en"),
    ],
)
def test_a_relative_not_on_the_list_is_looked_for_in_the_notes(
    settings: Settings, templates: Templates, question: str, lang: str
) -> None:
    """Maria Svensson's relatives list has her sister only; a plan note says "Dottern bor i
    Helsingfors". "No daughter" would be a claim the records contradict (issue 39): the
    answer says the list has none, and reads the note."""
    assistant = Assistant(settings, templates, None)
    assistant.use_care(heldout._cares()["second"])
    evening = datetime(2026, 11, 25, 19, 0, tzinfo=TZ)
    turn = assistant.ask(question, now=evening)
    assert turn.intent == "relative_phone" and turn.outcome == "unknown", turn.answer
    assert "Dottern bor i Helsingfors" in turn.answer and "CarePlan/p-maria-plan" in turn.sources
    assert ("registrerade" if lang == "sv" else "recorded") in turn.answer
    son = assistant.ask("Vad har Maria Svenssons son för nummer?", now=evening)
    assert "Helsingfors" not in son.answer  # a note is read only for the relation asked


def test_a_list_of_what_is_left_names_only_booked_visits_and_a_count_says_the_cancelled(
    settings: Settings, templates: Templates
) -> None:
    """Round3's and round4_plan's writers forbade the cancelled visit in "Vad har jag kvar
    idag?" (a "what is next" answer, care-data.md); round14's wanted it said with a count."""
    assistant = Assistant(settings, templates, None)
    assistant.use_care(heldout._cares()["second"])
    at_two = datetime(2026, 11, 25, 14, 0, tzinfo=TZ)
    listed = assistant.ask("Vad har jag kvar idag?", now=at_two)
    assert "Appointment/p-maria-v2" in listed.sources, listed.answer
    assert "Appointment/p-maria-v1" not in listed.sources and "nställt" not in listed.answer
    counted = assistant.ask("Hur många besök har jag kvar idag?", now=at_two)
    assert "Inställt" in counted.answer and "Appointment/p-maria-v1" in counted.sources
