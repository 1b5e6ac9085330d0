"""The Whoosh backend: the engine contract (search.engine.contract) over an index folder.

Configured by the service from settings (search.backends):

    SEARCH_BACKENDS = {"default": {"BACKEND": "search.engine.whoosh.backend.WhooshBackend",
                                   "PATH": ..., "TIME_LIMIT_SECONDS": 2.0}}

It reads no Django settings itself. Constructing it installs our Whoosh patches (patches.py),
so it serves the same without Django.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from search.engine import errors, semantic
from search.engine.contract import (
    PASTED_TEXT_CHARS,
    EmbeddingReport,
    EngineResult,
    ItemDocument,
    ScoredItem,
    SearchSpec,
    SimilarItems,
    SimilarSpec,
)
from search.engine.query_nodes import key_terms_query, ranked_by_item_text
from search.engine.whoosh import execution, finder, meaning, patches, schema, storage, writing
from search.engine.whoosh.compiler import term, to_whoosh
from search.engine.whoosh.documents import prepared, stored_item
from search.engine.whoosh.snapshot import IndexSnapshot, snapshot

SIMILAR_TERMS = 15  # key terms of the item searched for (a text's: finder.KEY_TERMS)
DEFAULT_TIME_LIMIT = 2.0


class WhooshWriter:
    """A Whoosh writer seen through the contract's IndexWriter."""

    def __init__(self, writer):
        self.writer = writer
        self.touched_letters: set[str] = set()

    def add(self, documents: Iterable[ItemDocument]) -> int:
        count = 0
        for document in documents:
            self.writer.add_document(**prepared(document))
            count += 1
        return count

    def delete_letters(self, letter_ids: Iterable[str]) -> None:
        for letter_id in letter_ids:
            self.writer.delete_by_term("letter_id", letter_id)
            self.touched_letters.add(letter_id)

    def replace_letters(self, letter_ids: Sequence[str], documents: Iterable[ItemDocument]) -> int:
        self.delete_letters(letter_ids)
        return self.add(documents)


class WhooshBackend:
    """Search, similar items and writing over the Whoosh index in the folder `path`."""

    def __init__(self, path, *, time_limit_seconds: float = DEFAULT_TIME_LIMIT,
                 build_procs: int | None = None):
        patches.install()
        self.path = Path(path)
        self.time_limit = float(time_limit_seconds)
        self.build_procs = build_procs

    # -- reading

    def snapshot(self) -> IndexSnapshot:
        """The live index's snapshot (raises errors.IndexUnavailable)."""
        return snapshot(self.path)

    def search(self, spec: SearchSpec) -> EngineResult:
        return execution.run(self.snapshot(), spec, self._time_limit(spec.time_limit))

    def similar(self, spec: SimilarSpec) -> SimilarItems:
        """Items like `spec.item_id` (request twice, then rationale; its own letter left out,
        its treatment category first: their key terms OR-ed, matches in the request weighted
        higher) or like `spec.text` (the precedent finder: finder.py); only items that match."""
        snap = self.snapshot()
        result = SimilarItems()
        allowed = snap.live_bits
        category = None
        if spec.item_id is not None:
            docnum = snap.document_number(id=spec.item_id)
            if docnum is None:
                return SimilarItems(found=False)
            source = stored_item(snap.stored(docnum))
            category = source.category
            text = f"{source.request}\n{source.request}\n{source.rationale}"
            own_letter = snap.cached(
                ("filter", "letter_id", source.letter_id),
                lambda: snap.evaluator.docs_bits(term("letter_id", source.letter_id))[0],
            )
            allowed &= ~own_letter
        else:
            text = (spec.text or "")[:PASTED_TEXT_CHARS]
        for name, values in spec.filters.items():
            for value in values:
                allowed &= snap.facets.value_bits(name, value)
        if spec.item_id is not None:
            terms = [t for t, _ in snap.key_terms_from_text("text", text, SIMILAR_TERMS)]
            q = key_terms_query(terms, request_only=finder.common_terms(snap, terms))
        else:
            q, terms, result.highlight = finder.finder_query(snap, text)
        result.terms = terms
        if q is None:
            return result
        ranking = to_whoosh(ranked_by_item_text(q))
        time_limit = self._time_limit(spec.time_limit)
        vector = self._similar_vector(snap, spec, text) if spec.ranking == "hybrid" else None
        if vector is None:
            pool, result.timed_out = snap.scorer.top_scored(
                ranking, allowed, spec.limit, time_limit, matched_only=True
            )
        else:
            # Only items that match a key term take part, ranked by words and meaning fused.
            matches, _ = snap.evaluator.docs_bits(to_whoosh(q))
            pool, result.timed_out = execution.fused_top(
                snap, ranking, matches & allowed, spec.limit, time_limit, vector,
                matched_only=True,
            )
        hits = [ScoredItem(i.item_id, float(s), i) for d, s in pool
                for i in (stored_item(snap.stored(d)),)]
        if category is not None:
            hits.sort(key=lambda h: (h.item.category != category, -h.score))
        result.hits = hits
        return result

    @staticmethod
    def _similar_vector(snap, spec: SimilarSpec, text: str):
        """The vector to rank by meaning: the item's own, or the pasted text's."""
        if snap.meaning is None:
            return None
        store, _ = snap.meaning.rows()
        if store is None:
            return None
        if spec.item_id is not None:
            return store.get(semantic.vector_key(spec.item_id))
        return semantic.query_vectors.get(text)

    def _time_limit(self, asked: float | None) -> float:
        return self.time_limit if asked is None else float(asked)

    # Plain functions, the same object on every backend: the query parser caches by analyzer.
    analyze = staticmethod(schema.analyze)
    stem = staticmethod(schema.stem)

    def clear_caches(self) -> None:
        semantic.query_vectors.clear()
        with contextlib.suppress(Exception):
            self.snapshot().clear_caches()

    # -- writing

    @contextlib.contextmanager
    def writer(self, *, procs: int = 1, wait_seconds: float | None = None) -> Iterator:
        with writing.live_writer(self.path, procs=procs, wait_seconds=wait_seconds) as writer:
            wrapped = WhooshWriter(writer)
            yield wrapped
        if wrapped.touched_letters:
            # A replaced letter's text may have changed: its items are embedded again.
            self._forget_vectors(wrapped.touched_letters)

    def _forget_vectors(self, letter_ids: set[str]) -> None:
        with contextlib.suppress(errors.IndexUnavailable, errors.RebuildNeeded):
            snap = self.snapshot()
            if snap.meaning is None or snap.meaning.rows()[0] is None:
                return  # no vectors in this generation yet: nothing to drop
            bits = 0
            for letter_id in letter_ids:
                bits |= snap.evaluator.docs_bits(term("letter_id", letter_id))[0]
            # The snapshot is the one after the commit: its keys are the new items'; an item
            # that went away keeps a row no document maps to, dropped at the next rebuild.
            meaning.forget_vectors(snap.folder, meaning.item_keys_of(snap, bits))

    def rebuild(self, fill: Callable[[WhooshWriter], None]) -> str:
        old = storage.current_generation(self.path)
        name = writing.build_generation(
            self.path, lambda writer: fill(WhooshWriter(writer)), procs=self.build_procs
        )
        if old and old != name:
            with contextlib.suppress(errors.IndexUnavailable, errors.RebuildNeeded):
                meaning.carry_vectors(self.path / old, self.snapshot())
        return name

    # -- item vectors (ranking by meaning)

    def embed_missing(self, *, limit: int | None = None, progress=None,
                      workers: int = 1) -> EmbeddingReport:
        return meaning.embed_missing(self.snapshot(), limit=limit, progress=progress,
                                     workers=workers)

    def vector_coverage(self) -> tuple[int, int]:
        snap = self.snapshot()
        return snap.meaning.coverage(snap.live_bits)

    @property
    def parallel_procs(self) -> int:
        """Processes a large batch is written with."""
        return self.build_procs or writing.BUILD_WRITER_OPTIONS.get("procs", 1)

    def document_count(self) -> int | None:
        return storage.live_document_count(self.path)

    def indexed_ids(self) -> tuple[set[str], set[str]]:
        return self.snapshot().live_ids()

    def generation(self) -> str | None:
        return storage.current_generation(self.path)
