"""Whisper's prior over the care grammar: the decoder's log-probabilities of each next token given
a window of padding only (no speech), memoised per prefix of the grammar.

Whisper base scores short, common sentences high whatever was said ("Vem är du?" −1.98 a token
against −2.89 for "Vem är sjuksköterskan?", which was said). The grammar search subtracts α times
this prior from each token's score (device/speech/grammar.py). The padding-only window is the same
for every question, so for one grammar (one care-data snapshot) a prefix's prior never changes: it
is computed the first time a search reaches the prefix and kept. Each kept prefix holds its last
token's keys and values (24 KB for Whisper base), so its children are one decoder step away; past
``limit`` prefixes the memo starts again, between searches, never within one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.speech.grammar import TokenTrie
from device.speech.whisper_decoder import Array, State, WhisperDecoder


@dataclass(frozen=True)
class _Prefix:
    column: Array  # its last token's keys and values: (2, layers, heads, head width)
    children: npt.NDArray[np.float32]  # the prior of the trie's next tokens, in children() order


class TextPrior:
    """The prior's mean log-probability per token of whole texts (then the end of text), given a
    window of padding only: kept per token sequence, as the same sentences come up in question
    after question (the shortlist's). At most ``limit`` are kept; past that the memo starts
    again."""

    def __init__(
        self,
        decoder: WhisperDecoder,
        silence: Array,
        start: list[int],
        end: int,
        limit: int = 20_000,
    ) -> None:
        self.decoder, self.end, self.limit = decoder, end, limit
        self.root, first = decoder.start(silence, start)
        self.first: npt.NDArray[np.float32] = first[0].astype(np.float32)
        self._memo: dict[tuple[int, ...], float] = {}

    def __call__(self, texts: list[list[int]]) -> list[float]:
        keys = [tuple(t) for t in texts]
        if len(self._memo) + len(keys) > self.limit:
            self._memo.clear()
        missing = [key for key in dict.fromkeys(keys) if key not in self._memo]
        if missing:
            means = self.decoder.mean_logprobs(
                self.root, self.first[None], [list(t) for t in missing], self.end
            )
            self._memo.update(zip(missing, means, strict=True))
        return [self._memo[key] for key in keys]


class GrammarPrior:
    """Called with nodes (lo, hi, depth) of ``trie``, all of one depth: the prior's
    log-probabilities of each node's children (``grammar.Prior``)."""

    def __init__(
        self,
        decoder: WhisperDecoder,
        trie: TokenTrie,
        silence: Array,
        start: list[int],
        limit: int = 4096,
    ) -> None:
        """``silence``: the encoder's output for a window of padding only; ``start``: the
        start-of-transcript tokens the search starts from."""
        self.decoder = decoder
        self.trie = trie
        self.silence, self.start = silence, start
        self.limit = limit
        self.computed = 0  # prefixes computed, not found in the memo
        self._root, first = decoder.start(silence, start)
        self._first: npt.NDArray[np.float32] = first[0].astype(np.float32)
        self._memo: dict[bytes, _Prefix] = {}

    def __call__(self, nodes: Sequence[tuple[int, int, int]]) -> list[npt.NDArray[np.float32]]:
        if any(depth == 0 for _, _, depth in nodes) and len(self._memo) > self.limit:
            self._memo.clear()  # a search starts: its prefixes are memoised again as it goes
        known = {(lo, depth): hi for lo, hi, depth in nodes}
        for depth in range(1, max((d for _, _, d in nodes), default=0) + 1):
            wanted = {self._key(lo, depth): lo for lo, _, d in nodes if d >= depth}
            missing = [lo for key, lo in wanted.items() if key not in self._memo]
            if missing:  # in a search, only the nodes asked for: their parents were asked before
                self._compute(missing, depth, known)
        return [
            self._first[self.trie.children(lo, hi, 0)[0]]
            if depth == 0
            else self._memo[self._key(lo, depth)].children
            for lo, hi, depth in nodes
        ]

    def _key(self, row: int, depth: int) -> bytes:
        return self.trie.rows[row, :depth].tobytes()

    def _compute(self, rows: list[int], depth: int, known: dict[tuple[int, int], int]) -> None:
        """Memoise the prefixes of length ``depth`` of ``rows`` (their shorter prefixes are)."""
        chains = [[self._memo[self._key(row, d)].column for d in range(1, depth)] for row in rows]
        state = self._state(chains)
        last = np.asarray([[self.trie.rows[row, depth - 1]] for row in rows], dtype=np.intp)
        stepped, logprobs = self.decoder.step(state, last)
        for i, row in enumerate(rows):
            column = np.stack(
                [
                    np.stack([k[i, :, -1] for k in stepped.keys]),
                    np.stack([v[i, :, -1] for v in stepped.values]),
                ]
            )
            hi = known.get((row, depth))
            lo, hi = (row, hi) if hi is not None else self._range(row, depth)
            tokens = self.trie.children(lo, hi, depth)[0]
            children = logprobs[i][tokens].astype(np.float32)
            self._memo[self._key(row, depth)] = _Prefix(column, children)
        self.computed += len(rows)

    def _state(self, chains: list[list[Array]]) -> State:
        """The decoder's state after the start and each chain of memoised columns."""
        n = len(chains)
        keys, values = [], []
        for layer, (k_root, v_root) in enumerate(
            zip(self._root.keys, self._root.values, strict=True)
        ):
            parts = []
            for kind, root in ((0, k_root), (1, v_root)):
                own = np.asarray(
                    [[c[kind, layer] for c in chain] for chain in chains], dtype=np.float32
                ).reshape(n, -1, *root.shape[1:2], root.shape[3])  # (n, tokens, heads, width)
                parts.append(
                    np.concatenate([np.repeat(root, n, axis=0), own.transpose(0, 2, 1, 3)], 2)
                )
            keys.append(parts[0])
            values.append(parts[1])
        return State(keys, values, self._root.cross)

    def _range(self, row: int, depth: int) -> tuple[int, int]:
        """The rows sharing ``row``'s first ``depth`` tokens."""
        lo, hi = 0, len(self.trie)
        for d in range(depth):  # within a prefix's rows, the next column is sorted
            column = self.trie.rows[lo:hi, d]
            token = self.trie.rows[row, d]
            lo, hi = (
                lo + int(np.searchsorted(column, token, "left")),
                lo + int(np.searchsorted(column, token, "right")),
            )
        return lo, hi
