"""Whisper's text decoder in numpy, with a key/value cache: the one module that reads a
CTranslate2 ``model.bin`` itself.

Why not CTranslate2's own decoder: its Python API decodes a prefix from scratch on every call
(the cross-attention keys of the audio are computed again for every hypothesis, every step), so a
search of the care grammar through it took seconds. Here the audio's cross-attention keys are
computed once per utterance and shared by every hypothesis, and each step runs one token per
hypothesis. The weights are the model file's own (float16, widened to float32 for numpy's BLAS):
about 210 MB, read once.

The layout is OpenAI Whisper's decoder as CTranslate2 stores it: pre-norm blocks of self-attention
(fused q/k/v), cross-attention (q; fused k/v of the encoder output) and a GELU feed-forward, a
final layer norm, and the output projection tied to the token embeddings.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.floating[Any]]  # float32 throughout; numpy stubs widen some results
_TYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
_EPS = 1e-5


class DecoderFileError(ValueError):
    """The model file is not a CTranslate2 Whisper model this decoder can read."""


def _read_variables(path: Path) -> dict[str, npt.NDArray[np.generic]]:
    """The decoder's variables of a CTranslate2 model file (binary version 6), as arrays."""
    with path.open("rb") as file:  # mapped, not read: only the decoder's part is copied
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    data = memoryview(mapped)
    offset = 0

    def take(fmt: str) -> int:
        nonlocal offset
        (value,) = struct.unpack_from(fmt, data, offset)
        offset += struct.calcsize(fmt)
        return int(value)

    def text() -> str:
        nonlocal offset
        length = take("H")
        value = bytes(data[offset : offset + length - 1]).decode("utf-8")
        offset += length
        return value

    if take("I") != 6:
        raise DecoderFileError(f"{path}: not a CTranslate2 model of binary version 6")
    if text() != "WhisperSpec":
        raise DecoderFileError(f"{path}: not a Whisper model")
    take("I")  # the spec's revision
    variables: dict[str, npt.NDArray[np.generic]] = {}
    for _ in range(take("I")):
        name = text()
        shape = [take("I") for _ in range(take("B"))]
        kind, size = take("B"), take("I")
        if name.startswith("decoder/") and kind in _TYPES:
            raw = np.frombuffer(data[offset : offset + size], dtype=_TYPES[kind])
            widened = raw.astype(np.float32) if kind == 4 else raw.copy()
            variables[name] = widened.reshape(shape) if shape else widened
        offset += size
    return variables


def _layer_norm(x: Array, gamma: Array, beta: Array) -> Array:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(-1, keepdims=True)
    out: Array = centred / np.sqrt(variance + _EPS) * gamma + beta
    return out


def _gelu(x: Array) -> Array:
    """Exact GELU, x·Φ(x), with erf from Abramowitz and Stegun 7.1.26 (error below 1.5e-7;
    numpy has no erf). Computed in place in two buffers: the feed-forward's (tokens, 2048)
    activations made the plain expression's temporaries a sixth of the scoring time."""
    z = np.abs(x) * np.float32(1 / np.sqrt(2.0))
    t = np.multiply(z, np.float32(0.3275911))
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z
    np.subtract(1.0, poly, out=poly)  # erf(|x| / √2)
    poly *= np.sign(x)
    poly += 1.0
    poly *= x
    poly *= np.float32(0.5)
    return poly


def _linear(x: Array, weights: tuple[Array, Array]) -> Array:
    """``x @ weight + bias`` as one matrix product (numpy multiplies a stack of (1, width) rows one
    by one, reading the weights once per row)."""
    flat = x.reshape(-1, x.shape[-1]) @ weights[0] + weights[1]
    out: Array = flat.reshape(*x.shape[:-1], -1)
    return out


def _softmax(x: Array) -> Array:
    """Over the last axis, in place: ``x`` is a scratch array of attention scores."""
    x -= x.max(-1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(-1, keepdims=True)
    return x


@dataclass
class _Layer:
    self_norm: tuple[Array, Array]
    qkv: tuple[Array, Array]  # weight transposed (512, 1536), bias
    self_out: tuple[Array, Array]
    cross_norm: tuple[Array, Array]
    cross_q: tuple[Array, Array]
    cross_kv: tuple[Array, Array]
    cross_out: tuple[Array, Array]
    ffn_norm: tuple[Array, Array]
    ffn_in: tuple[Array, Array]
    ffn_out: tuple[Array, Array]


@dataclass
class State:
    """Hypotheses being decoded against one utterance: each one's self-attention keys and values
    so far (per layer, ``(hypotheses, heads, tokens, 64)``) and the utterance's cross-attention
    keys and values (per layer, ``(heads, frames, 64)``, shared by all)."""

    keys: list[Array]
    values: list[Array]
    cross: list[tuple[Array, Array]]

    @property
    def length(self) -> int:
        return int(self.keys[0].shape[2])

    def take(self, rows: npt.NDArray[np.intp]) -> State:
        """The state of the hypotheses ``rows`` (repeats allowed: a hypothesis that branches)."""
        return State([k[rows] for k in self.keys], [v[rows] for v in self.values], self.cross)


class WhisperDecoder:
    def __init__(self, model_file: Path) -> None:
        v = {name: a.astype(np.float32) for name, a in _read_variables(model_file).items()}
        try:
            self.heads = int(v["decoder/num_heads"].item())
            self.embeddings = np.ascontiguousarray(v["decoder/embeddings/weight"])
            self.positions = v["decoder/position_encodings/encodings"]
            self.final_norm = (v["decoder/layer_norm/gamma"], v["decoder/layer_norm/beta"])
            self.layers = [self._layer(v, f"decoder/layer_{i}") for i in range(self._count(v))]
        except KeyError as missing:
            raise DecoderFileError(f"{model_file}: no {missing} in the model") from None
        self.projection = np.ascontiguousarray(self.embeddings.T)  # (512, vocabulary)
        del self.embeddings  # rows are read from the projection's columns
        self.width = self.projection.shape[0]

    @staticmethod
    def _count(v: dict[str, Array]) -> int:
        return sum(1 for name in v if name.endswith("/ffn/linear_0/weight"))

    @staticmethod
    def _layer(v: dict[str, Array], at: str) -> _Layer:
        def norm(part: str) -> tuple[Array, Array]:
            return v[f"{at}/{part}/layer_norm/gamma"], v[f"{at}/{part}/layer_norm/beta"]

        def linear(part: str) -> tuple[Array, Array]:
            return np.ascontiguousarray(v[f"{at}/{part}/weight"].T), v[f"{at}/{part}/bias"]

        return _Layer(
            norm("self_attention"),
            linear("self_attention/linear_0"),
            linear("self_attention/linear_1"),
            norm("attention"),
            linear("attention/linear_0"),
            linear("attention/linear_1"),
            linear("attention/linear_2"),
            norm("ffn"),
            linear("ffn/linear_0"),
            linear("ffn/linear_1"),
        )

    def _split(self, x: Array) -> Array:
        """(n, tokens, width) → (n, heads, tokens, width / heads)."""
        n, tokens, _ = x.shape
        return x.reshape(n, tokens, self.heads, -1).transpose(0, 2, 1, 3)

    def start(self, encoded: Array, tokens: list[int]) -> tuple[State, Array]:
        """Begin one hypothesis on the encoder output ``encoded`` (frames, width) with the
        forced ``tokens`` (the start-of-transcript sequence); returns its state and the
        log-probabilities of the next token."""
        cross = []
        for layer in self.layers:
            kv = _linear(encoded, layer.cross_kv)
            k, v = np.split(kv[None], 2, axis=-1)
            cross.append((self._split(k)[0], self._split(v)[0]))
        empty = np.zeros((1, self.heads, 0, self.width // self.heads), dtype=np.float32)
        state = State([empty] * len(self.layers), [empty] * len(self.layers), cross)
        return self.step(state, np.asarray([tokens], dtype=np.intp))

    def step(
        self, state: State, tokens: npt.NDArray[np.intp], every: bool = False
    ) -> tuple[State, Array]:
        """Feed ``tokens`` (hypotheses, k) after each hypothesis's past; returns the new state and
        the next token's log-probabilities after the last of them (hypotheses, vocabulary), or
        with ``every`` after each of them (hypotheses, k, vocabulary)."""
        state, x = self._hidden(state, tokens)
        return state, self._logprobs(x if every else x[:, -1])

    def _hidden(self, state: State, tokens: npt.NDArray[np.intp]) -> tuple[State, Array]:
        """Feed ``tokens`` (hypotheses, k): the new state and the hidden state after each."""
        length = tokens.shape[1]
        past = state.length
        x = self.projection.T[tokens] + self.positions[past : past + length]
        scale = np.float32((self.width // self.heads) ** -0.5)
        causal = np.triu(np.full((length, past + length), -np.inf, dtype=np.float32), past + 1)
        keys, values = [], []
        for layer, k_past, v_past, (k_cross, v_cross) in zip(
            self.layers, state.keys, state.values, state.cross, strict=True
        ):
            h = _linear(_layer_norm(x, *layer.self_norm), layer.qkv)
            q, k, v = (self._split(part) for part in np.split(h, 3, axis=-1))
            k = np.concatenate([k_past, k], axis=2)
            v = np.concatenate([v_past, v], axis=2)
            keys.append(k)
            values.append(v)
            attention = _softmax((q * scale) @ k.transpose(0, 1, 3, 2) + causal)
            x = x + _linear(self._merge(attention @ v), layer.self_out)
            x = x + _linear(self._cross(x, layer, k_cross, v_cross, scale), layer.cross_out)
            h = _gelu(_linear(_layer_norm(x, *layer.ffn_norm), layer.ffn_in))
            x = x + _linear(h, layer.ffn_out)
        return State(keys, values, state.cross), x

    def _cross(self, x: Array, layer: _Layer, keys: Array, values: Array, scale: Any) -> Array:
        """Cross-attention of hidden states ``x`` (n, tokens, width) to the one utterance: every
        hypothesis's queries in one product per head (numpy multiplies a stack of small matrices
        one by one), (n, tokens, width) out."""
        n, tokens, _ = x.shape
        q = _linear(_layer_norm(x, *layer.cross_norm), layer.cross_q) * scale
        q = q.reshape(n * tokens, self.heads, -1).transpose(1, 0, 2)  # (heads, n·tokens, 64)
        mixed = _softmax(q @ keys.transpose(0, 2, 1)) @ values
        out: Array = mixed.transpose(1, 0, 2).reshape(n, tokens, self.width)
        return out

    def _logprobs(self, x: Array) -> Array:
        """The next token's log-probabilities after hidden states ``x`` (…, width)."""
        logits = _layer_norm(x, *self.final_norm) @ self.projection
        top = logits.max(-1, keepdims=True)
        normaliser = np.log(np.exp(logits - top).sum(-1, keepdims=True)) + top
        return logits - normaliser  # type: ignore[no-any-return]

    def mean_logprob(self, state: State, first: Array, tokens: list[int], end: int) -> float:
        """The mean log-probability per token of ``tokens`` then the end of text, after the one
        hypothesis of ``state`` whose next-token log-probabilities are ``first``: a free
        transcript scored as the grammar's sentences are."""
        return self.mean_logprobs(state, first, [tokens], end)[0]

    def mean_logprobs(
        self, state: State, first: Array, texts: list[list[int]], end: int, batch: int = 32
    ) -> list[float]:
        """``mean_logprob`` of each token sequence of ``texts``, fed ``batch`` at a time, shortest
        first: a batch is padded to its longest (attention is causal, so padding never changes
        the states before it), and sorting by length keeps the padding small. The distribution
        over the vocabulary, most of the cost, is computed once per distinct prefix in a batch."""
        order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), texts[i]))
        out = [0.0] * len(texts)
        for at in range(0, len(order), batch):
            which = order[at : at + batch]
            means = self._batch(state, first, [texts[i] for i in which], end)
            for i, mean in zip(which, means, strict=True):
                out[i] = mean
        return out

    def _batch(self, state: State, first: Array, texts: list[list[int]], end: int) -> list[float]:
        """``mean_logprobs`` of one batch, fed together."""
        part = [t or [end] for t in texts]  # empty: the end of text alone
        width = max(len(t) for t in part)
        fed = np.full((len(part), width), end, dtype=np.intp)
        for i, tokens in enumerate(part):
            fed[i, : len(tokens)] = tokens
        x = self._hidden(state.take(np.zeros(len(part), dtype=np.intp)), fed)[1]
        prefixes: dict[tuple[int, ...], tuple[int, int]] = {}  # prefix -> (text, position)
        for i, tokens in enumerate(part):
            for j in range(len(tokens)):
                prefixes.setdefault(tuple(tokens[: j + 1]), (i, j))
        rows = x[[i for i, _ in prefixes.values()], [j for _, j in prefixes.values()]]
        index = {prefix: n for n, prefix in enumerate(prefixes)}
        wanted = [  # (distinct prefix, the token after it) for every token scored
            [(index[tuple(tokens[: j + 1])], nxt) for j, nxt in enumerate([*tokens[1:], end])]
            for tokens in part
        ]
        picked = self._picked(rows, [pair for pairs in wanted for pair in pairs])
        out, at_pair = [], 0
        for tokens, pairs, original in zip(part, wanted, texts, strict=True):
            total = float(first[0][tokens[0]]) + sum(picked[at_pair : at_pair + len(pairs)])
            at_pair += len(pairs)
            out.append(total / (len(tokens) + 1) if original else float(first[0][end]))
        return out

    def _picked(self, rows: Array, pairs: list[tuple[int, int]], chunk: int = 128) -> list[float]:
        """The log-probability of each (row of hidden states ``rows``, token) pair, the
        vocabulary's distribution computed ``chunk`` rows at a time (a row is 200 KB)."""
        out = np.zeros(len(pairs), dtype=np.float64)
        which = np.asarray([r for r, _ in pairs], dtype=np.intp)
        tokens = np.asarray([t for _, t in pairs], dtype=np.intp)
        for lo in range(0, len(rows), chunk):
            # Only the picked logits and each row's normaliser are needed: the exponentials are
            # taken in place, with no second (rows, vocabulary) array.
            logits = _layer_norm(rows[lo : lo + chunk], *self.final_norm) @ self.projection
            inside = (which >= lo) & (which < lo + chunk)
            at = which[inside] - lo
            wanted = logits[at, tokens[inside]]
            top = logits.max(-1, keepdims=True)
            logits -= top
            np.exp(logits, out=logits)
            normaliser = np.log(logits.sum(-1)) + top[:, 0]
            out[inside] = wanted - normaliser[at]
        return [float(v) for v in out]

    def _merge(self, x: Array) -> Array:
        n, _, tokens, _ = x.shape
        return x.transpose(0, 2, 1, 3).reshape(n, tokens, self.width)

    def take(self, state: State, rows: npt.NDArray[np.intp]) -> State:
        return state.take(rows)
