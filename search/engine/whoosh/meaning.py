"""The item vectors of one snapshot's generation, by Whoosh document number.

A snapshot maps its documents to the store's rows once (item id column -> vector key -> row)
and again only when the store has committed new rows (a catch-up job embedding in the
background), so a search scores the rows of its matches without a lookup per item.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from search.engine import semantic
from search.engine.contract import EmbeddingReport
from search.engine.whoosh.bits import mask_from_bits
from search.engine.whoosh.documents import stored_item
from search.engine.whoosh.evaluation import text_of
from search.engine.whoosh.facet_tables import column_values


class DocumentVectors:
    """The generation's vector store seen by document number; `top` ranks a match set."""

    def __init__(self, generation_folder: Path, reader, size: int):
        self.folder = Path(generation_folder)
        self.size = size
        self._reader = reader
        self._keys: np.ndarray | None = None
        self._rows: np.ndarray | None = None
        self._store = None
        self._lock = threading.Lock()

    def document_keys(self) -> np.ndarray:
        """The vector key of each document number (-1: not an item)."""
        if self._keys is None:
            ids = column_values(self._reader, "id")
            # -1 for documents without an item id (the schema marker): no row matches it.
            self._keys = np.fromiter(
                (semantic.vector_key(text_of(i)) if i else -1 for i in ids),
                dtype=np.int64, count=len(ids),
            )
        return self._keys

    def rows(self):
        """(store, row of each document number or -1), or (None, None) with no vectors yet."""
        with self._lock:
            if self._store is None:
                self._store = semantic.open_store(self.folder)
                if self._store is None:
                    return None, None
                self._rows = None
            if self._store.refresh() or self._rows is None:
                keys = self.document_keys()
                rows = np.full(self.size, -1, dtype=np.int64)
                known = keys >= 0
                rows[known] = self._store.rows_of(keys[known])
                self._rows = rows
            return self._store, self._rows

    def coverage(self, bits: int) -> tuple[int, int]:
        """(documents of `bits` with a vector, documents of `bits`)."""
        _, rows = self.rows()
        mask = mask_from_bits(bits, self.size)
        with_vector = 0 if rows is None else int((rows[mask] >= 0).sum())
        return with_vector, int(mask.sum())

    def top(self, query: np.ndarray, bits, limit: int) -> list[tuple[int, float]]:
        """The `limit` documents of `bits` (an int bitset, or a numpy bool array by document
        number) closest to `query`: [(docnum, cosine)], best first (ties by document number);
        documents without a vector are left out."""
        store, rows = self.rows()
        if store is None or limit <= 0:
            return []
        mask = mask_from_bits(bits, self.size) if isinstance(bits, int) else bits[: self.size]
        docnums = np.flatnonzero(mask & (rows[: len(mask)] >= 0))
        if not len(docnums):
            return []
        scores = store.cosines(query, rows[docnums])
        take = min(limit, len(docnums))
        if take < len(docnums):
            chosen = np.argpartition(-scores, take - 1)[:take]
        else:
            chosen = np.arange(len(docnums))
        order = chosen[np.lexsort((docnums[chosen], -scores[chosen]))]
        return [(int(docnums[i]), float(scores[i])) for i in order]


# ---- writing the generation's vectors


def embed_missing(snap, *, limit: int | None = None, progress=None,
                  workers: int = 1) -> EmbeddingReport:
    """Embed the snapshot's live items that have no vector yet, from the request and rationale
    stored in the index (no database needed), in batches committed one by one
    (semantic.catch_up)."""
    report = EmbeddingReport()
    store = semantic.open_store(snap.folder, create=True)
    if store is None:
        report.unavailable = f"no vector store could be made in {snap.folder}"
        return report
    keys = snap.meaning.document_keys()
    live = mask_from_bits(snap.live_bits, snap.size) & (keys >= 0)
    docnums = np.flatnonzero(live)
    todo = docnums[store.rows_of(keys[docnums]) < 0]
    report.remaining = len(todo)
    if limit is not None:
        todo = todo[:limit]

    def batches(step: int):
        for start in range(0, len(todo), step):
            items = [stored_item(snap.stored(int(d))) for d in todo[start : start + step]]
            yield [(i.item_id, semantic.item_text(i.request, i.rationale)) for i in items]

    def keep(batch, vectors) -> None:
        store.put(semantic.vector_keys(item_id for item_id, _ in batch), vectors)

    return semantic.catch_up(report, len(todo), batches, keep, workers=workers,
                             progress=progress)


def carry_vectors(old_folder: Path, snap) -> int:
    """Copy an older generation's vectors of the items still live into the snapshot's
    generation (a rebuild embeds only what is new); the count copied."""
    old = semantic.open_store(old_folder)
    if old is None:
        return 0
    new = semantic.open_store(snap.folder, create=True)
    if new is None:
        return 0
    keys = snap.meaning.document_keys()
    return len(new.copy_from(old, keys[keys >= 0]))


def item_keys_of(snap, letter_bits: int) -> np.ndarray:
    """The vector keys of the documents in `letter_bits`."""
    keys = snap.meaning.document_keys()
    return keys[mask_from_bits(letter_bits, snap.size) & (keys >= 0)]


def forget_vectors(folder: Path, keys: np.ndarray) -> int:
    """Drop the vectors of `keys` (items replaced or deleted: their text may have changed)."""
    if not len(keys):
        return 0
    store = semantic.open_store(folder)
    if store is None:
        return 0
    # Only keys that have a row: a store write makes every reader re-map its rows, and most
    # letters written (new ones) have none yet.
    held = keys[store.rows_of(keys) >= 0]
    return store.remove(held.tolist()) if len(held) else 0
