"""Evaluating a Whoosh query into a bitset of document numbers, from whole posting lists.

Terms, prefixes and the boolean operators are evaluated here (one bitset per term, combined with
integer AND/OR); phrases are AND-ed word pairs; anything else is matched by Whoosh. Decoded
posting lists are kept (`Postings`), since a search needs a word's list twice: its bitset for
the match set, then its weights for scoring.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import reduce

import numpy as np
from whoosh import query
from whoosh.reading import TermNotFound

from search.engine.whoosh import packed_blocks
from search.engine.whoosh.bits import bits_from_docnums, bits_from_mask
from search.engine.whoosh.schema import word_pairs

POSTINGS_CACHE_ITEMS = 4_000_000  # decoded postings a snapshot keeps (Postings.term_postings)
RECENT_RESULTS = 256  # results a snapshot keeps (RecentResults)


def text_of(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class RecentResults:
    """The last few results computed over one snapshot, by key (least recently used goes)."""

    def __init__(self, size: int = RECENT_RESULTS):
        self.size = size
        self.lock = threading.RLock()
        self.entries: OrderedDict = OrderedDict()

    def get(self, key, compute: Callable):
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        value = compute()
        with self.lock:
            self.entries[key] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def block_ids(matcher) -> Iterator:
    """The document numbers of a posting list, one block (a sequence) at a time."""
    if not hasattr(matcher, "_read_ids") or not hasattr(matcher, "_next_block"):
        yield tuple(matcher.all_ids())
        return
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        ids = matcher._ids
        yield ids[matcher._i :] if matcher._i else ids
        matcher._next_block()


def block_postings(matcher, with_values: bool = False) -> Iterator:
    """(ids, weights) -- or (ids, encoded values) -- of a posting list, one block at a time.
    Ids are relative to the segment."""
    if not hasattr(matcher, "_read_ids") or not hasattr(matcher, "_next_block"):
        ids, extra = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            extra.append(matcher.value() if with_values else matcher.weight())
            matcher.next()
        yield ids, extra
        return
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if with_values:
            if matcher._values is None:
                matcher._read_values()
            extra = matcher._values
        else:
            if matcher._weights is None:
                matcher._read_weights()
            extra = matcher._weights
        start = matcher._i
        yield (matcher._ids[start:], extra[start:]) if start else (matcher._ids, extra)
        matcher._next_block()


class Postings:
    """A searcher's posting lists, decoded whole, the last few kept."""

    def __init__(self, searcher, size: int):
        self.searcher = searcher
        self.size = size
        self.lock = threading.RLock()
        self._kept: OrderedDict = OrderedDict()
        self._held = 0

    def clear(self) -> None:
        with self.lock:
            self._kept.clear()
            self._held = 0

    def term_postings(self, fieldname: str, text) -> list[tuple[np.ndarray, np.ndarray]]:
        """A term's postings as (document numbers, weights), two numpy arrays a segment.

        Decoding a posting block (zlib, then a pickle) costs more than using it, and a search
        needs a word's list twice: its bitset for the match set, then its weights for scoring.
        The last few lists decoded are kept, up to POSTINGS_CACHE_ITEMS postings in all (12
        bytes each)."""
        key = (fieldname, text_of(text))
        with self.lock:
            parts = self._kept.get(key)
            if parts is not None:
                self._kept.move_to_end(key)
                return parts
        parts = []
        for leaf, offset in self.searcher.reader().leaf_readers():
            try:
                matcher = leaf.postings(fieldname, text)
            except TermNotFound:
                continue
            ids, weights = decoded_postings(matcher)
            parts.append((ids + offset if offset else ids, weights))
        count = sum(len(ids) for ids, _ in parts)
        if count <= POSTINGS_CACHE_ITEMS:
            with self.lock:
                if key not in self._kept:
                    self._kept[key] = parts
                    self._held += count
                while self._held > POSTINGS_CACHE_ITEMS:
                    _, dropped = self._kept.popitem(last=False)
                    self._held -= sum(len(ids) for ids, _ in dropped)
        return parts

    def read_term_bits(self, fieldname: str, text) -> int:
        """Every document number (deleted ones included) with the term, as bits."""
        mask = np.zeros(self.size + 1, dtype=bool)
        if self.searcher.schema[fieldname].scorable:
            # A scored field's word is usually scored by the same search: decode its list once.
            for ids, _ in self.term_postings(fieldname, text):
                mask[ids] = True
            return bits_from_mask(mask)
        for leaf, offset in self.searcher.reader().leaf_readers():
            try:
                matcher = leaf.postings(fieldname, text)
            except TermNotFound:
                continue
            for ids in block_ids(matcher):
                mask[np.asarray(ids, dtype=np.int64) + offset] = True
        return bits_from_mask(mask)


def decoded_postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """(ids, weights) of a whole posting list as int64 and float32 arrays, ids relative to the
    segment.

    Whoosh's block reader decodes the delta-coded ids and the weights of each block in Python,
    element by element; here each block's stored ids and weights (packed arrays, or the pickled
    tuples of blocks written before those) become arrays and the deltas a cumsum."""
    ids_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    if not hasattr(matcher, "_read_data") or getattr(matcher, "_byteids", True):
        for ids, weights in block_postings(matcher):
            ids_parts.append(np.asarray(ids, dtype=np.int64))
            weight_parts.append(np.asarray(weights, dtype=np.float32))
    else:
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            ids = packed_blocks.block_ids(matcher._data[0])
            weights = packed_blocks.block_weights(matcher._data[1], len(ids))
            start = matcher._i
            ids_parts.append(ids[start:] if start else ids)
            weight_parts.append(weights[start:] if start else weights)
            matcher._next_block()
    if not ids_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return np.concatenate(ids_parts), np.concatenate(weight_parts)


class Evaluator:
    """A query -> the bits of the documents it matches, over one searcher."""

    def __init__(self, searcher, size: int, live_bits: int, postings: Postings,
                 results: RecentResults):
        self.searcher = searcher
        self.size = size
        self.live_bits = live_bits
        self.postings = postings
        self.results = results

    def docs_bits(self, q, deadline: float | None = None) -> tuple[int, bool]:
        """The live documents matching q, as bits; (bits, finished in time).

        Terms, prefixes and the boolean operators are evaluated here on whole posting lists
        (one bitset per term, combined with integer AND/OR); phrases and anything else are
        matched by Whoosh within the documents that hold all their words.
        """
        state = {"finished": True, "deadline": deadline}
        bits = self.query_bits(q, state)
        return bits & self.live_bits, state["finished"]

    def term_bits(self, fieldname: str, text) -> int:
        """Every document number (deleted ones included) with the term, as bits.

        Kept in the snapshot's recent results: one search often needs a word twice (in its
        phrase and in its scoring groups, say), and paging or ticking a facet repeats it.
        """
        return self.results.get(
            ("term", fieldname, text), lambda: self.postings.read_term_bits(fieldname, text)
        )

    def expand_prefix(self, fieldname: str, prefix: str) -> list[str]:
        return [text_of(t) for t in self.searcher.reader().expand_prefix(fieldname, prefix)]

    def query_bits(self, q, state) -> int:
        """q's documents, deleted ones included; state holds the deadline and whether the
        evaluation finished in time."""
        if state["deadline"] is not None and time.monotonic() > state["deadline"]:
            state["finished"] = False
            return 0
        if isinstance(q, query.Term):
            return self.term_bits(q.fieldname, q.text)
        if isinstance(q, query.Every):
            return self.live_bits
        if isinstance(q, query.NullQuery.__class__):
            return 0
        if isinstance(q, query.AndNot):
            positive = self.query_bits(q.a, state)
            return positive & ~self.query_bits(q.b, state) if positive else 0
        if isinstance(q, query.Not):
            return self.live_bits & ~self.query_bits(q.query, state)
        if isinstance(q, query.And) and q.subqueries:
            bits = -1
            for sub in q.subqueries:
                bits &= self.query_bits(sub, state)
                if not bits:
                    return 0
            return bits
        if isinstance(q, query.Or) and q.subqueries and q.minmatch <= 1:
            return reduce(int.__or__, (self.query_bits(sub, state) for sub in q.subqueries), 0)
        if type(q) is query.Prefix:
            mask = np.zeros(self.size + 1, dtype=bool)
            reader = self.searcher.reader()
            for leaf, offset in reader.leaf_readers():
                for term in leaf.expand_prefix(q.fieldname, q.text):
                    for ids in block_ids(leaf.postings(q.fieldname, term)):
                        mask[np.asarray(ids, dtype=np.int64) + offset] = True
            return bits_from_mask(mask)
        if isinstance(q, query.Phrase) and q.words:
            return self.phrase_bits(q.fieldname, list(q.words))
        bits, finished = bits_from_docnums(
            self.searcher.docs_for_query(q), self.size, state["deadline"]
        )
        if not finished:
            state["finished"] = False
        return bits

    def phrase_bits(self, fieldname: str, words: list[str]) -> int:
        """Every document (deleted ones included) with `words` next to each other, in order.

        Two words are one `pairs` term; a longer phrase needs each of its neighbouring pairs,
        which for "a b c" also admits an item holding "a b" and "b c" apart (rare in practice).
        A phrase limited to another field than `text` is the phrase in `text` with each of its
        words in that field (only `text` keeps pairs).
        """
        if len(words) == 1:
            bits = self.term_bits("text", words[0])
        else:
            bits = -1
            for pair in word_pairs(words):
                bits &= self.term_bits("pairs", pair)
                if not bits:
                    return 0
        if fieldname != "text":
            for word in words:
                bits &= self.term_bits(fieldname, word)
        return bits
