"""Reads a question no template reads by the template sentences nearest in meaning
(device/nlu/similar.py), with the sentence encoder (device/nlu/encoder.py).

The index of a care-data snapshot (about two thousand sentences) is built in the background when
the snapshot is loaded; a question asked before it is ready is not read this way (it gets the
next path or an honest "I don't know"), unless ``wait`` is set (one-shot questions, benchmarks).
Embedding a sentence takes 10–40 ms on two cores, so the vectors are kept in ``cache``, keyed by
a hash of the encoder's name and the masked sentence: the sentences there name no client and no
medicine (``similar.mask``), only the templates' words, relations and visit kinds.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from device.nlu.agreement import supported
from device.nlu.clauses import just_left
from device.nlu.clock import ClockTime
from device.nlu.encoder import EncoderError, SentenceEncoder
from device.nlu.numbers import minutes_said
from device.nlu.question import Question
from device.nlu.recognizer import LANGUAGES, Recognition, Recognizer
from device.nlu.similar import (
    NOT_SIMILAR,
    SAID_NUMBERS,
    Candidate,
    Example,
    Index,
    choose,
    fill,
    mask,
)
from device.settings import SimilarSettings

log = logging.getLogger("hemassist.similar")
_KEPT = 8  # indexes of recent snapshots kept (a benchmark switches between three bundles)
_CACHE_MAX = 50_000  # sentence vectors kept in the cache file (about 75 MB at most)
MASKS = {"medicinen": "medicine", "besöket": "visit_kind"}  # placeholder word: its slot list


class SimilarReader:
    def __init__(
        self,
        settings: SimilarSettings,
        wait: bool = False,
        encoder: Callable[[], SentenceEncoder] | None = None,
        cache: Path | None = None,
    ) -> None:
        self._settings = settings
        self._wait = wait
        self._cache = cache
        self._make_encoder = encoder or (lambda: SentenceEncoder(settings.threads))
        self._encoder: SentenceEncoder | None = None
        self._failed = False
        self._building = threading.Lock()  # one build at a time
        self._changed = threading.Condition()  # guards _indexes and _pending
        self._indexes: dict[tuple[str, str], Index] = {}
        self._pending: set[tuple[str, str]] = set()
        self._passages: dict[str, npt.NDArray[np.float32]] = {}  # this snapshot's, by hash
        self.build_ms: float | None = None

    def prepare(self, recognizer: Recognizer) -> None:
        """Build this snapshot's indexes in the background; with ``wait``, on the first question
        that needs one (a one-shot question pays for the language it is in only)."""
        self._passages = {}  # the last snapshot's records go with it
        if self._wait or not self._settings.enabled:
            return
        with self._changed:
            self._pending |= {(recognizer.fingerprint(lang), lang) for lang in LANGUAGES}

        def build() -> None:
            for lang in LANGUAGES:
                self._index(recognizer, lang)

        threading.Thread(target=build, name="similar-index", daemon=True).start()

    def read(
        self, question: Question, rec: Recognition, recognizer: Recognizer
    ) -> tuple[Recognition, bool] | None:
        """The reading of ``question`` (``rec``: the templates' unknown, with its language and day)
        and whether it is clear enough to answer at once; None: no reading near enough, or the
        index is not ready."""
        lang = rec.language
        if not self._settings.enabled:
            return None
        index = self._ready(recognizer, lang)
        encoder = self._encoder
        if index is None or encoder is None:
            return None
        names = recognizer.names
        text, said_text = question.said, question.plain
        vector = encoder.embed([mask(text, list(names.forms), _masks(recognizer, lang))])[0]
        clients = question.clients
        if len(clients) > 1:  # "klar hos Ahmed, hur länge till Karls lunch?": Karl's
            clients = tuple(c for c in clients if c not in just_left(text, names.named_in))
        extra = {k: v for k, v in rec.slots.items() if k == "day"}
        candidates: list[Candidate] = []
        seen: set[Any] = set()

        heard: dict[str, list[Any]] = {}

        def said(slot: str) -> list[Any]:  # once per slot, not per example
            if slot not in heard:
                heard[slot] = (
                    minutes_said(said_text, lang)
                    if slot in SAID_NUMBERS
                    else recognizer.values_in(text, lang, slot)
                )
            return heard[slot]

        # The question's ask decides what may answer it ("hur länge …" a length, "vem …" a
        # person): readings of another kind neither win nor stand in the way, nor fill the list.
        ask = question.asked
        if ask.kind == "until":  # "klar hos Bertil nu, hur lång tid till nästa?": not Bertil's
            clients = ()
        lengths = said("break_minutes") if ask.kind == "fits" else []  # read once, not per example
        supports: dict[str, bool] = {}
        for score, example in index.nearest(vector, self._settings.nearest * 4):
            if len(candidates) >= self._settings.nearest:
                break
            slots = fill(example, said_text, clients, said, extra)
            if slots is None or not ask.allows(example.intent, slots):
                continue
            if len(lengths) == 1 and "break_minutes" not in slots:  # "en timmes middagsrast"
                slots["break_minutes"] = lengths[0]
            # A reading no word of the question speaks for ("kan Karin äta nötter?" as her
            # medication) is never chosen, but still stands in the way of one that is.
            if example.intent not in supports:  # once per intent, not per example
                supports[example.intent] = supported(example.intent, said_text)
            candidate = Candidate(score, example.intent, slots, supports[example.intent])
            if candidate.key() not in seen:
                seen.add(candidate.key())
                candidates.append(candidate)
        best, clear = choose(candidates, self._settings.floor, self._settings.margin)
        if best is None:
            return None
        return Recognition(best.intent, lang, dict(best.slots), via="similar"), clear

    def nearest_records(self, question: str, sentences: Sequence[str]) -> list[float] | None:
        """The cosine of ``question`` with each recorded sentence (embedded once per snapshot,
        kept in memory by hash only); None when sentences in other words are not read, or the
        encoder is still loading."""
        if not self._settings.enabled or not sentences:
            return None
        encoder = self._load() if self._wait else self._encoder
        if encoder is None:
            return None
        keys = [hashlib.sha256(f"{encoder.name}\n{t}".encode()).hexdigest() for t in sentences]
        missing = {k: t for k, t in zip(keys, sentences, strict=True) if k not in self._passages}
        if missing:
            vectors = encoder.passages(list(missing.values()))
            self._passages.update(zip(missing, vectors, strict=True))
        asked = encoder.embed([question])[0]
        return [float(self._passages[k] @ asked) for k in keys]

    def _ready(self, recognizer: Recognizer, lang: str) -> Index | None:
        """The index, built now (``wait``), or awaited at most ``similar.wait_s`` while the
        background build runs (a question asked at start-up falls through, never stalls)."""
        if self._wait:
            return self._index(recognizer, lang)
        key = (recognizer.fingerprint(lang), lang)
        with self._changed:
            self._changed.wait_for(
                lambda: key in self._indexes or key not in self._pending,
                timeout=self._settings.wait_s,
            )
            return self._indexes.get(key)

    def _index(self, recognizer: Recognizer, lang: str) -> Index | None:
        key = (recognizer.fingerprint(lang), lang)
        with self._building:
            try:
                with self._changed:
                    if key in self._indexes:
                        return self._indexes[key]
                return self._build(recognizer, lang, key)
            finally:
                with self._changed:
                    self._pending.discard(key)
                    self._changed.notify_all()

    def _build(self, recognizer: Recognizer, lang: str, key: tuple[str, str]) -> Index | None:
        encoder = self._load()
        if encoder is None:
            return None
        started = time.perf_counter()
        forms, masks = list(recognizer.names.forms), _masks(recognizer, lang)
        examples = [
            Example(mask(text, forms, masks), reading.intent, tuple(reading.slots.items()))
            for text, reading in recognizer.examples(lang, self._settings.per_line)
            if reading.intent not in NOT_SIMILAR and _plain(reading)
        ]
        index = Index(
            examples, np.ascontiguousarray(self._vectors(encoder, [e.text for e in examples]))
        )
        with self._changed:
            if len(self._indexes) >= _KEPT:
                self._indexes.pop(next(iter(self._indexes)))
            self._indexes[key] = index
        self.build_ms = round((time.perf_counter() - started) * 1000, 1)
        log.info("similar-question index %s: %d sentences", lang, len(examples))
        return index

    def _vectors(self, encoder: SentenceEncoder, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The texts' vectors: from the cache file, the rest embedded (and added to it)."""
        keys = [hashlib.sha256(f"{encoder.name}\n{t}".encode()).hexdigest()[:32] for t in texts]
        cached = _read_cache(self._cache, encoder.dim)
        missing = sorted({t for k, t in zip(keys, texts, strict=True) if k not in cached})
        if missing:
            fresh = encoder.embed(missing)
            by_text = dict(zip(missing, fresh, strict=True))
            for key, text in zip(keys, texts, strict=True):
                if text in by_text:
                    cached[key] = by_text[text]
            _write_cache(self._cache, cached)
        if not keys:
            return np.zeros((0, encoder.dim), dtype=np.float32)
        return np.stack([cached[k] for k in keys]).astype(np.float32)

    def _load(self) -> SentenceEncoder | None:
        if self._encoder is None and not self._failed:
            try:
                self._encoder = self._make_encoder()
            except EncoderError as exc:
                self._failed = True
                log.warning("questions in other words are not read: %s", exc)
        return self._encoder


def _plain(reading: Recognition) -> bool:
    """A reading whose slots are words or codes (not clock times: a time must be heard)."""
    return not any(isinstance(v, ClockTime) for v in reading.slots.values())


def _masks(recognizer: Recognizer, lang: str) -> dict[str, list[str]]:
    return {word: recognizer.forms(lang, slot) for word, slot in MASKS.items()}


def _read_cache(path: Path | None, dim: int) -> dict[str, npt.NDArray[np.float32]]:
    """The cache file's vectors by key; empty when there is none or it can't be read (it is
    only a cache: rebuilt, never trusted for more than vectors of the right shape)."""
    if path is None or not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"]
            if vectors.ndim != 2 or vectors.shape[1] != dim or len(keys) != len(vectors):
                return {}
            return {str(k): v.astype(np.float32) for k, v in zip(keys, vectors, strict=True)}
    except (OSError, ValueError, KeyError) as exc:
        log.warning("similar-question cache not read (%s): rebuilt", type(exc).__name__)
        return {}


def _write_cache(path: Path | None, vectors: dict[str, npt.NDArray[np.float32]]) -> None:
    """Written whole to a temporary file and renamed (a killed process leaves the old one)."""
    if path is None:
        return
    kept = list(vectors.items())[-_CACHE_MAX:]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as handle:
            os.chmod(partial, 0o600)
            np.savez(
                handle,
                keys=np.asarray([k for k, _ in kept]),
                vectors=np.stack([v for _, v in kept]),
            )
        partial.replace(path)
    except OSError as exc:
        log.warning("similar-question cache not written (%s)", type(exc).__name__)
