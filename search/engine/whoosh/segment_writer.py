"""Whoosh's segment writer, made faster for bulk loads, with the same files on disk.

The replacements `patches.install()` puts in place (importing this module changes nothing):
Whoosh's posting pool becomes `TermPool`, the segment flush `flush_segment`, which writes a
term's postings at once (term_writer), the field indexing of token lists `index_field`, a bulk
count, and the codec `codec`, one of larger posting blocks (POSTING_BLOCK).
tests/engine/whoosh/test_segment_writer.py checks that a segment written with these patches is
the same, byte for byte, as one written by Whoosh's own code.
"""

from __future__ import annotations

import contextlib
import pickle
import struct
from collections import Counter
from collections.abc import Iterator
from heapq import merge as heapq_merge
from itertools import chain, pairwise, repeat

from whoosh import fields, formats
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader, _lenfield
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length

from search.engine.whoosh.term_writer import TermWriter

# Postings per block. Searches decode whole posting lists, and a block costs a fixed amount
# (its header, a zlib stream, a pickle) besides its postings: at Whoosh's 128, decoding took
# 190-300 ns a posting at 100,000 items, at 512 it takes about 140, and the compressed index is
# smaller (235 MB against 280). Readers take blocks of any size, so indexes written before stay
# readable; their segments get the new blocks when they are merged or rebuilt.
POSTING_BLOCK = 512


def codec(*args, **kwargs):
    """whoosh.codec.default_codec, with POSTING_BLOCK postings a block."""
    kwargs.setdefault("blocklimit", POSTING_BLOCK)
    return whoosh3.W3Codec(*args, **kwargs)


# Whoosh looks up each new posting's field length while writing a segment; for a field without
# lengths (facets, the part fields) it checked the file system every time because "no such
# column" was never remembered. Remember it.
def cached_length_reader(self, fieldname, column):
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
        return reader


# Whoosh's writer puts each posting, a (field, term, docnum, weight, value) tuple, in a
# PostingPool that sorts them all before writing the segment: past `limitmb` it sorts what it
# holds, pickles it to a temporary run file one posting at a time, and at commit it unpickles
# and merges every run (most of the time of a large sync). Postings arrive in document order,
# so this pool groups them by field and term instead, each term's postings one flat list
# [docnum, weight, value, docnum, ...] already in document order: only the distinct terms are
# sorted, a run holds one (field, term, flat list) record per term, pickled many records at a
# time, and the merge handles records, not postings (a sync of 10,000 items: 66 s of CPU with
# Whoosh's pool, 28 s with this one). It has PostingPool's interface as SegmentWriter, MpWriter
# and whoosh.multiproc.finish_subsegment use it. tests/engine/whoosh/test_segment_writer.py
# checks that the patched writer writes the same segment files, byte for byte, as Whoosh's own.
POSTING_BYTES = 100  # memory of one pooled posting (3 list slots, its weight and value)
RUN_CHUNK_ITEMS = 50_000  # postings per pickled chunk of a run file
RUN_MAX_OPEN = 64  # runs merged at once; more are first reduced (as Whoosh's maxfiles)
_RUN_MAGIC = b"IMRrun2\n"
_RUN_LENGTH = struct.Struct("<Q")


class TermPool:
    def __init__(self, tempstore, segment, limitmb=128, **kwargs):
        self.tempstore = tempstore
        self.segment = segment
        self.limit = max(1, limitmb * 1024 * 1024 // POSTING_BYTES)
        self.count = 0
        self.fields: dict[str, dict[bytes, list]] = {}
        self.unordered: set[tuple[str, bytes]] = set()
        self.fieldnames: set[str] = set()
        self.runs: list[str] = []

    def add(self, item) -> None:
        terms = self.fields.get(item[0])
        if terms is None:
            terms = self.fields[item[0]] = {}
            self.fieldnames.add(item[0])
        postings = terms.get(item[1])
        if postings is None:
            terms[item[1]] = list(item[2:])
        else:
            if postings[-3] > item[2]:
                self.unordered.add(item[:2])  # not in document order: sorted when written
            postings += item[2:]
        self.count += 1
        if self.count >= self.limit:
            self.save()

    def add_field(self, fieldname: str, docnum: int, items, boost: float) -> int:
        """add() for each (term bytes, frequency, weight, value) of one field of document
        `docnum`, the weight times `boost`; returns the sum of the frequencies."""
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        frequencies = count = 0
        for term, frequency, weight, value in items:
            frequencies += frequency
            count += 1
            postings = terms.get(term)
            if postings is None:
                terms[term] = [docnum, weight * boost, value]
            else:
                if postings[-3] > docnum:
                    self.unordered.add((fieldname, term))
                postings += (docnum, weight * boost, value)
        self.count += count
        if self.count >= self.limit:
            self.save()
        return frequencies

    def _records(self) -> Iterator[tuple[str, bytes, list]]:
        """(field, term, postings) of what is in memory, in order."""
        unordered = self.unordered
        for fieldname in sorted(self.fields):
            terms = self.fields[fieldname]
            for term in sorted(terms):
                postings = terms[term]
                if unordered and (fieldname, term) in unordered:
                    postings = _in_document_order([postings])
                yield fieldname, term, postings

    def iter_postings(self) -> Iterator[tuple]:
        return _postings(self.iter_records())

    def iter_records(self) -> Iterator[tuple[str, bytes, list]]:
        """Every (field, term, [docnum, weight, value, ...]) in order, terms once each."""
        if self.runs:
            self.save()
            if len(self.runs) > RUN_MAX_OPEN:
                self.reduce_to(RUN_MAX_OPEN, RUN_MAX_OPEN)
            runs, self.runs = self.runs, []
            return self._merged(runs)
        return self._records()

    def save(self) -> None:
        """Write what is in memory to a new run."""
        if self.count:
            self.runs.append(self._write_run(self._records()))
            self.fields, self.unordered, self.count = {}, set(), 0

    def reduce_to(self, target: int, k: int) -> None:
        """Merge runs `k` at a time until `target` remain, oldest first (document order)."""
        k = max(k, 2)
        while len(self.runs) > max(target, 1):
            merged = self._write_run(self._merged(self.runs[:k]))
            self.runs[:k] = [merged]

    def _write_run(self, records) -> str:
        path = f"{random_name()}.run"
        with self.tempstore.create_file(path).raw_file() as f:
            f.write(_RUN_MAGIC)
            chunk, size = [], 0
            for record in records:
                chunk.append(record)
                size += len(record[2])
                if size >= 3 * RUN_CHUNK_ITEMS:
                    _write_chunk(f, chunk)
                    chunk, size = [], 0
            if chunk:
                _write_chunk(f, chunk)
        return path

    def _read_records(self, path: str) -> Iterator[tuple]:
        try:
            with self.tempstore.open_file(path).raw_file() as f:
                if f.read(len(_RUN_MAGIC)) != _RUN_MAGIC:
                    raise ValueError(f"{path} is not a run written by TermPool")
                while length := f.read(_RUN_LENGTH.size):
                    # Our own file, in the writer's temporary folder, written just before.
                    yield from pickle.loads(f.read(_RUN_LENGTH.unpack(length)[0]))  # noqa: S301
        finally:
            self.tempstore.delete_file(path)

    def _read_run(self, path: str) -> Iterator[tuple]:
        """A run's postings (MpWriter reads sub-writers' runs through this)."""
        return _postings(self._read_records(path))

    def _merged(self, paths: list[str]) -> Iterator[tuple]:
        """The records of several runs, one per term, each term's documents in order.

        Records of one term from different runs come out by their first document; runs hold
        different documents, so their lists are usually just joined."""
        group: list[tuple] = []
        runs = (self._read_records(path) for path in paths)
        for record in heapq_merge(*runs, key=_record_order):
            if group and (record[1] != group[0][1] or record[0] != group[0][0]):
                yield _joined(group)
                group = []
            group.append(record)
        if group:
            yield _joined(group)

    def cleanup(self) -> None:
        for path in self.runs:
            with contextlib.suppress(OSError):
                self.tempstore.delete_file(path)
        self.runs = []
        self.fields, self.unordered, self.count = {}, set(), 0


def _record_order(record: tuple) -> tuple:
    return record[0], record[1], record[2][0]  # field, term, first document


def _write_chunk(f, records: list) -> None:
    data = pickle.dumps(records, pickle.HIGHEST_PROTOCOL)
    f.write(_RUN_LENGTH.pack(len(data)))
    f.write(data)


def _in_document_order(flat_lists: list[list]) -> list:
    """Flat [docnum, weight, value, ...] lists merged into one sorted by document."""
    postings = sorted(
        chain.from_iterable(zip(p[0::3], p[1::3], p[2::3], strict=True) for p in flat_lists)
    )
    return list(chain.from_iterable(postings))


def _joined(group: list[tuple]) -> tuple:
    if len(group) == 1:
        return group[0]
    fieldname, term = group[0][0], group[0][1]
    if any(a[2][-3] > b[2][0] for a, b in pairwise(group)):  # interleaved documents
        return fieldname, term, _in_document_order([r[2] for r in group])
    return fieldname, term, list(chain.from_iterable(r[2] for r in group))


def _postings(records) -> Iterator[tuple]:
    for fieldname, term, flat in records:
        yield from zip(repeat(fieldname), repeat(term), flat[0::3], flat[1::3], flat[2::3])


# While writing a segment's postings Whoosh asks the new segment's per-document reader for the
# field length of every posting, reading the lengths column from disk each time. Read each
# field's column once instead (one byte a document).
class _SegmentLengths:
    def __init__(self, perdoc):
        self.perdoc = perdoc
        self.fields: dict[str, list | None] = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self.table(fieldname)
        return default if lengths is None else lengths[docnum]

    def table(self, fieldname: str) -> list | None:
        """Each document's length of `fieldname` (None where 0), or None without lengths."""
        lengths = self.fields.get(fieldname, False)
        if lengths is False:
            lengths = self.fields[fieldname] = self._read(fieldname)
        return lengths

    def _read(self, fieldname: str) -> list | None:
        column = self.perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return None
        doccount = self.perdoc.doc_count_all()
        codes = bytes(column[docnum] for docnum in range(doccount))
        # As W3PerDocReader.doc_field_length: the length of a code, None for code 0.
        return [byte_to_length(code) if code else None for code in codes]


def flush_segment(self):
    self.perdocwriter.close()
    perdoc = self.per_document_reader() if self.codec.length_stats else None
    lengths = _SegmentLengths(perdoc) if isinstance(perdoc, W3PerDocReader) else perdoc
    if (
        isinstance(self.pool, TermPool)
        and type(self.fieldwriter) is whoosh3.W3FieldWriter
        and (lengths is None or isinstance(lengths, _SegmentLengths))
    ):
        _write_records(self.fieldwriter, self.schema, lengths, self.pool.iter_records())
    else:
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
    self.fieldwriter.close()
    if perdoc:
        perdoc.close()


def _write_records(fieldwriter, schema, lengths: _SegmentLengths | None, records) -> None:
    """FieldWriter.add_postings for TermPool records, a whole term at a time (term_writer)."""
    fieldname = None
    terms = TermWriter(fieldwriter)
    for name, term, flat in records:
        if name != fieldname:
            if fieldname is not None:
                fieldwriter.finish_field()
            fieldname = name
            fieldwriter.start_field(name, schema[name])
            terms.start_field()
            table = lengths.table(name) if lengths is not None else None
        terms.add(term, flat, table)
    terms.finish()
    if fieldname is not None:
        fieldwriter.finish_field()


# prepare_document hands the text fields over as lists of analysed tokens, which Whoosh then
# turns into a Token object each and counts one at a time. For a list, count them at once: the
# same (term bytes, frequency, weight, value) postings as Frequency.word_values and
# Existence.word_values give (every token's boost is 1.0 there).
_PACK_FREQUENCY = struct.Struct("!I").pack  # whoosh.system.pack_uint


def _frequency_postings(fmt, tokens: list) -> list:
    boost = fmt.field_boost
    return [
        (word.encode("utf-8"), count, float(count) * boost, _PACK_FREQUENCY(count))
        for word, count in Counter(tokens).items()
    ]


def _existence_postings(fmt, tokens: list) -> list:
    boost = fmt.field_boost
    return [(word.encode("utf-8"), 1, boost, b"") for word in dict.fromkeys(tokens)]


_LIST_POSTINGS = {formats.Frequency: _frequency_postings, formats.Existence: _existence_postings}
_field_index = fields.FieldType.index  # Whoosh's own (this module is imported unpatched)


def index_field(self, value, **kwargs):
    postings = _LIST_POSTINGS.get(type(self.format)) if type(value) is list else None
    if postings is None or kwargs:
        return _field_index(self, value, **kwargs)
    return postings(self.format, value)
