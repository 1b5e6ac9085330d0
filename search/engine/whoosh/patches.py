"""Every change this project makes to Whoosh's own classes, installed in one place.

Whoosh is patched, not forked: the index files keep Whoosh's layout (tests/engine/whoosh checks
our segment writer writes what Whoosh's own writer writes with the same codec, byte for byte, and
our scores equal Whoosh's), only slow steps are replaced. One patch changes what a posting block
holds (packed arrays, `packed_blocks`): an unpatched Whoosh cannot read those blocks. Importing
an engine module changes nothing; `install()` applies every patch, once per process. Django
calls it from `search.apps.SearchConfig.ready()`, and the engine's entry points (the backend,
opening or writing an index) call it too, so code that uses the engine without Django gets the
same Whoosh.

The patches rely on Whoosh's internals, so the version is pinned (pyproject.toml) and checked
here: another version must be looked at before these are trusted on it.

What is patched:
- posting blocks: a block of many postings stores its ids and weights as packed arrays, read
  back by numpy without a Python object per posting; readers take Whoosh's tuples too;
- reading: posting ids are summed back from deltas with itertools.accumulate (C speed), and a
  file inside a memory-mapped compound segment is read through a view (`_ViewFile`) instead of a
  private copy;
- writing (see segment_writer): the codec writes POSTING_BLOCK postings a block, the segment
  writer's posting pool is `TermPool`, a document's postings go to it a field at a time
  (document_writer), a segment's postings are flushed a term at a time (term_writer), a hash
  file's tables are written a table at a time, a field given a list of analysed tokens counts
  them at once, and a missing length column is remembered.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from importlib import metadata
from itertools import accumulate

import whoosh
import whoosh.codec
from whoosh import fields
from whoosh import writing as whoosh_writing
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.filedb import filetables
from whoosh.filedb.structfile import BufferFile

from search.engine.whoosh import document_writer, packed_blocks, segment_writer, term_writer

# The distribution and version these patches were written and checked against.
WHOOSH_DISTRIBUTION = "whoosh-reloaded"
WHOOSH_VERSION = "2.7.5"

_installed = False
_install_lock = threading.Lock()

# Whoosh's own attributes, as they were before install() (tests compare with them).
ORIGINALS = {
    "delta_decode": whoosh3.delta_decode,
    "default_codec": whoosh.codec.default_codec,
    "BufferFile.__init__": BufferFile.__init__,
    "BufferFile.subset": BufferFile.subset,
    "W3PerDocReader._cached_reader": W3PerDocReader._cached_reader,
    "PostingPool": whoosh_writing.PostingPool,
    "SegmentWriter._flush_segment": whoosh_writing.SegmentWriter._flush_segment,
    "SegmentWriter.add_document": whoosh_writing.SegmentWriter.add_document,
    "FieldType.index": fields.FieldType.index,
    "W3PostingsWriter._mini_ids": whoosh3.W3PostingsWriter._mini_ids,
    "W3PostingsWriter._mini_weights": whoosh3.W3PostingsWriter._mini_weights,
    "W3LeafMatcher._read_ids": whoosh3.W3LeafMatcher._read_ids,
    "W3LeafMatcher._read_weights": whoosh3.W3LeafMatcher._read_weights,
    "HashWriter._write_hashes": filetables.HashWriter._write_hashes,
}


class WhooshVersionError(RuntimeError):
    """The installed Whoosh is not the version the patches were checked against."""


def installed_whoosh_version() -> str:
    try:
        return metadata.version(WHOOSH_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return ".".join(str(part) for part in whoosh.__version__)


def check_version() -> None:
    found = installed_whoosh_version()
    if found != WHOOSH_VERSION:
        raise WhooshVersionError(
            f"the search engine's patches were checked against {WHOOSH_DISTRIBUTION} "
            f"{WHOOSH_VERSION}, but {found} is installed: install the version pinned in "
            "pyproject.toml"
        )


def install() -> None:
    """Apply every patch; later calls do nothing."""
    global _installed
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        check_version()
        # Posting ids are stored as deltas; Whoosh sums them back in a Python generator, one
        # step per posting. itertools.accumulate gives the same sums at C speed.
        whoosh3.delta_decode = accumulate
        BufferFile.__init__ = _buffer_file_init
        BufferFile.subset = _buffer_file_subset
        whoosh.codec.default_codec = segment_writer.codec  # what SegmentWriter asks for
        W3PerDocReader._cached_reader = segment_writer.cached_length_reader
        whoosh_writing.PostingPool = segment_writer.TermPool
        whoosh_writing.SegmentWriter._flush_segment = segment_writer.flush_segment
        whoosh_writing.SegmentWriter.add_document = document_writer.add_document
        fields.FieldType.index = segment_writer.index_field
        # Posting blocks of many postings are packed arrays (packed_blocks); readers take both.
        whoosh3.W3PostingsWriter._mini_ids = packed_blocks.packed_ids
        whoosh3.W3PostingsWriter._mini_weights = packed_blocks.packed_weights
        whoosh3.W3LeafMatcher._read_ids = packed_blocks.read_ids
        whoosh3.W3LeafMatcher._read_weights = packed_blocks.read_weights
        filetables.HashWriter._write_hashes = term_writer.write_hashes
        _installed = True


def is_installed() -> bool:
    return _installed


# ---------------------------------------------------------------------------------------------
# Reading a memory-mapped compound file without copying it


PEEK_BYTES = 512  # the most _ViewFile.peek shows: posting block headers are smaller


class _ViewFile:
    """A read-only file over a memoryview that copies only what is read.

    Whoosh maps a compound segment file into memory and opens each file inside it as a
    BufferFile over a view of the map, but BufferFile wraps the view in a BytesIO, which copies
    it: every search process held a private copy of the whole index (276 MB of its 660 MB at
    100,000 items) and read all of it when it opened a snapshot. Over the map, the pages are
    the operating system's page cache, shared by every process and read only where touched."""

    __slots__ = ("_view", "_position", "_size")

    def __init__(self, view):
        self._view = memoryview(view)
        self._position = 0
        self._size = len(self._view)

    def read(self, size: int | None = -1) -> bytes:
        start = self._position
        end = self._size if size is None or size < 0 else min(start + size, self._size)
        if end <= start:
            return b""
        self._position = end
        return self._view[start:end].tobytes()

    def peek(self, size: int = 1) -> bytes:
        # pickle.load reads a block header a few bytes at a time unless the file can peek;
        # it then reads what it used. Headers are small, so a short look is enough.
        start = self._position
        return self._view[start : start + min(max(size, 1), PEEK_BYTES)].tobytes()

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        limit = self._size if size is None or size < 0 else min(self._position + size, self._size)
        start = end = self._position
        while end < limit:  # pickles and line iteration only: rare, so scan in small chunks
            chunk = self._view[end : min(end + 256, limit)].tobytes()
            found = chunk.find(b"\n")
            if found >= 0:
                end += found + 1
                break
            end += len(chunk)
        self._position = end
        return self._view[start:end].tobytes()

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            offset += self._position
        elif whence == os.SEEK_END:
            offset += self._size
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        self._position = offset
        return offset

    def tell(self) -> int:
        return self._position

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self._view.release()  # the map can then be closed


def _buffer_file_init(self, buf, name=None, onclose=None):
    self._buf = buf
    self._name = name
    self.file = _ViewFile(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def _buffer_file_subset(self, position, length, name=None):
    # BufferFile.subset copied the range; a view of it is enough.
    return BufferFile(self._buf[position : position + length], name=name or self._name)


