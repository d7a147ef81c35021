"""Grammar-constrained decoding: a beam search of Whisper's decoder through the care grammar.

Pure apart from the decoder it is handed: the grammar's sentences (as Whisper writes them,
tokenised, each ending in end-of-text) form a prefix tree, kept as the rows of a sorted token
matrix (a node is a range of rows sharing a prefix; its children are the distinct tokens of the
next column in that range). The search extends each hypothesis only by tokens that continue some
sentence, scores with the decoder's own log-probabilities and finishes a sentence only through its
end-of-text token, so a sentence cut short ("… hos" for "… hos Greta") pays for stopping early.
Whole sentences are compared by their mean log-probability per token, end-of-text included.
With a prior (``Prior``: the decoder's log-probabilities given a window of padding only), each
token is scored log p(token | audio) − α · log p(token | no speech): Whisper base's liking for
short, common sentences is taken out (measured: the right sentence first for 26 of 38 robotic
Swedish questions, against 15 without).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

Tokens = npt.NDArray[np.int32]
S = TypeVar("S")


class Decoder(Protocol[S]):
    """What the search needs of a decoder: hypotheses' states that can be selected (repeats allowed)
    and advanced by one token each, giving each one's next-token log-probabilities."""

    def take(self, state: S, rows: npt.NDArray[np.intp]) -> S: ...

    def step(self, state: S, tokens: npt.NDArray[np.intp]) -> tuple[S, npt.NDArray[np.float32]]: ...


# The prior's log-probabilities of each node's children (in ``TokenTrie.children`` order), for
# nodes (lo, hi, depth) of one depth: device/speech/prior.py memoises them per prefix.
Prior = Callable[[Sequence[tuple[int, int, int]]], list[npt.NDArray[np.float32]]]


@dataclass(frozen=True)
class TokenTrie:
    """Sentences' token sequences (each ending in ``end``), sorted, padded with -1; ``texts[i]``
    is the sentence of row i."""

    rows: Tokens
    texts: Sequence[str]
    end: int

    @staticmethod
    def of(sentences: Sequence[tuple[str, Sequence[int]]], end: int) -> TokenTrie:
        """``sentences``: (the sentence, its tokens without the end); of sentences written alike,
        the first is kept."""
        unique: dict[tuple[int, ...], str] = {}
        for text, tokens in sentences:
            if tokens:
                unique.setdefault(tuple(tokens), text)
        width = max((len(t) for t in unique), default=0) + 1
        rows = np.full((len(unique), width), -1, dtype=np.int32)
        texts = list(unique.values())
        for i, tokens in enumerate(unique):
            rows[i, : len(tokens)] = tokens
            rows[i, len(tokens)] = end
        order = np.lexsort(rows.T[::-1]) if len(rows) else np.zeros(0, dtype=np.intp)
        return TokenTrie(rows[order], [texts[i] for i in order], end)

    def __len__(self) -> int:
        return len(self.texts)

    def children(self, lo: int, hi: int, depth: int) -> tuple[Tokens, Tokens, Tokens]:
        """The next tokens after the prefix shared by rows ``lo``..``hi`` (of length ``depth``),
        and each one's own row range."""
        column = self.rows[lo:hi, depth]
        starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
        ends = np.r_[starts[1:], len(column)]
        return column[starts], (starts + lo).astype(np.int32), (ends + lo).astype(np.int32)


@dataclass(frozen=True)
class Found:
    """A whole sentence of the grammar: its text, summed log-probability (end-of-text included)
    and token count (end-of-text included)."""

    text: str
    score: float
    tokens: int

    @property
    def mean(self) -> float:
        return self.score / self.tokens


@dataclass(frozen=True)
class _Hypothesis:
    score: float
    lo: int
    hi: int
    depth: int
    row: int  # its row in the decoder state


def search(
    trie: TokenTrie,
    decoder: Decoder[S],
    state: S,
    first: npt.NDArray[np.float32],
    beam: int = 8,
    keep: int = 12,
    recover: float = 1.0,
    prior: Prior | None = None,
    alpha: float = 0.0,
) -> list[Found]:
    """The ``keep`` sentences of ``trie`` with the best mean log-probability per token found by a
    beam of ``beam`` hypotheses, best first. ``state`` holds one hypothesis (the start of the
    transcript); ``first`` its next-token log-probabilities.

    Hypotheses grow one token a step, so the beam compares summed scores of equal length; whole
    sentences are compared by their mean (summed, a short sentence such as "Vem är du?" beat the
    long one that was said). An open hypothesis is dropped once its mean is ``recover`` below the
    ``keep``-th sentence found: the right sentence's tokens cost about 1–2 nats each, a wrong
    one's 3–8. With ``prior``, every score is calibrated: minus ``alpha`` times the prior's."""
    if not len(trie):
        return []
    found: list[Found] = []
    hypotheses = [_Hypothesis(0.0, 0, len(trie), 0, 0)]
    logprobs = first
    while hypotheses:
        depth = hypotheses[0].depth + 1
        extended: list[tuple[float, int, int, int, int]] = []  # score, token, lo, hi, parent row
        nodes = [(h.lo, h.hi, h.depth) for h in hypotheses]
        priors = prior(nodes) if prior is not None and alpha else [None] * len(nodes)
        for h, expected in zip(hypotheses, priors, strict=True):
            tokens, los, his = trie.children(h.lo, h.hi, h.depth)
            scores = h.score + logprobs[h.row][tokens]
            if expected is not None:
                scores = scores - np.float32(alpha) * expected
            for token, lo, hi, score in zip(tokens, los, his, scores, strict=True):
                if token == trie.end:
                    found.append(Found(trie.texts[lo], float(score), depth))
                else:
                    extended.append((float(score), int(token), int(lo), int(hi), h.row))
        found = heapq.nlargest(keep, found, key=lambda f: f.mean)
        bar = found[-1].mean - recover if len(found) >= keep else -np.inf
        best = heapq.nlargest(beam, (e for e in extended if e[0] / depth > bar), key=lambda e: e[0])
        if not best:
            break
        parents = np.asarray([e[4] for e in best], dtype=np.intp)
        state, logprobs = decoder.step(
            decoder.take(state, parents), np.asarray([[e[1]] for e in best], dtype=np.intp)
        )
        hypotheses = [_Hypothesis(e[0], e[2], e[3], depth, i) for i, e in enumerate(best)]
    return found
