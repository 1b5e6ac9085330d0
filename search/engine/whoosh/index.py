"""The Whoosh search index: schema, generations, writers and a cached searcher per index folder.

This package is the only one that imports whoosh; `patches.install()` (called by the entry
points here and by `search.apps.SearchConfig.ready()`) puts in place our changes to Whoosh.
The index is derived from the database and can be rebuilt at any time
(`search.indexing.rebuild_index`).

Layout on disk, under settings.SEARCH_INDEX_DIR (read at call time, so tests can point it at a
fresh folder):

    CURRENT          names the live generation; replaced atomically with os.replace
    g-<stamp>/       one complete Whoosh index per generation

A rebuild fills a new generation beside the live one and then switches CURRENT, so searches keep
answering throughout; generations older than the previous one are removed afterwards (the
previous one is kept for readers in other processes that still have it open).

One Whoosh document per disputed item. Facet fields hold whole labels as single terms (their
analyzer splits only on FACET_SEPARATOR), so a filter is an exact `Term` and facet counting can
read each value's posting list once per searcher generation (see `IndexSnapshot`).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import re
import shutil
import signal
import threading
import time
import uuid
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import reduce
from heapq import nlargest
from itertools import compress, pairwise
from pathlib import Path

from django.conf import settings
from whoosh import fields, index, query
from whoosh.analysis import STOP_WORDS, RegexTokenizer, StemmingAnalyzer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.collectors import TimeLimit, TopCollector, WrappingCollector
from whoosh.idsets import DocIdSet
from whoosh.index import EmptyIndexError, LockError
from whoosh.lang.porter import stem as _stem
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from search.engine.whoosh import patches

SCHEMA_VERSION = 6  # 2: date ranges, case outcome, timeliness buckets; 3: leaner text fields;
# 4: token pairs for phrases; 5: no token pairs (they tripled the cost of indexing);
# 6: no positions, word pairs for phrases (positions made every posting block slow to read)
POINTER_NAME = "CURRENT"
FACET_SEPARATOR = "\x1f"
WRITER_TIMEOUT_SECONDS = 60.0
# A rebuild writes with one process per core into one segment each; `limitmb` is per process.
BUILD_WRITER_OPTIONS = {"procs": int(os.environ.get("IMR_INDEX_PROCS", "2")), "multisegment": True,
                        "limitmb": 256}
OPEN_RETRIES = 8

# Names of the facet fields; searching.py maps request parameters onto them.
FACET_FIELDS = (
    "outcome",
    "specialty",
    "source",
    "guideline",
    "section",
    "page_cited",
    "category",
    "year",
    "priority",
    "case_outcome",
    "days_to_decision",
    "days_assigned_to_decision",
    "days_denial_to_application",
)
# Day-number fields (date.toordinal(), 0 when the letter does not state the date) that the
# date range filters query with NumericRange.
DAY_FIELDS = ("decision_day", "injury_day", "received_day")
# Fields a user may name in a query ("request:mri").
TEXT_FIELDS = ("text", "request", "rationale", "summary", "guideline_text")

# Stemming so "injections" finds "injection"; minsize 1 keeps the "h" of "H-wave" and the "d" of
# "vitamin D" so phrases over them still work.
TEXT_ANALYZER = StemmingAnalyzer(minsize=1)
FACET_ANALYZER = RegexTokenizer(r"[^\x1f]+")


class IndexUnavailable(Exception):
    """The index cannot be searched as it is (missing, or built by another schema version)."""


class RebuildNeeded(IndexUnavailable):
    pass


# Text fields whose words are also in `text`: searched only when named ("rationale:word").
PART_FIELDS = ("rationale", "summary", "guideline_text")


def _part_field(stored: bool = False) -> fields.FieldType:
    field_type = fields.TEXT(analyzer=TEXT_ANALYZER, stored=stored, phrase=False)
    field_type.scorable = False  # ranked by term frequency alone; no length column to write
    return field_type


def build_schema() -> fields.Schema:
    def facet() -> fields.FieldType:
        return fields.KEYWORD(stored=False, lowercase=False, scorable=False, commas=False)

    schema = fields.Schema(
        # Sortable (a column) so check_index can list every id without loading stored fields.
        id=fields.ID(stored=True, unique=True, sortable=True),
        letter_id=fields.ID(stored=True, sortable=True),
        # Case number forms ("cm16-0213037", "cm160213037"): queried by `case:` and by lookups.
        case=fields.KEYWORD(lowercase=True, scorable=False),
        ordinal=fields.NUMERIC(stored=True),
        decision_day=fields.NUMERIC(sortable=True),  # date.toordinal(); 0 when unknown
        injury_day=fields.NUMERIC(),  # the same for the date of injury
        received_day=fields.NUMERIC(),  # and for the date the application was received
        # No character offsets anywhere: passages are found in the stored text (snippets.py).
        request=fields.TEXT(analyzer=TEXT_ANALYZER, stored=True, field_boost=3.0, phrase=False),
        # Also in `text`, so these keep term frequencies only (no positions, no lengths): a
        # phrase limited to one of them is matched as the phrase in `text` plus each word in
        # the field (see query.py); the rationale is stored for passages.
        rationale=_part_field(stored=True),
        summary=_part_field(),
        guideline_text=_part_field(),
        # Everything above in one field: the default search parses against it alone. No
        # positions: a posting block with positions takes three times as long to read, and
        # every search reads whole posting lists. Phrases are matched on `pairs` instead.
        text=fields.TEXT(analyzer=TEXT_ANALYZER, phrase=False),
        # Each pair of neighbouring words of `text` ("physic therapi"), once per item: a
        # two-word phrase is one term here, a longer one the AND of its pairs.
        pairs=fields.ID(),
        synthetic=fields.BOOLEAN(),
        # What a hit shows without touching the database.
        hit=fields.STORED(),
        **{name: facet() for name in FACET_FIELDS},
    )
    for name in FACET_FIELDS:
        schema[name].analyzer = FACET_ANALYZER
    schema["case"].analyzer = FACET_ANALYZER
    return schema


def join_facet_values(values) -> str:
    return FACET_SEPARATOR.join(v.replace(FACET_SEPARATOR, " ") for v in values if v)


# ---------------------------------------------------------------------------------------------
# Analysis for indexing: TEXT_ANALYZER's output, computed once per line of text
#
# An item's `text` repeats its request, rationale, letter summary and guideline text, and the
# summary is the same in every item of a letter. Whoosh indexes a list of strings as words
# already analysed, so each line is analysed once (cached) and the token lists are handed over.
# Tokens never span a newline (the tokenizer matches word characters only), so the tokens of a
# text are exactly the tokens of its lines in order.

_TOKEN_PATTERN = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*")  # TEXT_ANALYZER's tokenizer
_STOP_WORDS = frozenset(STOP_WORDS)
_STEMS: dict[str, str | None] = {}  # lower-cased word -> stem, None for a stop word
_STEM_CACHE_LIMIT = 500_000
_LINE_CACHE_LIMIT = 4096
_line_cache: OrderedDict[str, tuple[str, ...]] = OrderedDict()


def _stem_of(word: str) -> str | None:
    if len(_STEMS) > _STEM_CACHE_LIMIT:
        _STEMS.clear()
    stemmed = None if word in _STOP_WORDS else _stem(word)
    _STEMS[word] = stemmed
    return stemmed


def _line_tokens(line: str) -> tuple[str, ...]:
    cached = _line_cache.get(line)
    if cached is not None:
        return cached
    stems = _STEMS
    out = []
    for word in _TOKEN_PATTERN.findall(line):
        word = word.lower()
        stemmed = stems[word] if word in stems else _stem_of(word)
        if stemmed is not None:
            out.append(stemmed)
    tokens = tuple(out)
    _line_cache[line] = tokens
    if len(_line_cache) > _LINE_CACHE_LIMIT:
        _line_cache.popitem(last=False)
    return tokens


def text_tokens(text: str) -> list[str]:
    """The indexed tokens of `text`, the same as TEXT_ANALYZER gives, positions in order."""
    out: list[str] = []
    for line in (text or "").split("\n"):
        if line:
            out.extend(_line_tokens(line))
    return out


_ANALYSED_FIELDS = ("request", "rationale", "summary", "guideline_text", "text")


PAIR_SEPARATOR = " "  # never inside a token: the tokenizer takes word characters, "*" and "."


def word_pairs(tokens) -> list[str]:
    """The distinct neighbouring pairs of a token list, as `pairs` terms ("physic therapi")."""
    return list(dict.fromkeys(map(PAIR_SEPARATOR.join, pairwise(tokens))))


def prepare_document(document: dict) -> dict:
    """A document for `writer.add_document`: text fields as analysed token lists (stored
    fields keep their text), and the word pairs of `text`. Documents already holding lists are
    returned as they are."""
    out = dict(document)
    for name in _ANALYSED_FIELDS:
        value = out.get(name)
        if isinstance(value, str):
            out[name] = text_tokens(value)
            if name in ("request", "rationale"):
                out[f"_stored_{name}"] = value
    if isinstance(out.get("text"), list) and "pairs" not in out:
        out["pairs"] = word_pairs(out["text"])
    return out


# ---------------------------------------------------------------------------------------------
# Generations and the pointer file


def index_root() -> Path:
    return Path(settings.SEARCH_INDEX_DIR)


def _pointer_path(root: Path) -> Path:
    return root / POINTER_NAME


def current_generation(root: Path | None = None) -> str | None:
    root = root or index_root()
    try:
        name = _pointer_path(root).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def _write_pointer(root: Path, generation: str) -> None:
    tmp = root / f".{POINTER_NAME}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(generation, encoding="utf-8")
    os.replace(tmp, _pointer_path(root))


def _new_generation_name() -> str:
    return f"g-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def _root_lock(root: Path) -> Iterator[None]:
    """Serialises creating and switching generations across processes."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".generation.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _create_generation(root: Path) -> tuple[str, index.Index]:
    name = _new_generation_name()
    path = root / name
    path.mkdir(parents=True)
    ix = index.create_in(str(path), build_schema())
    # The version travels inside the index, so a stale folder can be recognised on open.
    with ix.writer() as writer:
        writer.add_document(id="__schema__", hit={"schema_version": SCHEMA_VERSION})
    return name, ix


def open_or_create() -> tuple[str, index.Index]:
    """The live generation, creating an empty index on first use."""
    patches.install()
    root = index_root()
    generation = current_generation(root)
    if generation and (root / generation).is_dir():
        return generation, _open_with_retry(root / generation)
    with _root_lock(root):
        generation = current_generation(root)
        if generation and (root / generation).is_dir():
            return generation, _open_with_retry(root / generation)
        generation, ix = _create_generation(root)
        _write_pointer(root, generation)
        return generation, ix


def _open_with_retry(path: Path) -> index.Index:
    patches.install()
    for attempt in range(OPEN_RETRIES):
        try:
            return index.open_dir(str(path))
        except (FileNotFoundError, EmptyIndexError):
            # A writer was replacing the table of contents; the next attempt sees the new one.
            if attempt == OPEN_RETRIES - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


def schema_version_of(ix: index.Index) -> int | None:
    with ix.searcher() as searcher:
        docnum = searcher.document_number(id="__schema__")
        if docnum is None:
            return None
        return (searcher.stored_fields(docnum).get("hit") or {}).get("schema_version")


def check_schema(ix: index.Index) -> None:
    version = schema_version_of(ix)
    if version != SCHEMA_VERSION:
        raise RebuildNeeded(
            f"the search index was built with schema version {version}, this code needs "
            f"{SCHEMA_VERSION}: run `python manage.py rebuild_index`"
        )


# ---------------------------------------------------------------------------------------------
# Writing


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class _SubWriterTask(SubWriterTask):
    """Whoosh's sub-writer process, made to die with its parent.

    A sub-writer is forked after the parent took the index's write lock, an flock that the
    child's copy of the descriptor keeps held; and it waits on its job queue forever. So a
    parent killed mid-write would leave children that block every later writer. The kernel
    kills them with the parent instead (Linux; elsewhere they only check at start).
    """

    def run(self):
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != self.parent_pid:
            os._exit(1)  # the parent died before the line above
        super().run()


class _ParallelWriter(MpWriter):
    """MpWriter (one segment per process) whose sub-writers die with the parent, and stop
    when the writer is cancelled (Whoosh's cancel only sets a flag in the parent's copy of each
    task, leaving them blocked on their queue)."""

    def _new_task(self):
        task = _SubWriterTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
            self.multisegment,
        )
        task.parent_pid = os.getpid()
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self):
        for task in self.tasks:
            if task.is_alive():
                task.kill()
            task.join()
        self.tasks = []
        super().cancel()


def new_writer(ix: index.Index, *, procs: int = 1, multisegment: bool = True, **options):
    """A writer on `ix`; with procs > 1 (capped at the cores), `procs` processes that write a
    segment each (multisegment) or hand their sorted postings to the parent."""
    patches.install()
    procs = min(procs, os.cpu_count() or 1)
    if procs < 2:
        return ix.writer(**options)
    return _ParallelWriter(ix, procs=procs, multisegment=multisegment, **options)


@contextlib.contextmanager
def live_writer(*, procs: int = 1, wait_seconds: float | None = None) -> Iterator:
    """A writer on the live generation; a second writer waits for the first instead of failing
    (up to `wait_seconds`, WRITER_TIMEOUT_SECONDS by default).

    If a rebuild switched generations while this one waited for the lock, it moves to the new
    generation so no update lands in an index that is about to be dropped. With procs > 1
    (large batches), documents are written by that many processes into a segment each; deletes
    apply as with one process (they mark documents of the existing segments).
    """
    root = index_root()
    for _ in range(5):
        generation, ix = open_or_create()
        check_schema(ix)
        try:
            # limitmb (per process): postings are held in memory up to this, then in runs on
            # disk (see segment_writer.TermPool).
            writer = new_writer(
                ix,
                procs=procs,
                timeout=WRITER_TIMEOUT_SECONDS if wait_seconds is None else wait_seconds,
                delay=0.05,
                limitmb=256,
            )
        except LockError as exc:
            raise IndexUnavailable("the search index is locked by another writer") from exc
        if current_generation(root) != generation:
            writer.cancel()
            continue
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return
    raise IndexUnavailable("the search index kept changing generation; try again")


def live_document_count() -> int | None:
    """Items in the live generation (the schema marker aside), from its table of contents alone;
    None without an index. (Whoosh's doc_count() opens a reader, which at 100,000 items briefly
    takes some 400 MB.)"""
    root = index_root()
    generation = current_generation(root)
    if not generation or not (root / generation).is_dir():
        return None
    try:
        ix = _open_with_retry(root / generation)
        return sum(segment.doc_count() for segment in ix._segments()) - 1
    except (OSError, EmptyIndexError):
        return None


def build_generation(fill: Callable[[object], None], *, on_switch: Callable | None = None) -> str:
    """Fill a fresh generation with `fill(writer)`, then make it the live one.

    While the pointer switches, the live generation's write lock is held so no incremental
    update is half-way into the old generation; `on_switch` runs right after the switch (still
    under that lock is not needed: callers re-apply recent changes through `live_writer`).
    """
    patches.install()
    root = index_root()
    root.mkdir(parents=True, exist_ok=True)
    name = _new_generation_name()
    path = root / name
    path.mkdir()
    ix = index.create_in(str(path), build_schema())
    writer = new_writer(ix, **BUILD_WRITER_OPTIONS)
    parallel = isinstance(writer, MpWriter)
    try:
        writer.add_document(id="__schema__", hit={"schema_version": SCHEMA_VERSION})
        fill(writer)
    except BaseException:
        writer.cancel()
        shutil.rmtree(path, ignore_errors=True)
        raise
    # One segment per writer process: merging them would rewrite the whole index for little
    # gain at search time (searches read the segments one after the other).
    writer.commit(optimize=not (parallel and BUILD_WRITER_OPTIONS.get("multisegment")))
    with _root_lock(root):
        old = current_generation(root)
        old_lock = None
        if old and (root / old).is_dir():
            with contextlib.suppress(Exception):
                old_ix = index.open_dir(str(root / old))
                old_lock = old_ix.lock("WRITELOCK")
                if not _try_acquire(old_lock, WRITER_TIMEOUT_SECONDS):
                    old_lock = None
        try:
            _write_pointer(root, name)
        finally:
            if old_lock is not None:
                old_lock.release()
    if on_switch:
        on_switch()
    cleanup_generations(root)
    return name


def _try_acquire(lock, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if lock.acquire(blocking=False):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def cleanup_generations(root: Path | None = None) -> list[str]:
    """Remove generations other than the live one and the one just before it.

    The previous generation stays because a reader in another process may still hold it open;
    it goes at the next switch. Leftover temporary pointer files from killed processes go too.
    Whoosh's write locks are fcntl locks: the kernel releases them when a writer dies, so a lock
    file left behind never blocks anyone.
    """
    root = root or index_root()
    live = current_generation(root)
    generations = sorted(
        (p for p in root.glob("g-*") if p.is_dir()), key=lambda p: p.stat().st_mtime
    )
    keep = {live}
    others = [p for p in generations if p.name != live]
    if others:
        keep.add(others[-1].name)
    removed = []
    for path in generations:
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    for tmp in root.glob(f".{POINTER_NAME}.*.tmp"):
        if time.time() - tmp.stat().st_mtime > 60:
            tmp.unlink(missing_ok=True)
    return removed


# ---------------------------------------------------------------------------------------------
# Reading: one snapshot per searcher generation


class BitsView(DocIdSet):
    """A document set held as an int's bits, viewed as a set for Whoosh's filtering collector."""

    def __init__(self, bits: int, size: int):
        self.raw = bits.to_bytes((size >> 3) + 1, "little")
        self.count = bits.bit_count()

    def __len__(self) -> int:
        return self.count

    def __contains__(self, docnum) -> bool:
        index_ = docnum >> 3
        return index_ < len(self.raw) and bool(self.raw[index_] >> (docnum & 7) & 1)

    def __iter__(self):
        return iter(docnums_from_bits(int.from_bytes(self.raw, "little")))

    def copy(self):
        copied = BitsView(0, 0)
        copied.raw, copied.count = self.raw, self.count
        return copied


def bits_from_docnums(docnums, size: int, deadline: float | None = None) -> tuple[int, bool]:
    """Document numbers -> a Python int with bit d set for each d; (bits, finished in time)."""
    packed = bytearray((size >> 3) + 1)
    finished = True
    for count, docnum in enumerate(docnums):
        packed[docnum >> 3] |= 1 << (docnum & 7)
        if deadline is not None and not count & 4095 and time.monotonic() > deadline:
            finished = False
            break
    return int.from_bytes(packed, "little"), finished


def flags_from_bits(bits: int, size: int) -> bytes:
    """One byte per document number below `size`, 1 where the bit is set (C-speed throughout)."""
    if bits <= 0:
        return bytes(size)
    flags = format(bits, "b")[::-1].encode("ascii").translate(_ONE_ZERO)
    return flags[:size] + bytes(size - len(flags))


def docnums_from_bits(bits: int) -> list[int]:
    """The set bits of an int, ascending."""
    if bits <= 0:
        return []
    count = bits.bit_count()
    length = bits.bit_length()
    if count * 16 > length:
        # Dense: select from a range with the flags, all in C.
        return list(compress(range(length), flags_from_bits(bits, length)))
    raw = bits.to_bytes((length >> 3) + 1, "little")
    out = []
    append = out.append
    for byte_index, byte in enumerate(raw):
        if byte:
            base = byte_index << 3
            for bit in _BITS_OF_BYTE[byte]:
                append(base + bit)
    return out


_BITS_OF_BYTE = [tuple(b for b in range(8) if value >> b & 1) for value in range(256)]
_ZERO_ONE = bytes.maketrans(b"\x00\x01", b"01")
_ONE_ZERO = bytes.maketrans(b"01", b"\x00\x01")
# Prefix queries are scored over their most frequent expansions only (the match set itself is
# exact: it comes from the bitsets); documents matched only by a rarer expansion follow.
SCORED_PREFIX_TERMS = 12
POSTINGS_CACHE_ITEMS = 4_000_000  # decoded postings a snapshot keeps (term_postings)
SCORE_CHUNK = 16_384  # postings scored between two looks at the clock


class _Flags:
    """One byte per document number, set from posting blocks at C speed, read out as an int."""

    def __init__(self, size: int):
        self.flags = bytearray(size + 1)
        self.view = memoryview(self.flags)

    def add_ids(self, ids, offset: int) -> None:
        # A plain loop: twice as fast as map(flags.__setitem__, ...) (26 against 54 ns an id).
        flags = self.flags
        if offset:
            for docnum in ids:
                flags[docnum + offset] = 1
        else:
            for docnum in ids:
                flags[docnum] = 1

    def bits(self) -> int:
        return int(self.flags.translate(_ZERO_ONE)[::-1], 2)


def _block_ids(matcher) -> Iterator:
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


def _block_postings(matcher, with_values: bool = False) -> Iterator:
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


# BM25F's free parameters, as in Whoosh's default weighting (scoring.BM25F).
BM25_B = 0.75
BM25_K1 = 1.2


class _FilteredTimedCollector(WrappingCollector):
    """Keeps only allowed documents and stops at a deadline, in one pass.

    Whoosh's FilterCollector and TimeLimitCollector do not nest: the time limit collector
    iterates its child's matches itself and so bypasses the filter. This also avoids the timer
    thread and SIGALRM (which only works in the main thread).
    """

    def __init__(self, child, allow, deadline: float):
        self.child = child
        self.allow = allow
        self.deadline = deadline

    def collect_matches(self):
        child = self.child
        allow = self.allow
        offset = self.offset
        deadline = self.deadline
        for seen, sub_docnum in enumerate(child.matches()):
            if allow is None or (offset + sub_docnum) in allow:
                child.collect(sub_docnum)
            if not seen & 511 and time.monotonic() > deadline:
                raise TimeLimit


BEST_SAMPLE_STRIDE = 64  # _best_documents samples one document number in so many


def _best_documents(scores: list[float], allowed_bits: int, limit: int) -> list[int]:
    """The `limit` allowed document numbers with the highest scores, ties in document order:
    nlargest over every allowed document, without calling its key a million times.

    The limit-th best score of a sample of allowed documents is no higher than the limit-th best
    of them all, so every document that can make the list scores at least that: a C-speed pass
    keeps those, and nlargest ranks the few kept."""
    count = allowed_bits.bit_count()
    # A pass over every score costs about what ranking half of them does: sample only when
    # at least half the documents are allowed.
    if count * 2 >= len(scores) and count > BEST_SAMPLE_STRIDE * limit * 4:
        allowed = flags_from_bits(allowed_bits, len(scores))
        sample = [
            scores[docnum]
            for docnum in range(0, len(scores), BEST_SAMPLE_STRIDE)
            if allowed[docnum]
        ]
        if len(sample) >= limit:
            floor = nlargest(limit, sample)[-1]
            kept = compress(range(len(scores)), map(floor.__le__, scores))
            candidates = [docnum for docnum in kept if allowed[docnum]]
            return nlargest(limit, candidates, key=scores.__getitem__)
    return nlargest(limit, docnums_from_bits(allowed_bits), key=scores.__getitem__)


@dataclass
class FacetColumn:
    """Every value of one facet with the bits of the documents that have it."""

    values: list[str]
    bits: list[int]


@dataclass
class IndexSnapshot:
    """A searcher and what was derived from it once; replaced when the index changes."""

    generation: str
    searcher: object
    size: int  # doc_count_all(): document numbers run from 0 to size - 1
    live_bits: int
    total: int
    lock: threading.RLock = field(default_factory=threading.RLock)
    _facets: dict[str, FacetColumn] = field(default_factory=dict)
    _newest_first: list[int] | None = None
    _oldest_first: list[int] | None = None
    _date_rank: list[int] | None = None
    cache: OrderedDict = field(default_factory=OrderedDict)
    cache_size: int = 256
    _length_codes: dict[str, bytes] = field(default_factory=dict)
    _postings: OrderedDict = field(default_factory=OrderedDict)
    _postings_held: int = 0

    def clear_caches(self) -> None:
        """Forget recent results and decoded postings (benchmarks time searches without them)."""
        with self.lock:
            self.cache.clear()
            self._postings.clear()
            self._postings_held = 0

    def facet(self, name: str) -> FacetColumn:
        column = self._facets.get(name)
        if column is None:
            reader = self.searcher.reader()
            values, bits = [], []
            for raw in reader.lexicon(name):
                value = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                value_bits = self._read_term_bits(name, raw) & self.live_bits
                if value_bits:
                    values.append(value)
                    bits.append(value_bits)
            column = FacetColumn(values, bits)
            self._facets[name] = column
        return column

    def value_bits(self, name: str, value: str) -> int:
        column = self.facet(name)
        try:
            return column.bits[column.values.index(value)]
        except ValueError:
            return 0

    def newest_first(self) -> list[int]:
        """Live document numbers by decision date, newest first (ties: index order)."""
        if self._newest_first is None:
            reader = self.searcher.reader()
            days = column_values(reader, "decision_day")
            live = docnums_from_bits(self.live_bits)
            self._newest_first = sorted(live, key=lambda d: (-(days[d] or 0), d))
        return self._newest_first

    def oldest_first(self) -> list[int]:
        if self._oldest_first is None:
            self._oldest_first = self.newest_first()[::-1]
        return self._oldest_first

    def date_rank(self) -> list[int]:
        """Position of each document number in newest_first() (size + 1 for dead ones)."""
        if self._date_rank is None:
            rank = [self.size + 1] * (self.size + 1)
            for position, docnum in enumerate(self.newest_first()):
                rank[docnum] = position
            self._date_rank = rank
        return self._date_rank

    def docs_bits(self, q, deadline: float | None = None) -> tuple[int, bool]:
        """The live documents matching q, as bits; (bits, finished in time).

        Terms, prefixes and the boolean operators are evaluated here on whole posting lists
        (one bitset per term, combined with integer AND/OR); phrases and anything else are
        matched by Whoosh within the documents that hold all their words.
        """
        state = {"finished": True, "deadline": deadline}
        bits = self._query_bits(q, state)
        return bits & self.live_bits, state["finished"]

    def term_bits(self, fieldname: str, text) -> int:
        """Every document number (deleted ones included) with the term, as bits.

        Kept in the snapshot's recent-results cache: one search often needs a word twice (in
        its phrase and in its scoring groups, say), and paging or ticking a facet repeats it.
        """
        return self.cached(("term", fieldname, text), lambda: self._read_term_bits(fieldname, text))

    def _read_term_bits(self, fieldname: str, text) -> int:
        flags = _Flags(self.size)
        if self.searcher.schema[fieldname].scorable:
            # A scored field's word is usually scored by the same search: decode its list once.
            for ids, _ in self.term_postings(fieldname, text):
                flags.add_ids(ids, 0)
            return flags.bits()
        for leaf, offset in self.searcher.reader().leaf_readers():
            try:
                matcher = leaf.postings(fieldname, text)
            except TermNotFound:
                continue
            for ids in _block_ids(matcher):
                flags.add_ids(ids, offset)
        return flags.bits()

    def term_postings(self, fieldname: str, text) -> list[tuple[array, array]]:
        """A term's postings as (document numbers, weights), two arrays a segment.

        Decoding a posting block (zlib, then a pickle) costs more than using it, and a search
        needs a word's list twice: its bitset for the match set, then its weights for scoring.
        The last few lists decoded are kept, up to POSTINGS_CACHE_ITEMS postings in all (8
        bytes each)."""
        key = (fieldname, _text(text))
        with self.lock:
            parts = self._postings.get(key)
            if parts is not None:
                self._postings.move_to_end(key)
                return parts
        parts = []
        for leaf, offset in self.searcher.reader().leaf_readers():
            try:
                matcher = leaf.postings(fieldname, text)
            except TermNotFound:
                continue
            ids, weights = array("I"), array("f")
            for block_ids, block_weights in _block_postings(matcher):
                ids.extend(map(offset.__add__, block_ids) if offset else block_ids)
                weights.extend(block_weights)
            parts.append((ids, weights))
        count = sum(len(ids) for ids, _ in parts)
        if count <= POSTINGS_CACHE_ITEMS:
            with self.lock:
                if key not in self._postings:
                    self._postings[key] = parts
                    self._postings_held += count
                while self._postings_held > POSTINGS_CACHE_ITEMS:
                    _, dropped = self._postings.popitem(last=False)
                    self._postings_held -= sum(len(ids) for ids, _ in dropped)
        return parts

    def expand_prefix(self, fieldname: str, prefix: str) -> list[str]:
        return [
            _text(t) for t in self.searcher.reader().expand_prefix(fieldname, prefix)
        ]

    def _query_bits(self, q, state) -> int:
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
            positive = self._query_bits(q.a, state)
            return positive & ~self._query_bits(q.b, state) if positive else 0
        if isinstance(q, query.Not):
            return self.live_bits & ~self._query_bits(q.query, state)
        if isinstance(q, query.And) and q.subqueries:
            bits = -1
            for sub in q.subqueries:
                bits &= self._query_bits(sub, state)
                if not bits:
                    return 0
            return bits
        if isinstance(q, query.Or) and q.subqueries and q.minmatch <= 1:
            return reduce(int.__or__, (self._query_bits(sub, state) for sub in q.subqueries), 0)
        if type(q) is query.Prefix:
            flags = _Flags(self.size)
            reader = self.searcher.reader()
            for leaf, offset in reader.leaf_readers():
                for term in leaf.expand_prefix(q.fieldname, q.text):
                    for ids in _block_ids(leaf.postings(q.fieldname, term)):
                        flags.add_ids(ids, offset)
            return flags.bits()
        if isinstance(q, query.Phrase) and q.words:
            return self._phrase_bits(q.fieldname, list(q.words))
        bits, finished = bits_from_docnums(
            self.searcher.docs_for_query(q), self.size, state["deadline"]
        )
        if not finished:
            state["finished"] = False
        return bits

    def _phrase_bits(self, fieldname: str, words: list[str]) -> int:
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

    def cached(self, key, compute):
        with self.lock:
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
        value = compute()
        with self.lock:
            self.cache[key] = value
            while len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        return value

    def top_scored(self, q, allowed_bits: int | None, limit: int, timelimit: float,
                   *, matched_only: bool = False):
        """(docnum, score) of the best `limit` documents among `allowed_bits` (None: all live
        documents), ranked by q's words with BM25F as Whoosh scores them.

        The caller decides the match set (the bitsets): every allowed document is a candidate,
        those q's words do not reach score 0 and follow in index order, unless `matched_only`,
        which leaves them out. Returns (hits, timed_out); on timeout, the best found so far.
        """
        deadline = time.monotonic() + timelimit
        terms = self.scored_terms(q)
        if terms is None:
            return self._top_scored_by_whoosh(q, allowed_bits, limit, deadline, matched_only)
        allowed = allowed_bits if allowed_bits is not None else self.live_bits
        # Scoring a posting costs more than testing a flag: when few documents are allowed (a
        # facet ticked, a rare word beside a common one), only theirs are scored.
        sparse = allowed.bit_count() * 4 < self.total
        scores, timed_out = self.term_scores(terms, deadline, allowed if sparse else None)
        best = _best_documents(scores, allowed, max(1, limit))
        hits = [(docnum, scores[docnum]) for docnum in best]
        if matched_only:
            hits = [hit for hit in hits if hit[1] > 0]
        return hits, timed_out

    def scored_terms(self, q) -> list[tuple[int | None, dict[tuple[str, str], float]]] | None:
        """The words that rank q's matches (see scoring_query) as groups of {(field, term):
        boost}, each with the documents it scores in (None: wherever a word occurs), or None
        for a query our scorer does not cover.

        Whoosh adds a conjunction's score only where all its parts match: an And under an Or
        (a phrase scored as its words, say "magnetic resonance imaging" beside "mri") is a
        group limited to the documents that hold all its words.
        """
        groups: dict[int | None, dict[tuple[str, str], float]] = {}

        def walk(node, boost: float, gate: int | None, optional: bool) -> bool:
            boost *= getattr(node, "boost", 1.0)
            if isinstance(node, query.Term):
                terms = groups.setdefault(gate, {})
                key = (node.fieldname, _text(node.text))
                terms[key] = terms.get(key, 0.0) + boost
                return True
            if isinstance(node, query.AndNot):
                return walk(node.a, boost, gate, optional)
            if isinstance(node, query.AndMaybe):
                return walk(node.a, boost, gate, optional) and walk(node.b, boost, gate, True)
            if isinstance(node, query.And):
                if optional:
                    bits = self._query_bits(node, {"finished": True, "deadline": None})
                    gate = bits if gate is None else gate & bits
                return all(walk(sub, boost, gate, False) for sub in node.subqueries)
            if isinstance(node, query.Or):
                return all(walk(sub, boost, gate, True) for sub in node.subqueries)
            return isinstance(node, query.Not | query.Every | query.NullQuery.__class__)

        if not walk(self.scoring_query(q), 1.0, None, False):
            return None
        return list(groups.items())

    def term_scores(self, groups, deadline: float, allowed_bits: int | None = None):
        """A list by document number of the summed BM25F scores of scored_terms' groups;
        (scores, timed out). With `allowed_bits`, only those documents are scored."""
        size = self.size + 1
        scores = [0.0] * size
        wanted = flags_from_bits(allowed_bits, size) if allowed_bits is not None else None
        started = False
        for gate, terms in groups:
            if gate is None:
                if self._add_term_scores(scores, terms, deadline, wanted):
                    return scores, True
                started = True
                continue
            # A gated group counts only in its gate's documents, so only they are scored.
            gate_bits = gate if allowed_bits is None else gate & allowed_bits
            gate_wanted = flags_from_bits(gate_bits, size)
            if not started:  # nothing to add to yet: the sums are the same, in the same order
                if self._add_term_scores(scores, terms, deadline, gate_wanted):
                    return scores, True
                started = True
                continue
            part = [0.0] * size
            if self._add_term_scores(part, terms, deadline, gate_wanted):
                return scores, True
            for docnum in docnums_from_bits(gate_bits):
                scores[docnum] += part[docnum]
        return scores, False

    def _add_term_scores(
        self, scores: list[float], terms, deadline: float, wanted: bytes | None
    ) -> bool:
        """Add each term's BM25F score times its boost to `scores`; True if time ran out.

        The same sum Whoosh's matchers compute (a Term's score times its boost, added up over
        And, Or and AndMaybe), without a matcher tree: each posting list is decoded once
        (term_postings) and a score looked up in a table by (weight, length byte), so the cost
        is a few list operations per posting. With `wanted` (a byte per document), only
        documents whose byte is set are scored.
        """
        searcher = self.searcher
        for (fieldname, text), boost in terms.items():
            scorable = searcher.schema[fieldname].scorable
            if scorable:
                idf = searcher.idf(fieldname, text)
                avgfl = searcher.avg_field_length(fieldname) or 1
                codes = self.length_codes(fieldname)
                norms = [
                    BM25_K1 * ((1 - BM25_B) + BM25_B * byte_to_length(code) / avgfl)
                    for code in range(256)
                ]
                scale = boost * idf * (BM25_K1 + 1)
                rows: dict[float, list[float]] = {}
            for all_ids, all_weights in self.term_postings(fieldname, text):
                for start in range(0, len(all_ids), SCORE_CHUNK):
                    ids = all_ids[start : start + SCORE_CHUNK]
                    weights = all_weights[start : start + SCORE_CHUNK]
                    if wanted is not None:
                        keep = bytes(map(wanted.__getitem__, ids))
                        ids, weights = compress(ids, keep), compress(weights, keep)
                    if scorable:
                        for docnum, weight in zip(ids, weights):  # noqa: B905 (compress objects)
                            row = rows.get(weight)
                            if row is None:
                                row = rows[weight] = [scale * weight / (weight + n) for n in norms]
                            scores[docnum] += row[codes[docnum]]
                    else:
                        for docnum, weight in zip(ids, weights):  # noqa: B905
                            scores[docnum] += boost * weight
                    if time.monotonic() > deadline:
                        return True
        return False

    def length_codes(self, fieldname: str) -> bytes:
        """Each document's length in a scored field, as Whoosh's one-byte code, by number."""
        codes = self._length_codes.get(fieldname)
        if codes is None:
            out = bytearray()
            for leaf, offset in self.searcher.reader().leaf_readers():
                out.extend(bytes(offset - len(out)))
                out.extend(_segment_length_codes(leaf, fieldname))
            out.extend(bytes(self.size + 1 - len(out)))
            codes = self._length_codes[fieldname] = bytes(out)
        return codes

    def _top_scored_by_whoosh(self, q, allowed_bits, limit, deadline, matched_only):
        top = TopCollector(limit=max(1, limit))
        allow = BitsView(allowed_bits, self.size) if allowed_bits is not None else None
        collector = _FilteredTimedCollector(top, allow, deadline)
        timed_out = False
        scoring = self.scoring_query(q)
        try:
            self.searcher.search_with_collector(scoring, collector)
        except TimeLimit:
            timed_out = True
        hits = [(hit.docnum, hit.score) for hit in top.results()]
        if not matched_only and len(hits) < limit and not timed_out:
            # The scoring query may miss matches (see scoring_query): they follow, unscored.
            seen = {docnum for docnum, _ in hits}
            matches = allowed_bits if allowed_bits is not None else self.live_bits
            for docnum in docnums_from_bits(matches):
                if docnum not in seen:
                    hits.append((docnum, 0.0))
                    if len(hits) >= limit:
                        break
        return hits, timed_out

    def scoring_query(self, q):
        """A cheaper query that ranks the same matches nearly the same way.

        The match set is decided by the bitsets; ranking only needs the words. A phrase is
        scored as its words (Whoosh's phrase matcher reads positions for every candidate and
        cannot skip blocks), a prefix as its SCORED_PREFIX_TERMS most frequent expansions, and
        the excluded side of AND NOT is left to the allowed set.
        """
        if isinstance(q, query.Phrase):
            words = [query.Term(q.fieldname, word) for word in q.words]
            return words[0] if len(words) == 1 else query.And(words, boost=q.boost)
        if type(q) is query.Prefix:
            reader = self.searcher.reader()
            terms = []
            for count, term in enumerate(reader.expand_prefix(q.fieldname, q.text)):
                terms.append((reader.doc_frequency(q.fieldname, term), _text(term)))
                if count > 2000:
                    return q
            terms.sort(reverse=True)
            words = [query.Term(q.fieldname, t, boost=q.boost) for _, t in terms]
            words = words[:SCORED_PREFIX_TERMS]
            if not words:
                return q
            return words[0] if len(words) == 1 else query.Or(words)
        if isinstance(q, query.AndNot):
            return self.scoring_query(q.a)
        if isinstance(q, query.And | query.Or | query.AndMaybe):
            cheaper = q.apply(self.scoring_query)
            return q if cheaper == q else cheaper
        return q

    def stored(self, docnum: int) -> dict:
        return self.searcher.stored_fields(docnum)

    def key_terms(self, docnums: list[int], fieldname: str, numterms: int):
        return self.searcher.key_terms(docnums, fieldname, numterms=numterms)

    def key_terms_from_text(self, fieldname: str, text: str, numterms: int):
        return self.searcher.key_terms_from_text(fieldname, text, numterms=numterms)

    def document_number(self, **kw):
        return self.searcher.document_number(**kw)


_snapshots: dict[str, IndexSnapshot] = {}
# Index folder -> (generation, the error) for a live generation built by another schema version.
_stale_generations: dict[str, tuple[str, RebuildNeeded]] = {}
_snapshots_lock = threading.Lock()


def snapshot() -> IndexSnapshot:
    """The cached snapshot of the live index for this settings.SEARCH_INDEX_DIR.

    Cheap when nothing changed (a pointer read and a generation check); otherwise a new searcher
    is opened, retried while a writer is replacing files, and derived data starts afresh.
    """
    root = index_root()
    key = str(root)
    with _snapshots_lock:
        snap = _snapshots.get(key)
        generation = current_generation(root)
        if snap is not None and generation == snap.generation:
            try:
                if snap.searcher.up_to_date():
                    return snap
            except (FileNotFoundError, OSError):
                pass
        stale = _stale_generations.get(key)
        if stale is not None and stale[0] == generation:
            # Known to need a rebuild: say so again without opening the index per search.
            raise stale[1]
        # The old searcher is not closed here: another thread may be mid-search on it; its files
        # close when it is garbage collected.
        try:
            fresh = _open_snapshot()
        except RebuildNeeded as exc:
            if generation is not None:
                _stale_generations[key] = (generation, exc)
            raise
        _stale_generations.pop(key, None)
        _snapshots[key] = fresh
        return fresh


def _open_snapshot() -> IndexSnapshot:
    last_error: Exception | None = None
    for attempt in range(OPEN_RETRIES):
        try:
            generation, ix = open_or_create()
            check_schema(ix)
            searcher = ix.searcher()
            reader = searcher.reader()
            size = reader.doc_count_all()
            live_bits = (1 << size) - 1
            for leaf, offset in reader.leaf_readers():
                if leaf.has_deletions():
                    deleted = leaf.segment().deleted_docs()
                    cleared = bits_from_docnums((offset + d for d in deleted), size)[0]
                    live_bits &= ~cleared
            schema_doc = searcher.document_number(id="__schema__")
            if schema_doc is not None:
                live_bits &= ~(1 << schema_doc)
            return IndexSnapshot(
                generation=generation,
                searcher=searcher,
                size=size,
                live_bits=live_bits,
                total=live_bits.bit_count(),
            )
        except RebuildNeeded:
            raise
        except (FileNotFoundError, EmptyIndexError, OSError) as exc:
            last_error = exc
            time.sleep(0.02 * (attempt + 1))
    raise IndexUnavailable(f"the search index could not be opened: {last_error}")


def forget_snapshots() -> None:
    with _snapshots_lock:
        _stale_generations.clear()
        for snap in _snapshots.values():
            with contextlib.suppress(Exception):
                snap.searcher.close()
        _snapshots.clear()


def live_ids(snap: IndexSnapshot) -> tuple[set[str], set[str]]:
    """(item ids, letter ids) of every live document, read from the id columns."""
    reader = snap.searcher.reader()
    ids = column_values(reader, "id")
    letters = column_values(reader, "letter_id")
    item_ids, letter_ids = set(), set()
    for docnum in docnums_from_bits(snap.live_bits):
        if ids[docnum]:
            item_ids.add(_text(ids[docnum]))
            letter_ids.add(_text(letters[docnum]))
    return item_ids, letter_ids


def column_values(reader, fieldname: str) -> list:
    """One value per document number. Whoosh's multi-segment column reader skips segments that
    lack the column (such as the first one, holding only the schema marker), which would shift
    every later value, so segments are read one by one."""
    values: list = []
    for leaf, offset in reader.leaf_readers():
        values.extend([None] * (offset - len(values)))
        values.extend(leaf.column_reader(fieldname))
    values.extend([None] * (reader.doc_count_all() - len(values)))
    return values


def _segment_length_codes(leaf, fieldname: str) -> bytes:
    """One segment's length column for `fieldname` (one byte a document), empty if none."""
    perdoc = getattr(leaf, "_perdoc", None)
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if perdoc else None
    if column is None:
        return bytes(leaf.doc_count_all())
    doccount = leaf.doc_count_all()
    try:
        # Fixed one-byte values: the column's bytes are the codes (the rest default to 0).
        raw = column._dbfile.get(column._basepos, min(column._count, doccount))
    except AttributeError:
        raw = bytes(column[docnum] for docnum in range(doccount))
    return raw + bytes(doccount - len(raw))


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def analyze(text: str) -> list[str]:
    """The indexed tokens of `text` (lower case, stemmed, stop words dropped)."""
    return [token.text for token in TEXT_ANALYZER(text)]


def stem(word: str) -> str:
    return _stem(word.lower())


# Query classes, re-exported so query building elsewhere does not import whoosh itself.
Q = query
