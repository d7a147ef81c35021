"""faster-whisper speech-to-text (the only module that imports faster_whisper and ctranslate2): a
CTranslate2 model directory from settings; the initial prompt is a few example questions in the
language heard and the known names.

``hear`` encodes an utterance once and keeps the encoder output, so the free transcript and the
scoring of candidate sentences (closed-domain recognition, device/speech/closed.py) share it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer

from device.speech.audio import AudioChunk
from device.speech.closed import echoes
from device.speech.grammar import Found, TokenTrie, search
from device.speech.prior import GrammarPrior, TextPrior
from device.speech.stt import SttError, Transcript, told_apart
from device.speech.whisper_decoder import Array, State, WhisperDecoder

_MAX_TOKENS = 48  # a spoken question is short; stops a decoder that starts repeating itself
_TOKENS_PER_S = 8  # Swedish speech is about 5 tokens a second; more is a decoder running on
_MAX_PROMPT = 223  # Whisper's context is 448 tokens; the prompt gets at most half
_FLOOR = 1e-9
_SCORE_TAIL_FRAMES = 100  # encoder frames are 20 ms
_WITHIN_BEAM = 3  # transcripts within the templates' words: a beam of three, all three kept


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


@dataclass
class Heard:
    """One utterance, encoded: the free transcript, its language, and a scorer for other texts."""

    text: str
    language: str
    scorer: Any  # (texts) -> mean log-probability per token of each, given this audio
    timings_ms: dict[str, float] = field(default_factory=dict)
    echoed: bool = False  # the transcript repeats an example of the prompt word for word
    # (words) -> what Whisper writes when only the tokens of these words may be written
    rewriter: Any = None
    searcher: Any = None  # (trie, beam, keep, alpha) -> the grammar's likeliest sentences
    # (texts, alpha) -> each text's mean log-probability per token on the whole window, end of
    # text included, less alpha times Whisper's prior: as the grammar search scores
    calibrator: Any = None
    free_mean: float | None = None  # the free transcript scored as the grammar search scores

    def score(self, texts: list[str]) -> list[float]:
        started = time.perf_counter()
        scores: list[float] = self.scorer(texts)
        self.timings_ms["stt_score"] = _ms(started)
        return scores

    def grammar(self, trie: TokenTrie, beam: int, keep: int, alpha: float = 0.0) -> list[Found]:
        """The ``keep`` likeliest sentences of the care grammar ``trie`` (see grammar.py), scored
        less ``alpha`` times Whisper's prior (prior.py); ``free_mean`` is set alike."""
        if self.searcher is None:
            return []
        started = time.perf_counter()
        found: list[Found] = self.searcher(trie, beam, keep, alpha)
        self.timings_ms["stt_grammar"] = _ms(started)
        return found

    def calibrated(self, texts: list[str], alpha: float) -> list[float]:
        """Each text scored as the grammar search scores its sentences (``calibrator``)."""
        started = time.perf_counter()
        scores: list[float] = self.calibrator(texts, alpha) if texts else []
        self.timings_ms["stt_score"] = _ms(started)
        return scores

    def within(self, words: frozenset[str]) -> list[str]:
        """Transcripts written with the tokens of ``words`` only (best first; none without a
        rewriter): the templates' words, as Vosk's grammar holds its decoder to them."""
        if self.rewriter is None or not words:
            return []
        started = time.perf_counter()
        texts: list[str] = self.rewriter(words)
        self.timings_ms["stt_within"] = _ms(started)
        return texts


class WhisperStt:
    name = "whisper"

    def __init__(
        self,
        model_dir: Path,
        threads: int = 2,
        compute_type: str = "int8",
        languages: tuple[str, ...] = (),
        window_s: float = 10.0,
        examples: Mapping[str, str] | None = None,
        other_odds: float = 1.0,
    ) -> None:
        """``window_s``: seconds of audio the encoder sees (Whisper's own window is 30 s; the
        encoder's cost grows with it, 10 s encodes about 4x faster). ``examples``: per language,
        example questions that start the prompt (Whisper writes in the style of its prompt: with
        names alone it wrote lists of names for robotic Swedish). ``other_odds``: a language after
        the first of ``languages`` is heard only when Whisper finds it this many times likelier."""
        if not (model_dir / "model.bin").is_file():
            raise SttError(f"{model_dir} is not a CTranslate2 Whisper model (no model.bin)")
        self._model = WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=threads,
            local_files_only=True,
        )
        self.languages = self._languages = languages
        self._window_frames = int(min(max(window_s, 1.0), 30.0) * 100)  # 10 ms feature frames
        self._examples = dict(examples or {})
        self._other_odds = other_odds
        self._names = ""
        self._suppressed: dict[frozenset[str], list[int]] = {}  # per vocabulary (one a language)
        self._model_file = model_dir / "model.bin"
        self._decoder: WhisperDecoder | None = None  # loaded for the first grammar search
        self._priors: list[tuple[TokenTrie, int, GrammarPrior]] = []  # per grammar and window
        self._text_priors: dict[tuple[tuple[int, ...], int], TextPrior] = {}

    def prime(self, words: list[str], names: list[str]) -> None:
        capitalised = sorted({n.capitalize() for n in names if n[:1].isalpha()})
        self._names = ", ".join(capitalised) + "." if capitalised else ""

    def prompt(self, tokenizer: Tokenizer, language: str, names: bool = True) -> list[int]:
        """The initial prompt's tokens for ``language``: its example questions, then as many of
        the names as fit (Whisper's context is 448 tokens; the prompt gets at most half)."""
        examples = self._examples.get(language, "")
        first = tokenizer.encode(" " + examples)[:_MAX_PROMPT] if examples else []
        names = names and bool(self._names)
        named = tokenizer.encode(" " + self._names) if names else []
        return [*first, *named[: _MAX_PROMPT - len(first)]]

    def transcribe(self, audio: AudioChunk, open_vocabulary: bool = False) -> Transcript:
        return Transcript(self.hear(audio).text, self.name)

    def hear(self, audio: AudioChunk, names: bool = True) -> Heard:
        """Encode once; decode freely (greedy, after the prompt); keep the encoding. ``names``
        False leaves the names out of the prompt: for a "ja" or "nej", which Whisper wrote as a
        name from it ("Jörg." for "Ja")."""
        samples = audio.to_stt().samples().astype(np.float32) / 32768.0
        if len(samples) == 0:
            return Heard("", self._languages[0] if self._languages else "sv", lambda t: [])
        started = time.perf_counter()
        features = self._model.feature_extractor(samples)
        frames = min(features.shape[-1], 3000)
        padded = np.zeros((1, features.shape[0], self._window(frames)), dtype=np.float32)
        padded[0, :, :frames] = features[:, :frames]
        encoded = self._model.model.encode(ctranslate2.StorageView.from_array(padded))
        timings = {"stt_encode": _ms(started)}
        started = time.perf_counter()
        language = self._language_of(encoded)
        tokenizer = Tokenizer(self._model.hf_tokenizer, True, task="transcribe", language=language)
        start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        previous = self.prompt(tokenizer, language, names)
        prompt = [tokenizer.sot_prev, *previous, *start] if previous else start
        # max_length counts the prompt too.
        result = self._model.model.generate(
            encoded,
            [prompt],
            beam_size=1,
            max_length=len(prompt) + min(_MAX_TOKENS, 10 + frames * _TOKENS_PER_S // 100),
            no_repeat_ngram_size=3,  # "min min min …" to the end: seen on robotic Swedish
        )
        text = tokenizer.decode(result[0].sequences_ids[0]).strip()
        timings["stt_decode"] = _ms(started)

        def score(texts: list[str]) -> list[float]:
            if not texts:
                return []
            tokens = [tokenizer.encode(" " + t) or [tokenizer.eot] for t in texts]
            # Only the frames of the utterance and 2 s after it: the decoder's cross-attention
            # over all 1500 frames is most of the cost (5x faster; the right sentence still
            # stands out by about 3 nats per token from others on espeak-ng Swedish).
            kept = np.asarray(encoded)[:, : frames // 2 + _SCORE_TAIL_FRAMES]
            batch = ctranslate2.StorageView.from_array(
                np.ascontiguousarray(np.repeat(kept, len(tokens), axis=0))
            )
            aligned = self._model.model.align(batch, start, tokens, max(frames // 2, 1))
            return [float(np.mean(np.log(np.maximum(a.text_token_probs, _FLOOR)))) for a in aligned]

        def rewrite(words: frozenset[str]) -> list[str]:
            results = self._model.model.generate(
                encoded,
                [prompt],
                beam_size=_WITHIN_BEAM,
                num_hypotheses=_WITHIN_BEAM,
                max_length=len(prompt) + min(_MAX_TOKENS, 10 + frames * _TOKENS_PER_S // 100),
                suppress_tokens=self._suppress(tokenizer, words),
                suppress_blank=False,
            )
            return [tokenizer.decode(ids).strip() for ids in results[0].sequences_ids]

        opened: list[tuple[State, Array]] = []  # the decoder started on this audio, once

        def begin() -> tuple[State, Array]:
            # All of the encoded window: cut to the utterance, as for scoring above, the decoder
            # lost its way on every other question (it attends to the silence after speech too).
            if not opened:
                window = np.asarray(encoded)[0].astype(np.float32)
                opened.append(self.decoder().start(window, start))
            return opened[0]

        def calibrated(texts: list[str], alpha: float) -> list[float]:
            tokens = [tokenizer.encode(" " + t) for t in texts]
            state, first = begin()
            means = self.decoder().mean_logprobs(state, first, tokens, tokenizer.eot)
            if not alpha:
                return means
            prior = self.text_prior(start, padded.shape[-1], tokenizer.eot)(tokens)
            return [m - alpha * p for m, p in zip(means, prior, strict=True)]

        def grammar(trie: TokenTrie, beam: int, keep: int, alpha: float) -> list[Found]:
            state, first = begin()
            prior = self.prior(trie, start, padded.shape[-1]) if alpha else None
            found = search(trie, self.decoder(), state, first, beam, keep, prior=prior, alpha=alpha)
            heard.free_mean = calibrated([text], alpha)[0]
            return found

        echoed = echoes(text, self._examples.get(language, ""))
        heard = Heard(text, language, score, timings, echoed, rewrite, grammar, calibrated)
        return heard

    def decoder(self) -> WhisperDecoder:
        """The numpy decoder of the grammar search, loaded on first use (about 210 MB)."""
        if self._decoder is None:
            self._decoder = WhisperDecoder(self._model_file)
        return self._decoder

    def prior(self, trie: TokenTrie, start: list[int], frames: int) -> GrammarPrior:
        """Whisper's prior over ``trie`` for a window of ``frames`` feature frames of padding only
        (zeros, as ``hear`` pads: log-mel silence measured worse), kept per grammar and window:
        once per care-data snapshot."""
        for trie_, frames_, prior in self._priors:
            if trie_ is trie and frames_ == frames:
                return prior
        prior = GrammarPrior(self.decoder(), trie, self._silence(frames), start)
        self._priors = [*self._priors[-3:], (trie, frames, prior)]  # old snapshots' go
        return prior

    def text_prior(self, start: list[int], frames: int, end: int) -> TextPrior:
        """Whisper's prior of whole texts for a window of ``frames`` of padding only, kept per
        start (language) and window: the memo fills as sentences are scored."""
        key = (tuple(start), frames)
        if key not in self._text_priors:
            if len(self._text_priors) >= 4:  # a long utterance's wider window: forget the oldest
                del self._text_priors[next(iter(self._text_priors))]
            self._text_priors[key] = TextPrior(self.decoder(), self._silence(frames), start, end)
        return self._text_priors[key]

    def _silence(self, frames: int) -> Array:
        mels = self._model.feature_extractor.mel_filters.shape[0]
        silence = np.zeros((1, mels, frames), dtype=np.float32)
        encoded = self._model.model.encode(ctranslate2.StorageView.from_array(silence))
        silence_out: Array = np.asarray(encoded)[0].astype(np.float32)
        return silence_out

    def compile(self, sentences: list[tuple[str, str]], language: str) -> TokenTrie:
        """The prefix tree of the care grammar: (sentence, as Whisper would write it) pairs,
        tokenised in one batch; built once per care-data snapshot and language."""
        tokenizer = Tokenizer(self._model.hf_tokenizer, True, task="transcribe", language=language)
        encoded = self._model.hf_tokenizer.encode_batch(
            [" " + written for _, written in sentences], add_special_tokens=False
        )
        return TokenTrie.of(
            [(text, ids.ids) for (text, _), ids in zip(sentences, encoded, strict=True)],
            tokenizer.eot,
        )

    def _suppress(self, tokenizer: Tokenizer, words: frozenset[str]) -> list[int]:
        """Every token but those that spell ``words`` (lower-case and capitalised, after a
        space or not), punctuation and the end: kept per vocabulary, a language's is built once
        per care-data snapshot."""
        if words not in self._suppressed:
            allowed = {tokenizer.eot}
            for word in words:
                for form in (word, word.capitalize()):
                    allowed.update(tokenizer.encode(" " + form))
                    allowed.update(tokenizer.encode(form))
            for mark in ("?", ".", ",", "!"):
                allowed.update(tokenizer.encode(mark))
            if len(self._suppressed) > 4:  # old snapshots' vocabularies
                self._suppressed.clear()
            every = self._model.hf_tokenizer.get_vocab_size()
            self._suppressed[words] = [t for t in range(every) if t not in allowed]
        return self._suppressed[words]

    def _window(self, frames: int) -> int:
        """Feature frames to encode: the configured window, or the utterance and 3 s after it
        when that is longer; whole seconds, at most Whisper's 30 s. Shorter windows than
        about 10 s made Whisper repeat short phrases ("Say that again. Say that again.")."""
        needed = -(-(frames + 300) // 100) * 100
        return min(3000, max(self._window_frames, needed))

    def _language_of(self, encoded: Any) -> str:
        """The one allowed language, or among the allowed ones the first unless another is
        ``other_odds`` times likelier (Whisper's own detection over all its languages would take
        Swedish for Norwegian now and then; between Swedish and English at even odds it took
        espeak-ng's Swedish for English 39 times in 42)."""
        if len(self._languages) == 1:
            return self._languages[0]
        every = dict(self._model.model.detect_language(encoded)[0])
        allowed = self._languages or ("sv", "en")
        found = {lang: every.get(f"<|{lang}|>", 0.0) for lang in allowed}
        return told_apart(found, allowed, self._other_odds)
