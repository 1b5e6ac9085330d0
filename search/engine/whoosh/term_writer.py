"""A segment's terms written a whole term at a time, the bytes Whoosh's W3 codec writes.

W3FieldWriter writes a term through a W3PostingsWriter (a block object per 512 postings, a
W3TermInfo, statistics kept posting by posting) and an OrderedHashWriter (two tell() calls a
term). A segment of a few hundred letters has tens of thousands of distinct terms (word pairs
most of them), nearly half of them in one document, so that per-term machinery was most of an
ingest's index update. `TermWriter.add` does the same work for a term's whole posting list in one
call, and only once for rare terms whose postings are the same: the same pickled,
zlib-compressed blocks and block headers in the postings file (.pst), the same term info and
hash-table entry in the term table (.trm).
tests/engine/whoosh/test_segment_writer.py checks the files equal Whoosh's own, byte for byte.

A block's ids, weights and values are minified by the field's W3PostingsWriter itself (with
packed_blocks' methods where they are installed), so they are what it would write. Whoosh's
quirks are kept, since the bytes must stay the same: every block is compressed (its "under 20
bytes, don't compress" check is overwritten on the next line), and postings are never inlined
into the term info (inlinelimit=1 cannot be met).
"""

from __future__ import annotations

import struct
import zlib
from array import array
from hashlib import md5
from itertools import starmap
from pickle import dumps

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb.filetables import _pointer, md5_hash
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

_PICKLE_PROTOCOL = 2  # W3PostingsWriter's
_KEY_VALUE_LENGTHS = struct.Struct("!ii").pack  # whoosh.filedb.filetables._lengths
_PACK_TERM_INFO = W3TermInfo._struct.pack
_PACK_POINTER = _pointer.pack  # a hash-table slot: (hash, key position)
# Posting lists of up to SHARED_POSTINGS postings are encoded once for all the terms of a field
# that have the same ones; at most SHARED_LIMIT of them are kept at a time.
SHARED_POSTINGS = 4
SHARED_LIMIT = 100_000
FLUSH_BYTES = 1 << 20


class _BufferedFile:
    """A segment file being written, in chunks of about FLUSH_BYTES, its position counted
    rather than asked for (a buffered file's tell() is a system call). Only this writer writes
    to the file until `flush`."""

    def __init__(self, structfile):
        self._write = structfile.file.write
        self.position = structfile.file.tell()
        self._parts: list[bytes] = []
        self._pending = 0

    def write(self, data: bytes) -> None:
        self._parts.append(data)
        self.position += len(data)
        self._pending += len(data)
        if self._pending >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        self._write(b"".join(self._parts))
        self._parts, self._pending = [], 0


class TermWriter:
    """Writes terms, in order, into the postings file and term table of `fieldwriter`
    (a whoosh3.W3FieldWriter), between its start_field and finish_field calls."""

    def __init__(self, fieldwriter):
        self.fieldwriter = fieldwriter
        self.postings = _BufferedFile(fieldwriter._postfile)
        self.table = fieldwriter._tindex  # OrderedHashWriter
        self.table_file = _BufferedFile(self.table.dbfile)
        self._hash = _md5_hash if self.table.hashfn is md5_hash else self.table.hashfn
        self._key_positions: list[int] = []  # the table's index of keys, added in `finish`
        self.key_prefix = b""
        self.block_limit = 0
        self.compression = 0
        self._block = None
        self._shared: dict[tuple, tuple[bytes, bytes]] = {}

    def start_field(self) -> None:
        """Call after fieldwriter.start_field: the field's id, block size and value format."""
        fieldwriter = self.fieldwriter
        postwriter = fieldwriter._postwriter
        self.key_prefix = pack_ushort(fieldwriter._fieldid)
        self.block_limit = postwriter._blocklimit
        self.compression = postwriter._compression
        self._block = postwriter  # only to minify blocks (_block_data)
        postwriter._format = fieldwriter._format  # as start_postings sets it
        self._shared.clear()  # lengths and values are the field's own

    def add(self, term: bytes, flat: list, lengths) -> None:
        """One term's postings, [docnum, weight, encoded value, docnum, ...] in document order,
        and the field length of each document (`lengths[docnum]`, None for 0), or None for a
        field without lengths."""
        if len(flat) > 3 * SHARED_POSTINGS:
            encoded = self._encode(flat, lengths)
        else:
            # A rare term's postings are often those of another term of the same documents
            # (a one-off word pair in one letter): their bytes are the same, encoded once. (The
            # weights are floats here, as every Whoosh format gives them, so no int 1 and float
            # 1.0, equal as keys but pickled differently, meet in this table.)
            key = tuple(flat)
            encoded = self._shared.get(key)
            if encoded is None:
                if len(self._shared) >= SHARED_LIMIT:
                    self._shared.clear()
                encoded = self._shared[key] = self._encode(flat, lengths)
        postings, statistics = encoded
        start = self.postings.position
        self.postings.write(postings)
        info = statistics + pack_long(start) + pack_int(len(postings))
        self._add_to_table(self.key_prefix + term, info)

    def _encode(self, flat: list, lengths) -> tuple[bytes, bytes]:
        """A posting list's bytes in the postings file, and the start of its term info (what
        W3TermInfo.to_bytes packs before the list's position and length)."""
        docs, weights, values = flat[0::3], flat[1::3], flat[2::3]
        parts = [WHOOSH3_HEADER_MAGIC]
        limit = self.block_limit
        total_weight = 0
        max_weight = 0
        min_length = None
        max_length = 0
        count = len(docs)
        for first in range(0, count, limit):
            end = first + limit
            ids = docs[first:end]
            raw_weights = weights[first:end]
            block_max_weight = max(0, *raw_weights)
            if lengths is None:
                block_min_length, block_max_length = None, 0
            else:
                known = [n for n in map(lengths.__getitem__, ids) if n]
                block_min_length = min(known) if known else None
                block_max_length = max(known, default=0)
            stored_weights = array("f", raw_weights)  # the precision the block keeps
            data = self._block_data(ids, stored_weights, [v for v in values[first:end] if v])
            data_bytes = dumps(data, _PICKLE_PROTOCOL)
            if self.compression:
                data_bytes = zlib.compress(data_bytes, self.compression)
            info_bytes = dumps(
                (
                    len(ids),
                    ids[-1],
                    block_max_weight,
                    self.compression,
                    length_to_byte(block_min_length),
                    length_to_byte(block_max_length),
                ),
                _PICKLE_PROTOCOL,
            )
            block_length = len(info_bytes) + len(data_bytes)
            if end >= count:
                block_length = -block_length  # the last block
            parts += (pack_int(block_length), info_bytes, data_bytes)
            # What W3TermInfo.add_block keeps of each block.
            total_weight += sum(stored_weights)
            min_length = (
                block_min_length if min_length is None else min(min_length, block_min_length)
            )
            max_length = max(max_length, block_max_length)
            max_weight = max(max_weight, block_max_weight)
        statistics = _PACK_TERM_INFO(
            False,  # not inlined
            total_weight,
            count,
            0 if min_length is None else length_to_byte(min_length),
            length_to_byte(max_length),
            max_weight,
            docs[0],
            docs[-1],
        )
        return b"".join(parts), statistics

    def _block_data(self, ids: list, weights: array, values: list) -> tuple:
        """A block's (ids, weights, values) as the field's W3PostingsWriter minifies them, with
        whatever _mini_ methods are installed (packed_blocks packs large blocks): its buffers
        are filled as add_posting fills them, and it writes nothing itself."""
        block = self._block
        block._ids = list(ids) if block._byteids else array("I", ids)
        block._weights = weights
        block._values = values
        return block._mini_ids(), block._mini_weights(), block._mini_values()

    def _add_to_table(self, key: bytes, value: bytes) -> None:
        """OrderedHashWriter.add."""
        table = self.table
        if key <= table.lastkey:
            raise ValueError(f"Keys must increase: {table.lastkey!r}..{key!r}")
        table.lastkey = key
        position = self.table_file.position
        self._key_positions.append(position)
        self.table_file.write(_KEY_VALUE_LENGTHS(len(key), len(value)) + key + value)
        hashed = self._hash(key)
        table.buckets[hashed & 255].append((hashed, position))

    def finish(self) -> None:
        """Write out what is buffered; call after the last term, before the files are closed."""
        self.postings.flush()
        self.table_file.flush()
        self.table.index.extend(self._key_positions)
        self._key_positions = []


def _md5_hash(key: bytes) -> int:
    """filetables.md5_hash: the low 32 bits of the key's MD5, without a hex round trip."""
    return int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")


def write_hashes(self) -> None:
    """HashWriter._write_hashes, each bucket's table packed and written at once (Whoosh packs
    and writes each slot, two calls a key): the same bytes."""
    dbfile = self.dbfile
    position = dbfile.tell()
    null = (0, 0)
    for entries in self.buckets:
        numslots = 2 * len(entries)
        self.directory.append((position, numslots))
        hashtable = [null] * numslots
        for hashval, key_position in entries:
            slot = (hashval >> 8) % numslots
            while hashtable[slot] != null:
                slot = (slot + 1) % numslots
            hashtable[slot] = (hashval, key_position)
        data = b"".join(starmap(_PACK_POINTER, hashtable))
        dbfile.write(data)
        position += len(data)
