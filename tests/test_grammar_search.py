"""The grammar search (device/speech/grammar.py) with plain values, and the numpy Whisper decoder
it drives against CTranslate2's own and the real model on real (espeak-ng) audio.

The plain decoder here gives each next token a fixed log-probability that depends on the prefix
only, as a real decoder's does; the search must then find what brute force finds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device.speech.grammar import TokenTrie, search

END = 0
VOCABULARY = 8


class TableDecoder:
    """A decoder whose state is each hypothesis's token prefix; the next token's log-probability
    comes from a seeded generator of that prefix (the same prefix always gives the same row)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def row(self, prefix: tuple[int, ...]) -> npt.NDArray[np.float32]:
        rng = np.random.default_rng([self.seed, len(prefix), *prefix])
        logits = rng.normal(0, 2, VOCABULARY).astype(np.float32)
        out: npt.NDArray[np.float32] = logits - np.log(np.exp(logits).sum())
        return out

    def take(
        self, state: list[tuple[int, ...]], rows: npt.NDArray[np.intp]
    ) -> list[tuple[int, ...]]:
        return [state[int(r)] for r in rows]

    def step(
        self, state: list[tuple[int, ...]], tokens: npt.NDArray[np.intp]
    ) -> tuple[list[tuple[int, ...]], npt.NDArray[np.float32]]:
        grown = [(*prefix, *map(int, t)) for prefix, t in zip(state, tokens, strict=True)]
        return grown, np.stack([self.row(prefix) for prefix in grown])

    def score(self, tokens: tuple[int, ...]) -> float:
        """The whole sentence's summed log-probability, end of text included."""
        full = (*tokens, END)
        return float(sum(self.row(full[:i])[full[i]] for i in range(len(full))))


def run(decoder: TableDecoder, sentences: dict[str, tuple[int, ...]], **kw: float) -> list:
    trie = TokenTrie.of(list(sentences.items()), END)
    return search(trie, decoder, [()], decoder.row(())[None], **kw)  # type: ignore[arg-type]


def test_the_trie_groups_shared_prefixes_and_drops_duplicates() -> None:
    trie = TokenTrie.of([("a b", [3, 4]), ("a c", [3, 5]), ("a", [3]), ("again", [3, 4])], END)
    assert len(trie) == 3
    tokens, los, his = trie.children(0, len(trie), 0)
    assert tokens.tolist() == [3] and (los[0], his[0]) == (0, 3)
    tokens, los, his = trie.children(0, 3, 1)
    assert tokens.tolist() == [END, 4, 5]  # "a" ends here; "a b" and "a c" go on
    assert [trie.texts[i] for i in los] == ["a", "a b", "a c"]


def test_a_sentence_cut_short_pays_for_its_end() -> None:
    class Says34(TableDecoder):
        """Heard "3 4": after 3, the end of text is unlikely."""

        def row(self, prefix: tuple[int, ...]) -> npt.NDArray[np.float32]:
            row = np.full(VOCABULARY, -8.0, dtype=np.float32)
            row[{(): 3, (3,): 4}.get(prefix, END)] = -0.1
            return row

    found = run(Says34(0), {"short": (3,), "whole": (3, 4)}, beam=4, keep=2)
    assert [f.text for f in found] == ["whole", "short"]
    assert found[0].tokens == 3 and found[0].score == pytest.approx(-0.3)


sentence_sets = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=6),
    st.lists(st.integers(1, VOCABULARY - 1), min_size=1, max_size=5).map(tuple),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(sentence_sets, st.integers(0, 2**16))
def test_a_wide_enough_search_finds_the_best_sentence_brute_force_finds(
    sentences: dict[str, tuple[int, ...]], seed: int
) -> None:
    decoder = TableDecoder(seed)
    unique: dict[tuple[int, ...], str] = {}
    for text, tokens in sentences.items():
        unique.setdefault(tokens, text)  # of sentences written alike, the first is kept
    best = max(unique, key=lambda t: decoder.score(t) / (len(t) + 1))
    found = run(decoder, sentences, beam=64, keep=len(unique), recover=float("inf"))
    assert len(found) == len(unique)
    assert found[0].mean == pytest.approx(decoder.score(best) / (len(best) + 1), abs=1e-4)
    means = [f.mean for f in found]
    assert means == sorted(means, reverse=True)
    assert {f.text for f in found} == set(unique.values())


@settings(max_examples=40, deadline=None)
@given(sentence_sets, st.integers(0, 2**16), st.integers(1, 4), st.integers(1, 5))
def test_any_search_returns_grammar_sentences_with_their_true_scores(
    sentences: dict[str, tuple[int, ...]], seed: int, beam: int, keep: int
) -> None:
    decoder = TableDecoder(seed)
    found = run(decoder, sentences, beam=beam, keep=keep)
    assert 1 <= len(found) <= keep
    for f in found:
        assert decoder.score(sentences[f.text]) == pytest.approx(f.score, abs=1e-4)


def table_prior(decoder: TableDecoder, trie: TokenTrie):  # type: ignore[no-untyped-def]
    """The prior as ``grammar.Prior``: another table's log-probabilities of each node's children."""

    def prior(nodes):  # type: ignore[no-untyped-def]
        rows = [tuple(int(t) for t in trie.rows[lo, :depth]) for lo, _, depth in nodes]
        return [
            decoder.row(prefix)[trie.children(lo, hi, depth)[0]]
            for prefix, (lo, hi, depth) in zip(rows, nodes, strict=True)
        ]

    return prior


@settings(max_examples=60, deadline=None)
@given(sentence_sets, st.integers(0, 2**16), st.floats(0.0, 1.5))
def test_with_a_prior_the_search_finds_the_best_calibrated_sentence(
    sentences: dict[str, tuple[int, ...]], seed: int, alpha: float
) -> None:
    audio, silence = TableDecoder(seed), TableDecoder(seed + 1)
    unique: dict[tuple[int, ...], str] = {}
    for text, tokens in sentences.items():
        unique.setdefault(tokens, text)

    def calibrated(tokens: tuple[int, ...]) -> float:
        return (audio.score(tokens) - alpha * silence.score(tokens)) / (len(tokens) + 1)

    trie = TokenTrie.of(list(sentences.items()), END)
    found = search(  # type: ignore[misc]
        trie,
        audio,
        [()],
        audio.row(())[None],
        beam=64,
        keep=len(unique),
        recover=float("inf"),
        prior=table_prior(silence, trie),
        alpha=alpha,
    )
    assert found[0].mean == pytest.approx(max(calibrated(t) for t in unique), abs=1e-4)
    for f in found:
        tokens = next(t for t, text in unique.items() if text == f.text)
        assert f.mean == pytest.approx(calibrated(tokens), abs=1e-4)


def test_an_empty_grammar_finds_nothing() -> None:
    assert run(TableDecoder(1), {}) == []


# The real model: the numpy decoder against CTranslate2's, and a search of the care grammar.

from tests.conftest import MODELS, spoken  # noqa: E402


@pytest.fixture(scope="module")
def whisper() -> object:
    from device.speech.stt_whisper import WhisperStt

    return WhisperStt(MODELS / "whisper-base", threads=2, languages=("sv",))


def test_the_numpy_decoder_agrees_with_ctranslate2(whisper: object) -> None:
    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer

    from device.speech.tts_espeak import EspeakTts

    model = whisper._model  # type: ignore[attr-defined]
    samples = spoken(EspeakTts("sv"), "Vad ska jag göra hos Bertil?").to_stt().samples() / 32768.0
    features = model.feature_extractor(samples.astype(np.float32))
    padded = np.zeros((1, features.shape[0], 1000), dtype=np.float32)
    padded[0, :, : features.shape[-1]] = features[:, :1000]
    encoded = model.model.encode(ctranslate2.StorageView.from_array(padded))
    tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language="sv")
    start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    prefix = tokenizer.encode(" Vad ska")
    theirs = model.model.generate(
        encoded,
        [start + prefix],
        beam_size=1,
        max_length=len(start) + 2 * len(prefix) + 2,
        return_logits_vocab=True,
        suppress_blank=False,
        suppress_tokens=[],
    )[0].logits[0]
    decoder = whisper.decoder()  # type: ignore[attr-defined]
    state, mine = decoder.start(np.asarray(encoded)[0], start)
    rows = [mine[0]]
    for token in prefix:
        state, mine = decoder.step(state, np.asarray([[token]]))
        rows.append(mine[0])
    for ours, logits in zip(rows, theirs, strict=False):  # CTranslate2 quantises to int8
        logits = np.asarray(logits).ravel()
        reference = logits - np.log(np.exp(logits - logits.max()).sum()) - logits.max()
        mine_best, their_best = int(np.argmax(ours)), int(np.argmax(reference))
        # int8 against float: a near tie may swap the first two (seen on one CPU: 3775 against
        # 9958); each decoder's first must be within 0.5 nats of the first in the other's view.
        assert reference[their_best] - reference[mine_best] < 0.5
        assert ours[mine_best] - ours[their_best] < 0.5
        top = np.argsort(-reference)[:20]
        assert np.abs(ours[top] - reference[top]).max() < 0.5


def test_batched_scores_are_those_of_one_token_at_a_time(whisper: object) -> None:
    """``mean_logprobs`` (sorted by length, batched, padded, each prefix's distribution once)
    gives each text the mean of the log-probabilities ``step`` gives token by token, whatever
    the batch size or the order of the texts."""
    decoder = whisper.decoder()  # type: ignore[attr-defined]
    rng = np.random.default_rng(7)
    window = rng.normal(0, 1, (200, decoder.width)).astype(np.float32)
    start, end = [50258, 50300, 50359, 50363], 50257
    texts = [[int(t) for t in rng.integers(220, 9000, n)] for n in (1, 7, 3, 7, 12, 2, 5)]
    texts.append(texts[1][:4])  # a prefix of another text
    state, first = decoder.start(window, start)
    one_by_one = []
    for tokens in texts:
        total, now, row = 0.0, state, first
        for token in [*tokens, end]:
            total += float(row[0][token])
            now, row = decoder.step(now, np.asarray([[token]]))
        one_by_one.append(total / (len(tokens) + 1))
    for batch in (1, 3, 32):
        got = decoder.mean_logprobs(state, first, texts, end, batch=batch)
        assert got == pytest.approx(one_by_one, abs=1e-4)
    backwards = decoder.mean_logprobs(state, first, texts[::-1], end, batch=3)
    assert backwards == pytest.approx(one_by_one[::-1], abs=1e-4)


def test_the_grammar_search_finds_a_spoken_template_question(
    whisper: object, assistant: object
) -> None:
    from device.settings import SpeechSettings
    from device.speech.pipeline import VoicePipeline
    from device.speech.tts import Voices
    from device.speech.tts_espeak import EspeakTts

    pipeline = VoicePipeline(assistant, whisper, Voices({}, {}), False, SpeechSettings())  # type: ignore[arg-type]
    pipeline.prime()
    trie = pipeline.trie("sv")
    assert len(trie) > 100_000  # every sentence of the care grammar
    heard = whisper.hear(spoken(EspeakTts("sv"), "Vem är mitt nästa besök?"))  # type: ignore[attr-defined]
    found = heard.grammar(trie, 8, 6)
    print([(f.text, round(f.mean, 2)) for f in found], heard.timings_ms)
    assert found[0].text == "vem är mitt nästa besök"
    assert "stt_grammar" in heard.timings_ms


def test_with_the_grammar_search_off_domain_speech_gets_no_care_answer(
    whisper: object, assistant: object
) -> None:
    from device.settings import SpeechSettings
    from device.speech.pipeline import VoicePipeline
    from device.speech.tts import Voices
    from device.speech.tts_espeak import EspeakTts
    from tests.conftest import MORNING

    settings = SpeechSettings(closed_search="grammar")
    pipeline = VoicePipeline(assistant, whisper, Voices({}, {}), False, settings)  # type: ignore[arg-type]
    said = "Det regnar mycket i Göteborg i november och spårvagnarna är ofta försenade."
    heard = pipeline.hear(spoken(EspeakTts("sv"), said))
    print(heard.free_text, heard.decision, heard.scores, heard.timings_ms)
    assert "stt_grammar" in heard.timings_ms  # the search ran, and its reading was refused
    turn = pipeline.assistant.ask(heard.text, now=MORNING, unsure=heard.unsure)  # type: ignore[attr-defined]
    assert turn.outcome in ("unknown", "clarify", "no_data"), (heard.text, turn.intent)


def test_a_memoised_prior_gives_the_scores_of_one_computed_afresh(
    whisper: object, assistant: object
) -> None:
    from device.settings import SpeechSettings
    from device.speech.pipeline import VoicePipeline
    from device.speech.prior import GrammarPrior
    from device.speech.tts import Voices
    from device.speech.tts_espeak import EspeakTts

    pipeline = VoicePipeline(assistant, whisper, Voices({}, {}), False, SpeechSettings())  # type: ignore[arg-type]
    pipeline.prime()
    trie = pipeline.trie("sv")
    heard = whisper.hear(spoken(EspeakTts("sv"), "Vem är sjuksköterskan?"))  # type: ignore[attr-defined]
    first = heard.grammar(trie, 8, 6, 0.5)
    free = heard.free_mean
    memo: GrammarPrior = whisper._priors[-1][2]  # type: ignore[attr-defined]
    computed = memo.computed
    again = heard.grammar(trie, 8, 6, 0.5)  # every prefix memoised: nothing computed again
    assert memo.computed == computed > 0
    assert again == first and heard.free_mean == free
    whisper._priors.clear()  # type: ignore[attr-defined]
    afresh = heard.grammar(trie, 8, 6, 0.5)  # a new prior, computed as the search goes
    assert [f.text for f in afresh] == [f.text for f in first]
    assert [f.score for f in afresh] == pytest.approx([f.score for f in first], abs=1e-3)
    assert heard.free_mean == pytest.approx(free, abs=1e-4)
    # A deep prefix asked for alone (its shorter prefixes computed on the way), against the
    # decoder fed the whole prefix at once on the padding-only window.
    lone = GrammarPrior(memo.decoder, trie, memo.silence, memo.start)
    row = int(np.flatnonzero([t == first[0].text for t in trie.texts])[0])
    depth = int((trie.rows[row] >= 0).sum()) - 1  # the node before the end of text
    lo, hi = row, row + 1
    while lo > 0 and (trie.rows[lo - 1, :depth] == trie.rows[row, :depth]).all():
        lo -= 1
    while hi < len(trie) and (trie.rows[hi, :depth] == trie.rows[row, :depth]).all():
        hi += 1
    prefix = [int(t) for t in trie.rows[row, :depth]]
    _, scratch = memo.decoder.start(memo.silence, [*memo.start, *prefix])
    children = trie.children(lo, hi, depth)[0]
    assert lone([(lo, hi, depth)])[0] == pytest.approx(scratch[0][children], abs=1e-3)
    assert memo([(lo, hi, depth)])[0] == pytest.approx(scratch[0][children], abs=1e-3)
    print([(f.text, round(f.mean, 2)) for f in first], lone.computed, memo.computed)


def test_off_domain_speech_out_of_the_grammar_goes_to_the_text_path(
    whisper: object, assistant: object
) -> None:
    from device.settings import SpeechSettings
    from device.speech.closed import OUT_OF_GRAMMAR
    from device.speech.pipeline import VoicePipeline
    from device.speech.tts import Voices
    from device.speech.tts_espeak import EspeakTts
    from tests.conftest import MORNING

    settings = SpeechSettings(closed_search="grammar")
    pipeline = VoicePipeline(assistant, whisper, Voices({}, {}), False, settings)  # type: ignore[arg-type]
    heard = pipeline.hear(spoken(EspeakTts("sv"), "Kommer det att regna i Göteborg?"))
    print(heard.free_text, heard.decision, heard.scores)
    # The best grammar sentence is far behind what Whisper wrote: nothing is forced on it.
    assert heard.decision == OUT_OF_GRAMMAR
    assert heard.candidate is None and not heard.unsure and heard.text == heard.free_text
    turn = pipeline.assistant.ask(heard.text, now=MORNING)  # type: ignore[attr-defined]
    assert turn.outcome in ("unknown", "no_data"), (heard.text, turn.intent)


def test_sentences_scored_alone_get_the_scores_the_search_gave_them(
    whisper: object, assistant: object
) -> None:
    """The shortlist's sentences are scored as the search scores its own (issue 41): the whole
    window, the end of text, the prior subtracted; a prior memoised gives the scores of one
    computed afresh, and a batch gives the scores of one sentence at a time."""
    from device.settings import SpeechSettings
    from device.speech.pipeline import VoicePipeline
    from device.speech.tts import Voices
    from device.speech.tts_espeak import EspeakTts

    pipeline = VoicePipeline(assistant, whisper, Voices({}, {}), False, SpeechSettings())  # type: ignore[arg-type]
    pipeline.prime()
    trie = pipeline.trie("sv")
    heard = whisper.hear(spoken(EspeakTts("sv"), "Vem är sjuksköterskan?"))  # type: ignore[attr-defined]
    found = heard.grammar(trie, 8, 10, 0.5)
    written = [pipeline._sentence(f.text) for f in found]
    scores = heard.calibrated(written, 0.5)
    assert scores == pytest.approx([f.mean for f in found], abs=1e-3)
    assert heard.calibrated(written[:1], 0.5) == pytest.approx(scores[:1], abs=1e-4)
    whisper._text_priors.clear()  # type: ignore[attr-defined]
    assert heard.calibrated(list(reversed(written)), 0.5) == pytest.approx(
        list(reversed(scores)), abs=1e-4
    )
    plain = heard.calibrated(written, 0.0)  # without the prior: the audio alone
    assert all(p < 0 for p in plain) and plain != pytest.approx(scores, abs=1e-2)
    print(list(zip(written, [round(s, 2) for s in scores], strict=True)))


def test_the_decoder_of_the_whole_window_scores_is_loaded_before_the_first_question(
    assistant: object,
) -> None:
    from device.settings import SpeechSettings
    from device.speech.pipeline import VoicePipeline
    from device.speech.stt_whisper import WhisperStt
    from device.speech.tts import Voices

    for score, loaded in (("align", False), ("window", True)):
        fresh = WhisperStt(MODELS / "whisper-base", threads=2, languages=("sv",))
        settings = SpeechSettings(closed_score=score)  # type: ignore[arg-type]
        VoicePipeline(assistant, fresh, Voices({}, {}), False, settings).build_domains()  # type: ignore[arg-type]
        assert (fresh._decoder is not None) == loaded
