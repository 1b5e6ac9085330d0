"""A snapshot of one index folder's live generation, and the registry that caches one per folder.

A snapshot is a searcher and what was derived from it once (facet tables, date order, decoded
postings, recent results); it is replaced when the index changes. Its jobs are its
collaborators': `evaluator` (query -> bits), `scorer` (BM25F ranking), `facets` (facet
columns), `dates` (date order) and `meaning` (the generation's item vectors).
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

from whoosh.index import EmptyIndexError

from search.engine.errors import IndexUnavailable, RebuildNeeded
from search.engine.whoosh import storage
from search.engine.whoosh.bits import bits_from_docnums, docnums_from_bits
from search.engine.whoosh.evaluation import Evaluator, Postings, RecentResults, text_of
from search.engine.whoosh.facet_tables import DateOrder, FacetTables, column_values
from search.engine.whoosh.meaning import DocumentVectors
from search.engine.whoosh.scoring import Scorer


class IndexSnapshot:
    """A searcher and what was derived from it once; replaced when the index changes."""

    def __init__(self, generation: str, searcher, size: int, live_bits: int,
                 folder: Path | None = None):
        self.generation = generation
        self.folder = folder  # the generation's folder
        self.searcher = searcher
        self.size = size  # doc_count_all(): document numbers run from 0 to size - 1
        self.live_bits = live_bits
        self.total = live_bits.bit_count()
        self.results = RecentResults()
        self.postings = Postings(searcher, size)
        self.evaluator = Evaluator(searcher, size, live_bits, self.postings, self.results)
        self.scorer = Scorer(searcher, size, live_bits, self.total, self.postings, self.evaluator)
        self.facets = FacetTables(searcher, live_bits, self.postings)
        self.dates = DateOrder(searcher, size, live_bits)
        self.meaning = DocumentVectors(folder, searcher.reader(), size) if folder else None

    def cached(self, key, compute):
        """compute(), or its value kept from a recent call with the same key."""
        return self.results.get(key, compute)

    def clear_caches(self) -> None:
        """Forget recent results and decoded postings (benchmarks time searches without them)."""
        self.results.clear()
        self.postings.clear()

    def stored(self, docnum: int) -> dict:
        return self.searcher.stored_fields(docnum)

    def document_number(self, **kw):
        return self.searcher.document_number(**kw)

    def key_terms_from_text(self, fieldname: str, text: str, numterms: int):
        return self.searcher.key_terms_from_text(fieldname, text, numterms=numterms)

    def doc_frequency(self, fieldname: str, text: str) -> int:
        return self.searcher.reader().doc_frequency(fieldname, text)

    def live_ids(self) -> tuple[set[str], set[str]]:
        """(item ids, letter ids) of every live document, read from the id columns."""
        reader = self.searcher.reader()
        ids = column_values(reader, "id")
        letters = column_values(reader, "letter_id")
        item_ids, letter_ids = set(), set()
        for docnum in docnums_from_bits(self.live_bits):
            if ids[docnum]:
                item_ids.add(text_of(ids[docnum]))
                letter_ids.add(text_of(letters[docnum]))
        return item_ids, letter_ids


_snapshots: dict[str, IndexSnapshot] = {}
# Index folder -> (generation, the error) for a live generation built by another schema version.
_stale_generations: dict[str, tuple[str, RebuildNeeded]] = {}
_snapshots_lock = threading.Lock()


def snapshot(root: Path) -> IndexSnapshot:
    """The cached snapshot of the live index in the folder `root`.

    Cheap when nothing changed (a pointer read and a generation check); otherwise a new searcher
    is opened, retried while a writer is replacing files, and derived data starts afresh.
    """
    key = str(root)
    with _snapshots_lock:
        snap = _snapshots.get(key)
        generation = storage.current_generation(root)
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
            fresh = _open_snapshot(root)
        except RebuildNeeded as exc:
            if generation is not None:
                _stale_generations[key] = (generation, exc)
            raise
        _stale_generations.pop(key, None)
        _snapshots[key] = fresh
        return fresh


def _open_snapshot(root: Path) -> IndexSnapshot:
    last_error: Exception | None = None
    for attempt in range(storage.OPEN_RETRIES):
        try:
            generation, ix = storage.open_or_create(root)
            storage.check_schema(ix)
            searcher = ix.searcher()
            reader = searcher.reader()
            size = reader.doc_count_all()
            live_bits = (1 << size) - 1
            for leaf, offset in reader.leaf_readers():
                if leaf.has_deletions():
                    deleted = leaf.segment().deleted_docs()
                    cleared = bits_from_docnums((offset + d for d in deleted), size)[0]
                    live_bits &= ~cleared
            schema_doc = searcher.document_number(id=storage.SCHEMA_MARKER_ID)
            if schema_doc is not None:
                live_bits &= ~(1 << schema_doc)
            return IndexSnapshot(generation, searcher, size, live_bits, root / generation)
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
