"""Posting blocks whose ids and weights are packed arrays instead of pickled tuples.

Whoosh's W3 codec pickles each block's delta-coded ids and its weights as tuples of Python
numbers, then compresses the pickle. Reading a common word back makes one Python int or float
object per posting before anything can use it: at 100,000 items the decode of such a list was
most of a search's time (BENCHMARKS.md, "Hybrid at 100,000 items"). Here a block of
PACKED_MIN_POSTINGS postings or more keeps the same tuple of three, but its ids are the deltas
as little-endian uint32 bytes and its weights little-endian float32 bytes: unpickling them is a
copy, and numpy reads them as arrays without a Python object per posting.

A block tells its format by the type of its fields (bytes, not a tuple), so readers take old
and new blocks alike: an index written before stays readable, and its segments are packed when
they are merged or rebuilt. Smaller blocks (most terms of a small index have one to a few
postings) stay tuples, which pickle faster there and take less room. Whoosh's own, unpatched
reader cannot read a packed block; `patches.install()` puts these functions in place wherever
an index is opened or written.
"""

from __future__ import annotations

from array import array
from itertools import accumulate

import numpy as np
from whoosh.codec.whoosh3 import delta_encode

# Blocks with fewer postings are written as Whoosh writes them.
PACKED_MIN_POSTINGS = 32

_IDS = np.dtype("<u4")
_WEIGHTS = np.dtype("<f4")


# -- writing (W3PostingsWriter methods)


def packed_ids(self):
    """The block's document numbers, delta-coded (the first one absolute, as Whoosh's)."""
    ids = self._ids
    if self._byteids:
        return tuple(ids)
    if len(ids) == 1:  # most terms of a small index: no generator for one posting
        return (ids[0],)
    if len(ids) < PACKED_MIN_POSTINGS:
        return tuple(delta_encode(ids))
    return np.diff(np.asarray(ids, dtype=np.int64), prepend=0).astype(_IDS).tobytes()


def packed_weights(self):
    """None when every weight is 1.0, the one weight when all are equal (as Whoosh), else the
    weights as float32 bytes (or a tuple for a small block)."""
    weights = self._weights
    first = weights[0]
    if weights.count(first) == len(weights):  # one pass in C (array and list alike)
        return None if first == 1.0 else first
    if len(weights) < PACKED_MIN_POSTINGS:
        return tuple(weights)
    return np.asarray(weights, dtype=_WEIGHTS).tobytes()


# -- reading (W3LeafMatcher methods)


def read_ids(self):
    """The block's document numbers: a packed block's as an array('I') of Python ints, an
    older block's as Whoosh gives them."""
    if self._data is None:
        self._read_data()
    ids = self._data[0]
    if self._byteids:
        self._ids = ids
    elif type(ids) is bytes:
        self._ids = array("I", block_ids(ids).astype(np.uint32).tobytes())
    else:
        self._ids = tuple(accumulate(ids))


def read_weights(self):
    if self._data is None:
        self._read_data()
    weights = self._data[1]
    count = self._blocklength
    if weights is None:
        self._weights = array("f", [1.0]) * count
    elif isinstance(weights, float):
        self._weights = array("f", [weights]) * count
    elif type(weights) is bytes:
        native = np.frombuffer(weights, dtype=_WEIGHTS).astype(np.float32)
        self._weights = array("f", native.tobytes())
    else:
        self._weights = weights


# -- reading whole blocks as numpy arrays (evaluation.decoded_postings)


def block_ids(raw) -> np.ndarray:
    """A block's document numbers as int64, from its stored ids (packed bytes or the tuple of
    deltas of Whoosh's format)."""
    if type(raw) is bytes:
        return np.cumsum(np.frombuffer(raw, dtype=_IDS), dtype=np.int64)
    return np.cumsum(np.asarray(raw, dtype=np.int64))


def block_weights(raw, count: int) -> np.ndarray:
    """A block's weights as float32, from its stored weights (None, one float, packed bytes or a
    tuple)."""
    if raw is None:
        return np.ones(count, dtype=np.float32)
    if isinstance(raw, float):
        return np.full(count, raw, dtype=np.float32)
    if type(raw) is bytes:
        return np.frombuffer(raw, dtype=_WEIGHTS).astype(np.float32)
    return np.asarray(raw, dtype=np.float32)
