"""The forward pass of all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT encoder) in numpy.

The weights are read straight from the release's `model.safetensors`, memory-mapped: the 87 MiB of
float32 are pages of one file that every worker process shares, not a private copy each. The
computation is BERT's, in float32: embeddings (word + position + token type) and LayerNorm, then
per layer multi-head self-attention with the padding masked, a residual and LayerNorm, a GELU
(erf) feed-forward, a residual and LayerNorm; the sentence vector is the mean of the last hidden
states over the real tokens, L2-normalised (sentence-transformers' Pooling and Normalize).
"""

from __future__ import annotations

import json
import math
import mmap
import struct
from pathlib import Path

import numpy as np

HIDDEN = 384
HEADS = 12
LAYERS = 6
LAYER_NORM_EPS = 1e-12
# Token rows per block of the feed-forward and the attention softmax: 128 rows of 1536 float32
# (768 KiB) stay in cache between the matrix product and the element-wise work.
ROWS_PER_BLOCK = 128

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file as read-only arrays over one shared memory map."""
    with open(path, "rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    (header_size,) = struct.unpack("<Q", mapped[:8])
    header = json.loads(mapped[8 : 8 + header_size])
    base = 8 + header_size
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(_DTYPES[spec["dtype"]]).newbyteorder("<")
        start, end = spec["data_offsets"]
        count = (end - start) // dtype.itemsize
        array = np.frombuffer(mapped, dtype=dtype, count=count, offset=base + start)
        tensors[name] = array.reshape(spec["shape"])
    return tensors


_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027,
                                        1.061405429))
_INV_SQRT2 = np.float32(1.0 / math.sqrt(2.0))


def _erfc_abs(a: np.ndarray) -> np.ndarray:
    """1 - erf(a) for a >= 0, to within 1.5e-7 (Abramowitz and Stegun 7.1.26): numpy has no erf,
    and the model's GELU is the exact (erf) one. Overwrites `a`."""
    t = a * _ERF_P
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * _ERF_A[4]
    for coefficient in reversed(_ERF_A[:4]):
        poly += coefficient
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a
    return poly


def _erf(x: np.ndarray) -> np.ndarray:
    return np.copysign(np.float32(1.0) - _erfc_abs(np.abs(x)), x)


def gelu_(x: np.ndarray) -> np.ndarray:
    """x * (1 + erf(x / sqrt 2)) / 2, in place (the activations are large: few temporaries)."""
    z = np.multiply(x, _INV_SQRT2)
    np.abs(z, out=z)
    half = _erfc_abs(z)  # 1 - erf(|x| / sqrt 2)
    np.subtract(np.float32(1.0), half, out=half)
    np.copysign(half, x, out=half)  # erf(x / sqrt 2)
    half += 1.0
    half *= 0.5
    x *= half
    return x


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(variance + np.float32(LAYER_NORM_EPS)) * weight + bias


def _rows_in(weight: np.ndarray) -> np.ndarray:
    """A stored (out, in) weight as a contiguous (in, out) matrix, so that `x @ w` reads rows."""
    return np.ascontiguousarray(weight.T)


class MiniLM:
    """The encoder over memory-mapped weights; `sentence_vectors(ids, mask)` gives unit vectors.

    Query, key and value projections are fused into one (384, 1152) matrix per layer with the
    attention scale folded into the query part, and every layer's matrices are kept as (in, out)
    copies: 42 MiB of private copies, the word embeddings (45 MiB) stay mapped. A short query is
    a handful of rows, and OpenBLAS multiplies those by a transposed view of the stored (out, in)
    matrix at half the speed of a contiguous one (a query's encoder: 12.3 ms of CPU with the
    views, 9.4 to 10.7 with the copies, at load 5 to 7).
    """

    def __init__(self, tensors: dict[str, np.ndarray]):
        self.word = tensors["embeddings.word_embeddings.weight"]
        self.position = tensors["embeddings.position_embeddings.weight"]
        self.token_type = tensors["embeddings.token_type_embeddings.weight"]
        self.embed_norm = (
            tensors["embeddings.LayerNorm.weight"],
            tensors["embeddings.LayerNorm.bias"],
        )
        scale = np.float32(1.0 / math.sqrt(HIDDEN // HEADS))
        self.layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."

            def t(name: str, p: str = p) -> np.ndarray:
                return tensors[p + name]

            # Stored weights are (out, in): `x @ w.T` reads them in place.
            qkv = np.concatenate(
                [t("attention.self.query.weight") * scale, t("attention.self.key.weight"),
                 t("attention.self.value.weight")]
            ).T
            qkv_bias = np.concatenate(
                [t("attention.self.query.bias") * scale, t("attention.self.key.bias"),
                 t("attention.self.value.bias")]
            )
            self.layers.append(
                {
                    "qkv": (np.ascontiguousarray(qkv), qkv_bias),
                    "o": (_rows_in(t("attention.output.dense.weight")),
                          t("attention.output.dense.bias")),
                    "norm1": (t("attention.output.LayerNorm.weight"),
                              t("attention.output.LayerNorm.bias")),
                    "up": (_rows_in(t("intermediate.dense.weight")), t("intermediate.dense.bias")),
                    "down": (_rows_in(t("output.dense.weight")), t("output.dense.bias")),
                    "norm2": (t("output.LayerNorm.weight"), t("output.LayerNorm.bias")),
                }
            )

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states (batch, length, 384) for padded `ids` with `mask` (1 real, 0 pad)."""
        batch, length = ids.shape
        head = HIDDEN // HEADS
        x = self.word[ids] + self.position[:length] + self.token_type[0]
        x = layer_norm(x, *self.embed_norm).reshape(batch * length, HIDDEN)
        # Additive mask: a large negative score on padding keys (BERT adds the dtype's minimum).
        key_bias = ((1.0 - mask.astype(np.float32)) * np.float32(-1e30))[:, None, None, :]
        for layer in self.layers:
            qkv = x @ layer["qkv"][0]
            qkv += layer["qkv"][1]
            # (batch, length, 3, heads, head) -> (3, batch, heads, length, head), contiguous so
            # each head's product is one plain matrix product.
            qkv = np.ascontiguousarray(
                qkv.reshape(batch, length, 3, HEADS, head).transpose(2, 0, 3, 1, 4)
            )
            q, k, v = qkv[0], qkv[1], qkv[2]
            k_t = np.ascontiguousarray(k.transpose(0, 1, 3, 2))
            context = np.empty((batch, length, HEADS, head), dtype=np.float32)
            # A few sequences at a time, so that the scores stay in cache through the softmax.
            step = max(1, ROWS_PER_BLOCK // length)
            for start in range(0, batch, step):
                part = slice(start, start + step)
                scores = q[part] @ k_t[part]
                scores += key_bias[part]
                scores -= scores.max(axis=-1, keepdims=True)
                np.exp(scores, out=scores)
                scores /= scores.sum(axis=-1, keepdims=True)
                context[part] = (scores @ v[part]).transpose(0, 2, 1, 3)
            attended = context.reshape(batch * length, HIDDEN) @ layer["o"][0]
            attended += layer["o"][1]
            attended += x
            x = layer_norm(attended, *layer["norm1"])
            out = np.empty_like(x)
            # The feed-forward a block of rows at a time: the 1536-wide activations stay in cache
            # through the GELU (half its cost when done over the whole batch at once).
            for start in range(0, len(x), ROWS_PER_BLOCK):
                rows = slice(start, start + ROWS_PER_BLOCK)
                inner = x[rows] @ layer["up"][0]
                inner += layer["up"][1]
                np.matmul(gelu_(inner), layer["down"][0], out=out[rows])
            out += layer["down"][1]
            out += x
            x = layer_norm(out, *layer["norm2"])
        return x.reshape(batch, length, HIDDEN)

    def sentence_vectors(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        states = self.hidden_states(ids, mask)
        weights = mask.astype(np.float32)[:, :, None]
        pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
