"""Ranking by meaning: which text of an item is embedded, under which key its vector is kept,
the query's vector, and how the meaning ranking fuses with the word ranking.

Engine-neutral (no Django, no Whoosh): a backend keeps one VectorStore per index generation
(`store_folder`), fills it with `embed_items` after its documents are written, and at search
time fuses its word ranking with `nearest` rows through `fuse_rankings`. The model, its checks
and the store are in search.engine.embedding and search.engine.vectors (docs/embedding.md).

What fusion may change is the order, never the match set: the rankings fused are the word
ranking of the items that match and the meaning ranking of the same items, so totals, facets
and filters are exactly the word search's.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from search.engine import embedding
from search.engine.fusion import fuse
from search.engine.vectors import VectorStore, VectorStoreError

log = logging.getLogger(__name__)

STORE_FOLDER = "vectors"  # inside a generation's folder
MODEL_ID = f"{embedding.MODEL_NAME}@{embedding.WEIGHTS_SHA256[:12]}"
STORE_DTYPE = "int8"  # docs/embedding.md: recall@20 0.986 of float32's, a quarter the bytes

# How deep each ranking goes into fusion: enough that an item the meaning ranking puts 60th can
# still rise into the first page. Past it, a page continues in word order.
FUSION_DEPTH = 100
# Reciprocal rank fusion's weights and k, tuned on our judged queries only (BENCHMARKS.md,
# "Hybrid ranking"): the word ranking carries our vocabulary (session counts, ESI, UDS, compound
# creams), the meaning ranking what the words miss.
WORD_WEIGHT = 1.0
MEANING_WEIGHT = 0.5
FUSION_K = 60
EMBED_BATCH = 64

_KEY_MASK = (1 << 63) - 1


def vector_key(item_id: str) -> int:
    """The store's non-negative int64 key of an item ("CM16-0213037#2")."""
    digest = hashlib.blake2b(item_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & _KEY_MASK


def vector_keys(item_ids: Iterable[str]) -> np.ndarray:
    return np.fromiter((vector_key(i) for i in item_ids), dtype=np.int64)


def item_text(request: str, rationale: str) -> str:
    """What is embedded of an item: its request, then its rationale (the model reads the first
    128 tokens). The case summary stays out: with it the vectors ranked worse."""
    return f"{request.strip()}\n{rationale.strip()}"


def store_folder(generation_folder: Path) -> Path:
    return Path(generation_folder) / STORE_FOLDER


def open_store(generation_folder: Path, *, create: bool = False) -> VectorStore | None:
    """The generation's vector store (made when `create`), or None where there is none."""
    folder = store_folder(generation_folder)
    try:
        if create:
            return VectorStore.create(
                folder, dims=embedding.DIMENSIONS, model=MODEL_ID, dtype=STORE_DTYPE
            )
        if not (folder / "vectors.json").is_file():
            return None
        return VectorStore(folder)
    except (VectorStoreError, OSError, ValueError) as exc:
        log.warning("item vectors at %s are unusable (%s): ranking by words only", folder, exc)
        return None


def embed_items(store: VectorStore, items: Sequence[tuple[str, str]], pool=None) -> int:
    """Embed (item id, text) pairs into `store` in batches; the count embedded. With `pool` (an
    executor from `embedding_pool`), the batches are embedded by its processes and stored here,
    in this one process, in order."""
    if items:
        store.put(vector_keys(item_id for item_id, _ in items), embedded_vectors(items, pool))
    return len(items)


def embedded_vectors(items: Sequence[tuple[str, str]], pool=None) -> np.ndarray:
    """The vectors of (item id, text) pairs, in order, EMBED_BATCH texts to a call (by the
    processes of `pool` when there is one)."""
    texts = [[text for _, text in items[start : start + EMBED_BATCH]]
             for start in range(0, len(items), EMBED_BATCH)]
    parts = pool.map(embed_texts, texts) if pool is not None else map(embed_texts, texts)
    return np.concatenate(list(parts))


def catch_up(report, todo: int, batches, keep, *, workers: int = 1, progress=None):
    """The catch-up step's loop, for every backend: the model loaded (else `report` says why
    not), then each batch of (item id, text) pairs from `batches(step)` embedded in `workers`
    processes and handed with its vectors to `keep`, which stores and commits it (a search
    sees each batch as soon as it is in; a killed job loses at most one). `todo` items are
    expected; `report` (an EmbeddingReport) is filled in and returned."""
    started = time.monotonic()
    if todo <= 0:
        return report
    try:
        embedding.load_model()
    except (embedding.ModelNotInstalled, embedding.WeightsMismatch) as exc:
        report.unavailable = str(exc)
        return report
    pool = embedding_pool(min(workers, -(-todo // EMBED_BATCH)))
    try:
        for batch in batches(EMBED_BATCH * 4 * max(1, workers)):
            keep(batch, embedded_vectors(batch, pool))
            report.embedded += len(batch)
            report.remaining -= len(batch)
            if progress:
                progress(report.embedded)
    finally:
        if pool is not None:
            pool.shutdown()
    report.seconds = time.monotonic() - started
    return report


def embed_texts(texts: list[str]) -> np.ndarray:
    """The model's vectors of `texts` (a worker process's job: the model loads once in each)."""
    return embedding.load_model().embed(texts)


def embedding_pool(workers: int):
    """A process pool for embed_items, or None for one process. Each worker maps the same
    weights file (shared pages) and runs one BLAS thread, so N workers use N cores."""
    if workers <= 1:
        return None
    import multiprocessing

    return concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn")
    )


# ---- the query's side

_SYNTAX = re.compile(r"\b(?:request|rationale|summary|case):|\bAND\b|\bOR\b|[\"()*]")
_NEGATED = re.compile(r"(?:^|\s)(?:-|NOT\s+)(?:\"[^\"]*\"|\S+)")


def search_text(parsed, ranking: str) -> str | None:
    """The text whose vector a search's matches are ranked by in meaning, or None (words alone:
    asked for, or nothing to rank). A pasted text is embedded whole; a typed query by the words
    that say what is wanted."""
    if ranking != "hybrid" or parsed is None or parsed.query is None:
        return None
    return (parsed.text if parsed.pasted else meaning_text(parsed.text)) or None


def search_vector(parsed, ranking: str) -> np.ndarray | None:
    """search_text's vector, or None (words alone, or the model unavailable)."""
    text = search_text(parsed, ranking)
    return query_vectors.get(text) if text else None


def meaning_text(text: str) -> str:
    """The words of a typed query that say what is wanted: its search syntax and the words it
    excludes dropped ("-surgery", NOT "injection"), so the vector is of the need alone."""
    text = _NEGATED.sub(" ", text or "")
    return " ".join(_SYNTAX.sub(" ", text).split())


class QueryVectors:
    """Query text -> its unit vector, the last few hundred kept (paging and ticking facets ask
    again); None when the model is not installed or its files fail their checks (logged once:
    search then ranks by words)."""

    def __init__(self, size: int = 512):
        self.size = size
        self._kept: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._broken: str | None = None

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def get(self, text: str) -> np.ndarray | None:
        text = text.strip()
        if not text or self._broken is not None:
            return None
        with self._lock:
            vector = self._kept.get(text)
            if vector is not None:
                self._kept.move_to_end(text)
                return vector
        try:
            vector = embedding.embed_query(text)
        except (embedding.ModelNotInstalled, embedding.WeightsMismatch, OSError) as exc:
            self._broken = str(exc)
            log.error("ranking by meaning is off: %s", exc)
            return None
        with self._lock:
            self._kept[text] = vector
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return vector


query_vectors = QueryVectors()


def fuse_rankings(words: Sequence, meaning: Sequence, limit: int) -> list[tuple[object, float]]:
    """The word and meaning rankings (ids, best first) fused: [(id, fused score)], best first."""
    return fuse([words, meaning], [WORD_WEIGHT, MEANING_WEIGHT], k=FUSION_K, limit=limit)


def fused_order(words: Sequence[tuple[object, float]], meaning: Sequence, count: int,
                *, scored: bool = True) -> list[tuple[object, float]]:
    """The first `count` of a match set ranked by words and meaning, for every backend.

    `words`: (id, word score) of the matches, best first, at least FUSION_DEPTH past the page
    asked for; `meaning`: ids of the same matches whose item text the words reach, nearest
    first. The first FUSION_DEPTH places are fused from the word head (the items that score: a
    match only in the letter's case summary scores 0 and is no part of it; `scored=False` when
    the scores say nothing of that) and the meaning ranking; deeper places go on in word order,
    so paging never shows an item twice or leaves one out."""
    depth = FUSION_DEPTH
    head = [item for item, score in words[:depth] if score > 0 or not scored]
    fused = fuse_rankings(head, meaning, depth)
    placed = {item for item, _ in fused}
    ranked = list(fused)
    ranked.extend((item, 0.0) for item, _ in words if item not in placed)
    return ranked[:count]
