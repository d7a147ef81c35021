"""Closed-domain choice as plain values: shortlisting by spelling and sound, and the decision rule
(near the free transcript's likelihood, clearly ahead of every other meaning, and still like what
was heard)."""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import replace

from rapidfuzz import fuzz

from device.nlu.text import normalize
from device.settings import SpeechSettings
from device.speech.closed import (
    NAME_NOT_HEARD,
    AskBack,
    Domain,
    by_meaning,
    check_heard,
    decide,
    echoes,
    names_heard,
    resemblance,
    sound_key,
)

SENTENCES = [
    "vem är mitt nästa besök",
    "vem är nästa besök",
    "vad ska jag göra hos bertil",
    "vad ska jag göra hos greta",
    "har greta några allergier",
    "vem är sjuksköterskan",
]
MEANING: dict[str, Hashable] = {
    "vem är mitt nästa besök": ("next_visit",),
    "vem är nästa besök": ("next_visit",),
    "vad ska jag göra hos bertil": ("tasks", "bertil"),
    "vad ska jag göra hos greta": ("tasks", "greta"),
    "har greta några allergier": ("flags", "greta"),
    "vem är sjuksköterskan": ("role", "nurse"),
    "vem ska jag besöka efter det här": ("next_visit",),
}


def test_sound_key_folds_swedish_spellings() -> None:
    assert sound_key("sjuksköterskan") == sound_key("schuksjöterskan")
    assert sound_key("göra") == sound_key("jöra")
    assert sound_key("vem") == sound_key("wemm")


def test_the_domain_knows_every_word_of_its_sentences() -> None:
    domain = Domain.of(SENTENCES)
    assert {"vem", "sjuksköterskan", "allergier", "bertil"} <= domain.vocabulary
    assert "regnar" not in domain.vocabulary
    assert len(domain.vocabulary) == len({w for s in SENTENCES for w in s.split()})


def test_shortlist_finds_misheard_sentences() -> None:
    domain = Domain.of(SENTENCES)
    assert domain.shortlist("vad ska jag jöra hos bertill", 2)[0] == "vad ska jag göra hos bertil"
    assert "vem är sjuksköterskan" in domain.shortlist("vem e schuksöterskan", 2)
    assert domain.shortlist("", 3) == []


def test_shortlists_of_several_transcripts_are_joined_in_order() -> None:
    domain = Domain.of(SENTENCES)
    both = domain.shortlists(["vad ska jag jöra hos bertill", "har greta nåra allergier"], [1, 1])
    assert both[0] == "vad ska jag göra hos bertil"
    assert "har greta några allergier" in both
    assert len(both) == len(set(both))
    assert domain.shortlists(["", ""], [2, 2]) == []
    # One transcript: the same as shortlist.
    assert domain.shortlists(["vem e schuksöterskan"], [2]) == domain.shortlist(
        "vem e schuksöterskan", 2
    )


def test_a_clear_best_sentence_is_chosen() -> None:
    scored = [("vad ska jag göra hos bertil", -1.2), ("vad ska jag göra hos greta", -2.5)]
    verdict = decide(
        "vad ska ja jöra os bertil",
        -1.0,
        scored,
        MEANING.get,
        free_slack=1.5,
        margin=0.3,
        min_resemblance=60,
    )
    assert verdict.candidate == "vad ska jag göra hos bertil"
    assert verdict.reason == "chosen"
    assert (verdict.score, verdict.free_score, verdict.runner_up) == (-1.2, -1.0, -2.5)


def test_sentences_with_one_meaning_do_not_compete() -> None:
    scored = [("vem är mitt nästa besök", -1.0), ("vem är nästa besök", -1.05)]
    assert (
        decide("vem e mitt nesta besök", -0.9, scored, MEANING.get, 1.5, 0.3, 60).candidate
        == "vem är mitt nästa besök"
    )


def test_two_clients_too_close_to_tell_apart_are_refused() -> None:
    scored = [("vad ska jag göra hos bertil", -1.2), ("vad ska jag göra hos greta", -1.3)]
    verdict = decide("vad ska jag göra hos", -1.0, scored, MEANING.get, 1.5, 0.3, 60)
    assert (verdict.candidate, verdict.reason) == (None, "too close to another meaning")


def test_speech_far_from_every_sentence_keeps_the_free_transcript() -> None:
    scored = [("har greta några allergier", -6.0), ("vem är sjuksköterskan", -7.5)]
    verdict = decide("det regnar i göteborg", -0.8, scored, MEANING.get, 1.5, 0.3, 60)
    assert (verdict.candidate, verdict.reason) == (None, "less likely than the free transcript")


def test_nothing_readable_to_score() -> None:
    verdict = decide("hej hopp", -1.0, [("hej hopp", -0.5)], MEANING.get, 1.5, 0.3, 60)
    assert (verdict.candidate, verdict.reason) == (None, "nothing to score")


def test_a_likely_sentence_unlike_what_was_heard_is_refused() -> None:
    # Real Swedish speech off the domain (a Common Voice clip), written well by Whisper, whose
    # decoder still found a fluent question nearly as likely.
    scored = [("vem ska jag besöka efter det här", -1.5), ("vem är sjuksköterskan", -4.0)]
    verdict = decide("nu kan ingen följa efter dem", -1.0, scored, MEANING.get, 1.5, 0.3, 60)
    assert (verdict.candidate, verdict.reason) == (None, "unlike the free transcript")
    assert verdict.resemblance is not None and verdict.resemblance < 60


def test_resemblance_counts_sound_as_well_as_spelling() -> None:
    heard = "vem e schuksöterskan"
    assert resemblance(heard, "vem är sjuksköterskan") > 80
    assert resemblance(heard, "vem är sjuksköterskan") > resemblance(heard, "vad har jag i dag")
    assert resemblance("jöra", "göra") == 100
    assert resemblance("", "göra") == 0


def test_a_transcript_that_repeats_the_prompt_is_noticed() -> None:
    prompt = "Vem är mitt nästa besök? Vad ska jag göra hos henne? Ring dottern."
    assert echoes("Vad ska jag göra hos henne?", prompt)
    assert echoes("vem är mitt nästa besök", prompt)
    assert echoes("Nästa besök.", prompt)  # a run of an example's words
    assert not echoes("Vad ska jag göra hos Greta?", prompt)
    assert not echoes("Är besök", prompt)  # words of it, not a run of them
    assert not echoes("", prompt)
    assert not echoes("Ring dottern", "")


def test_a_shortlist_of_one_meaning_gets_a_rival() -> None:
    domain = Domain.of(SENTENCES)
    alone = domain.shortlist("vem är mitt nesta besök", 2)
    assert {MEANING[s] for s in alone} == {("next_visit",)}
    rivals = domain.shortlist("vem är mitt nesta besök", 2, MEANING.get)
    assert rivals[:2] == alone
    assert len({MEANING[s] for s in rivals}) == 2
    assert len(domain.shortlist("vem är mitt nesta besök", 2, MEANING.get, meanings=3)) == 4


RESTATED = {
    "vad ska jag göra hos bertil": "vad du ska göra hos Bertil",
    "vad ska jag göra hos greta": "vad du ska göra hos Greta",
    "har greta några allergier": "allergier och risker hos Greta",
    "vad ska jag göra hos greta på lunchen": "vad du ska göra hos Greta",
}
MEANING["vad ska jag göra hos greta på lunchen"] = ("tasks", "greta", "lunch")
ASK = AskBack(slack=1.5, margin=0.5, restate=RESTATED.get)


def test_a_likely_reading_too_close_to_choose_is_said_back() -> None:
    scored = [("vad ska jag göra hos greta", -1.2), ("vad ska jag göra hos bertil", -2.0)]
    verdict = decide("vad ska jag göra hos gret", -1.0, scored, MEANING.get, 1.5, 2.0, 60, ASK)
    assert verdict.ask and verdict.candidate == "vad ska jag göra hos greta"
    assert verdict.reason == "asking back: too close to another meaning"
    # Without asking back, the same figures are a refusal.
    refused = decide("vad ska jag göra hos gret", -1.0, scored, MEANING.get, 1.5, 2.0, 60)
    assert (refused.candidate, refused.ask) == (None, False)


def test_no_asking_back_between_two_readings_a_yes_cannot_tell_apart() -> None:
    # Greta's lunch and Greta's whole day are both said back as "vad du ska göra hos Greta".
    scored = [
        ("vad ska jag göra hos greta på lunchen", -1.2),
        ("vad ska jag göra hos greta", -1.9),
        ("vad ska jag göra hos bertil", -3.0),
    ]
    verdict = decide("vad ska jag göra hos greta", -1.0, scored, MEANING.get, 1.5, 2.0, 60, ASK)
    assert (verdict.candidate, verdict.reason) == (None, "too close to another meaning")


def test_no_asking_back_when_even_that_is_unsure() -> None:
    close = [("vad ska jag göra hos greta", -1.2), ("vad ska jag göra hos bertil", -1.5)]
    verdict = decide("vad ska jag göra hos", -1.0, close, MEANING.get, 1.5, 2.0, 60, ASK)
    assert (verdict.candidate, verdict.ask) == (None, False)  # 0.3 ahead of Bertil: not 0.5
    unlikely = [("vad ska jag göra hos greta", -3.0), ("vad ska jag göra hos bertil", -5.5)]
    verdict = decide("vad ska jag göra hos greta", -1.0, unlikely, MEANING.get, 0.75, 2.0, 60, ASK)
    assert (verdict.candidate, verdict.ask) == (None, False)  # 2.0 below the free transcript
    unlike = [("har greta några allergier", -1.1), ("vad ska jag göra hos bertil", -1.8)]
    verdict = decide("det regnar i göteborg", -1.0, unlike, MEANING.get, 1.5, 2.0, 60, ASK)
    assert (verdict.candidate, verdict.ask) == (None, False)  # not like what was heard


def test_nothing_is_said_back_that_has_no_words_to_say_it() -> None:
    scored = [("vem är sjuksköterskan", -1.2), ("vad ska jag göra hos bertil", -2.0)]
    verdict = decide("vem är sjuksköterskan", -1.0, scored, MEANING.get, 1.5, 2.0, 60, ASK)
    assert (verdict.candidate, verdict.ask) == (None, False)


def test_a_short_sentence_is_said_back_rather_than_answered_at_once() -> None:
    ask = AskBack(slack=1.5, margin=0.5, restate={"vem är nästa besök": "ditt nästa besök"}.get)
    scored = [("vem är nästa besök", -1.0), ("vem är sjuksköterskan", -4.0)]
    clear = decide("vem är nästa besök", -1.0, scored, MEANING.get, 1.5, 2.0, 60)
    assert (clear.candidate, clear.reason) == ("vem är nästa besök", "chosen")
    short = decide(
        "vem är nästa besök", -1.0, scored, MEANING.get, 1.5, 2.0, 60, replace(ask, min_words=5)
    )
    assert (short.candidate, short.ask) == ("vem är nästa besök", True)
    assert short.reason == "asking back: too short to answer at once"
    long_enough = decide(
        "vem är nästa besök", -1.0, scored, MEANING.get, 1.5, 2.0, 60, replace(ask, min_words=4)
    )
    assert (long_enough.reason, long_enough.ask) == ("chosen", False)


def test_a_short_sentence_naming_a_person_is_answered_when_clearly_ahead() -> None:
    restate = {"har greta några allergier": "allergier och risker hos Greta"}.get
    ask = AskBack(1.5, 0.5, restate, 5, lambda text: "greta" in text.split(), 1.0)
    ahead = [("har greta några allergier", -1.0), ("vem är sjuksköterskan", -2.5)]
    chosen = decide("har greta några allergier", -1.0, ahead, MEANING.get, 1.5, 0.5, 60, ask)
    assert (chosen.candidate, chosen.reason, chosen.ask) == (
        "har greta några allergier",
        "chosen",
        False,
    )
    # Less than named_margin ahead (though past the margin): said back.
    near = [("har greta några allergier", -1.0), ("vem är sjuksköterskan", -1.8)]
    said = decide("har greta några allergier", -1.0, near, MEANING.get, 1.5, 0.5, 60, ask)
    assert said.ask and said.reason == "asking back: too short to answer at once"
    # No name in it: said back however far ahead.
    nameless = replace(ask, names=lambda text: False)
    kept = decide("har greta några allergier", -1.0, ahead, MEANING.get, 1.5, 0.5, 60, nameless)
    assert kept.ask and kept.reason == "asking back: too short to answer at once"
    # A name that was not heard: said back (the name check comes after).
    unheard = decide(
        "har greta några allergier",
        -1.0,
        ahead,
        MEANING.get,
        1.5,
        0.5,
        60,
        ask,
        None,
        lambda t: False,
    )
    assert unheard.ask and unheard.reason == "asking back: a name in it was not heard"


def _same_but_client(first: str, second: str) -> bool:
    a, b = MEANING.get(first), MEANING.get(second)
    return isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "tasks" and a != b


def test_two_clients_too_close_to_tell_apart_are_asked_about() -> None:
    ask = replace(ASK, between=_same_but_client)
    scored = [
        ("vad ska jag göra hos bertil", -1.2),
        ("vad ska jag göra hos greta", -1.3),
        ("har greta några allergier", -3.0),
    ]
    verdict = decide("vad ska jag göra hos", -1.0, scored, MEANING.get, 1.5, 2.0, 60, ask)
    assert (verdict.candidate, verdict.other) == (
        "vad ska jag göra hos bertil",
        "vad ska jag göra hos greta",
    )
    assert verdict.ask and verdict.reason == "asking which: too close to another meaning"
    # A third meaning nearly as likely: asking between two would leave it out.
    close = [*scored[:2], ("har greta några allergier", -1.5)]
    verdict = decide("vad ska jag göra hos", -1.0, close, MEANING.get, 1.5, 2.0, 60, ask)
    assert (verdict.candidate, verdict.other, verdict.ask) == (None, None, False)


SHORT: dict[str, Hashable] = {
    "ring karin": ("phone", "karin"),
    "ring karl": ("phone", "karl"),
    "ring karins dotter": ("phone", "karin-daughter"),
}


def _restate(text: str) -> str | None:
    return f"numret till {text.split()[-1]}"


def test_a_short_reading_clearly_ahead_is_taken_as_heard() -> None:
    scored = [("ring karin", -2.0), ("ring karl", -4.5)]
    verdict = check_heard("ring karin", scored, SHORT.get, 2.0, _restate)
    assert (verdict.candidate, verdict.ask, verdict.reason) == (
        "ring karin",
        False,
        "free transcript understood",
    )
    assert (verdict.score, verdict.runner_up) == (-2.0, -4.5)


def test_a_short_reading_no_likelier_than_another_name_is_said_back() -> None:
    scored = [("ring karin", -4.95), ("ring karl", -4.94)]
    verdict = check_heard("ring karin", scored, SHORT.get, 2.0, _restate)
    assert verdict.ask and verdict.candidate == "ring karin"
    assert verdict.reason.startswith("asking back")


def test_a_short_reading_that_cannot_be_said_back_is_refused() -> None:
    scored = [("ring karin", -4.95), ("ring karl", -4.94)]
    verdict = check_heard("ring karin", scored, SHORT.get, 2.0, lambda text: None)
    assert not verdict.ask and verdict.candidate is None
    assert verdict.reason == "short and too close to another meaning"
    alone = check_heard("ring karin", [("ring karin", -3.0)], SHORT.get, 2.0, _restate)
    assert not alone.ask and alone.candidate == "ring karin" and alone.runner_up is None


def test_the_default_margin_for_a_short_reading_keeps_clear_speech_and_doubts_a_tie() -> None:
    margin = SpeechSettings().closed_heard_margin
    # Measured with Whisper base: Piper's clear "Where does Greta live?" (-0.33 against -2.23 for
    # another meaning) is taken as heard; the "Ring Kalle" written "Ring, Karin." (-4.94 against
    # -4.95) is said back.
    clear = check_heard(
        "ring karin", [("ring karin", -0.33), ("ring karl", -2.23)], SHORT.get, margin, _restate
    )
    assert clear.candidate == "ring karin" and not clear.ask
    tie = check_heard(
        "ring karin", [("ring karin", -4.95), ("ring karl", -4.94)], SHORT.get, margin, _restate
    )
    assert tie.ask


# The decision as a property: whatever the scores, nothing is answered at once while a reading
# of another meaning is within the margin, or when the free transcript is clearly likelier.

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from device.speech.closed import OUT_OF_GRAMMAR  # noqa: E402

_READINGS = st.lists(
    st.tuples(st.sampled_from(sorted(MEANING)), st.floats(-12, 0, allow_nan=False)), max_size=8
)


@settings(max_examples=300, deadline=None)
@given(
    _READINGS,
    st.floats(-12, 0),
    st.floats(0, 3),
    st.floats(0, 4),
    st.one_of(st.none(), st.floats(0, 3)),
    st.booleans(),
    st.sampled_from([0.0, 0.25, 1.0]),
)
def test_no_reading_is_answered_at_once_with_another_meaning_within_the_margin(
    scored: list[tuple[str, float]],
    free: float,
    slack: float,
    margin: float,
    handoff: float | None,
    asking: bool,
    pool: float,
) -> None:
    ask = replace(ASK, between=_same_but_client) if asking else None
    verdict = decide(
        "vad ska jag göra hos greta",
        free,
        scored,
        MEANING.get,
        slack,
        margin,
        0,
        ask,
        handoff,
        pool=pool,
    )
    if verdict.candidate is None or verdict.ask:
        return
    chosen = MEANING[verdict.candidate]
    # The chosen meaning's score, its sentences pooled; every other meaning pools to at least
    # its best sentence, so each of those is a margin behind.
    best = next(
        score for score, text in by_meaning(scored, MEANING.get, pool) if text == verdict.candidate
    )
    assert all(best - score >= margin for text, score in scored if MEANING[text] != chosen)
    assert best >= free - slack
    assert handoff is None or best >= free - handoff


def test_a_free_transcript_clearly_likelier_than_every_sentence_is_handed_on() -> None:
    scored = [("har greta några allergier", -2.0), ("vem är sjuksköterskan", -5.0)]
    kept = decide("har greta allergier", -1.5, scored, MEANING.get, 1.0, 2.0, 0, ASK, handoff=1.0)
    assert (kept.candidate, kept.reason) == ("har greta några allergier", "chosen")
    out = decide("vad blir det för väder", -0.5, scored, MEANING.get, 2.0, 2.0, 0, ASK, 1.0)
    assert (out.candidate, out.ask, out.reason) == (None, False, OUT_OF_GRAMMAR)


NAMES = frozenset({"anna", "greta", "bertil", "karl"})


def test_a_name_misheard_in_part_is_heard_and_one_never_written_is_not() -> None:
    # Both from espeak-ng's Swedish, heard by Whisper base (bench/prior_sweep.py, 2026-12-05).
    karl = ["Vad ska jag tänka på buskar?", "Vad ska jag göra hönka på buskar?"]
    assert names_heard("vad ska jag tänka på hos karl", NAMES, karl, 70)
    olle = ["Vad har hon några för medicin?", "Vad har jag för medisin?"]
    assert not names_heard("vad har anna för medicin", NAMES, olle, 70)
    assert names_heard("vad har jag i dag", NAMES, olle, 70)  # no name: nothing to hear
    assert not names_heard("har greta några allergier", NAMES, ["", "  "], 70)


def test_a_clear_reading_whose_name_was_not_heard_is_said_back_not_answered() -> None:
    scored = [("vad ska jag göra hos greta", -1.0), ("vem är sjuksköterskan", -5.0)]
    heard = "vad ska jag göra hos henne"
    told = decide(heard, -1.0, scored, MEANING.get, 1.0, 2.0, 0, ASK, None, lambda _: False)
    assert (told.candidate, told.ask) == ("vad ska jag göra hos greta", True)
    assert told.reason.endswith(NAME_NOT_HEARD)
    plain = decide(heard, -1.0, scored, MEANING.get, 1.0, 2.0, 0, None, None, lambda _: False)
    assert plain.candidate is None and plain.reason == NAME_NOT_HEARD
    chosen = decide(heard, -1.0, scored, MEANING.get, 1.0, 2.0, 0, ASK, None, lambda _: True)
    assert (chosen.candidate, chosen.ask) == ("vad ska jag göra hos greta", False)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(MEANING)),
    st.lists(st.text(alphabet="abdeghiklmnorstuvåäö ", max_size=30), max_size=3),
    st.floats(0, 100),
)
def test_no_sentence_is_answered_at_once_with_a_name_nobody_wrote(
    sentence: str, heard: list[str], floor: float
) -> None:
    scored = [(sentence, -1.0), ("vem är sjuksköterskan", -9.0)]
    if sentence == "vem är sjuksköterskan":
        scored = [(sentence, -1.0)]

    def said(text: str) -> bool:
        return names_heard(text, NAMES, heard, floor)

    verdict = decide(" ".join(heard), -1.0, scored, MEANING.get, 1.0, 2.0, 0, ASK, None, said)
    if verdict.candidate is not None and not verdict.ask:
        assert said(verdict.candidate)
        for word in set(verdict.candidate.split()) & NAMES:
            assert any(
                fuzz.partial_ratio(sound_key(word), sound_key(normalize(h))) >= floor
                for h in heard
                if h.strip()
            )


def test_sentences_of_one_meaning_pooled_are_more_evidence_than_one() -> None:
    scored = [
        ("vem är mitt nästa besök", -2.0),
        ("vem är nästa besök", -2.1),
        ("vad ska jag göra hos greta", -1.8),
    ]
    alone = by_meaning(scored, MEANING.get)
    assert alone[0] == (-1.8, "vad ska jag göra hos greta")
    pooled = by_meaning(scored, MEANING.get, pool=0.5)
    assert pooled[0][1] == "vem är mitt nästa besök"
    assert abs(pooled[0][0] - (-2.0 + 0.5 * math.log(1 + math.exp(-0.2)))) < 1e-9


@settings(max_examples=300, deadline=None)
@given(_READINGS, st.floats(0.01, 2))
def test_a_pooled_meaning_scores_between_its_best_sentence_and_a_bound_above(
    scored: list[tuple[str, float]], pool: float
) -> None:
    for score, text in by_meaning(scored, MEANING.get, pool):
        mine = [s for t, s in scored if MEANING[t] == MEANING[text]]
        assert max(mine) - 1e-9 <= score <= max(mine) + pool * math.log(len(mine)) + 1e-9
        assert (max(mine), text) in {(s, t) for t, s in scored}
    assert by_meaning(scored, MEANING.get) == sorted(
        {
            MEANING[t]: max((s, u) for u, s in scored if MEANING[u] == MEANING[t])
            for t, _ in scored
        }.values(),
        reverse=True,
    )
