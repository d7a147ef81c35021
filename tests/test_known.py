"""The words the assistant knows (device/nlu/known.py): a question with a word outside them is
not answered at once from a reading found by similarity (issue 39)."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from device.nlu.agreement import says_only_known
from device.nlu.known import FUNCTION_WORDS, Known, unheard
from device.nlu.question import read_question
from device.nlu.text import normalize

KNOWN = Known.of(["när ska jag till nn", "vad tycker nn om", "Anna Andersson", "Hunden heter Max"])


def test_a_word_no_template_or_record_holds_is_unheard() -> None:
    assert unheard("När fyller Anna år?", KNOWN) == ["fyller", "år"]
    assert unheard("Vilken färg tycker Anna bäst om?", KNOWN) == ["vilken", "färg", "bäst"]


def test_known_words_stems_genitives_and_digits_are_heard() -> None:
    assert unheard("När ska jag till Annas hund?", KNOWN) == []  # "hund" from "Hunden"
    assert unheard("när ska jag till anna 14", KNOWN) == []
    assert unheard("och när ska jag till Anna", KNOWN) == []
    assert unheard("Annas hund, när ska jag till den nu igen?", KNOWN) == []  # a pronoun


def test_an_intents_own_words_count_as_known() -> None:
    # "färg" is nobody's word; "allergisk" is a word of the flags, not of the visit's time.
    assert not says_only_known("visit_time", read_question("När fyller Anna år?", "sv"), KNOWN)
    assert says_only_known("visit_time", read_question("När ska jag till Anna?", "sv"), KNOWN)
    assert says_only_known(
        "flags", read_question("Är Anna allergisk?", "sv"), Known.of(["är anna"])
    )
    assert not says_only_known(
        "visit_time", read_question("Är Anna allergisk?", "sv"), Known.of(["är anna"])
    )


_VOCAB = st.lists(st.from_regex(r"[a-zåäö]{2,9}", fullmatch=True), min_size=1, max_size=12)


@given(_VOCAB, st.data())
def test_a_question_of_known_words_has_nothing_unheard(
    vocab: list[str], data: st.DataObject
) -> None:
    known = Known.of([" ".join(vocab)])
    words = data.draw(st.lists(st.sampled_from(vocab + sorted(FUNCTION_WORDS)), max_size=8))
    assert unheard(" ".join(words), known) == []


@given(_VOCAB, st.from_regex(r"[a-zåäö]{2,12}", fullmatch=True))
def test_an_unheard_word_is_reported_only_when_nothing_known_shares_its_stem(
    vocab: list[str], word: str
) -> None:
    assume(normalize(word) == word)  # "im" is spelled out as "i am"
    known = Known.of([" ".join(vocab)])
    if word in unheard(f"{vocab[0]} {word}", known):
        assert word not in vocab and word not in FUNCTION_WORDS and not known.knows(word)
    else:
        assert known.knows(word) or known.knows(word[:-1])
