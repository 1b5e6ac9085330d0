"""The item vectors in the collection's dense vector field, and the meaning ranking over them.

An item is written by its words first (the sync) and gets its vector later: `embed_missing`
reads the request and rationale of items without one, embeds them (search.engine.semantic, the
same model and text as on Whoosh) and sets `vector` and `vector_model` by atomic update, which
Solr applies only to the version of the item it read, so an item replaced or deleted meanwhile
is never given a stale vector or brought back. A rebuild carries the vectors of items whose
embedded text is unchanged from the collection it replaces (`VectorCarry`).

`nearest` is Solr's knn query parser over the HNSW index, with the same filter queries as the
word search: Lucene applies them before it walks the graph (and searches exactly when they
leave few items), so every item it returns is a match.
"""

from __future__ import annotations

import json

import numpy as np

from search.engine import semantic
from search.engine.contract import EmbeddingReport
from search.engine.solr.client import SolrClient, SolrError
from search.engine.solr.compiler import quoted

VECTOR_FIELD = "vector"
MODEL_FIELD = "vector_model"
HAS_VECTOR = f"{MODEL_FIELD}:{quoted(semantic.MODEL_ID)}"
WRITE_SECONDS = 300.0


def nearest(search, vector: np.ndarray, filters: list[str], depth: int, *,
            params: dict | None = None) -> list[str]:
    """The ids of the `depth` items passing `filters` nearest to `vector`, nearest first.

    `search` is an execution.Search (its time limit and partial-results reading); `params`
    are request parameters the filters refer to. Each shard returns its own `depth` nearest;
    Solr merges them by score."""
    knn = f"{{!knn f={VECTOR_FIELD} topK={depth}}}" + json.dumps(
        [round(float(x), 7) for x in vector]
    )
    answer = search.select({
        "query": knn, "filter": [*filters, HAS_VECTOR], "fields": "id",
        "sort": "score desc,id asc", "limit": depth, "params": dict(params or {}),
    })
    return [doc["id"] for doc in answer["response"]["docs"]]


def item_vector(client: SolrClient, collection: str, item_id: str,
                timeout: float) -> np.ndarray | None:
    """The stored vector of one item (None: it has none from this model)."""
    docs = client.post_json(
        f"{collection}/select",
        {"query": f"id:{quoted(item_id)}", "filter": [HAS_VECTOR], "fields": VECTOR_FIELD,
         "limit": 1},
        timeout=timeout,
    )["response"]["docs"]
    if not docs or not docs[0].get(VECTOR_FIELD):
        return None
    return np.asarray(docs[0][VECTOR_FIELD], dtype=np.float32)


def coverage(client: SolrClient, collection: str) -> tuple[int, int]:
    """(items with a vector from this model, items)."""
    answer = client.post_json(
        f"{collection}/select",
        {"query": "*:*", "limit": 0, "facet": {"with": {"type": "query", "q": HAS_VECTOR}}},
        timeout=60,
    )
    return int((answer.get("facets") or {}).get("with", {}).get("count", 0)), int(
        answer["response"]["numFound"]
    )


def vector_update(doc_id: str, vector, version: int | None = None) -> dict:
    """The atomic update that sets one item's vector (only on `version` of it, when given)."""
    update = {
        "id": doc_id,
        VECTOR_FIELD: {"set": [float(x) for x in vector]},
        MODEL_FIELD: {"set": semantic.MODEL_ID},
    }
    if version is not None:
        update["_version_"] = version
    return update


def _send_updates(client: SolrClient, collection: str, updates: list[dict]) -> int:
    """Send atomic updates; those whose item changed since it was read are skipped (a version
    conflict fails its whole request, so that batch goes again one item at a time)."""
    try:
        client.post_json(f"{collection}/update", updates, timeout=WRITE_SECONDS)
        return len(updates)
    except SolrError as exc:
        if "409" not in str(exc):
            raise
    sent = 0
    for update in updates:
        try:
            client.post_json(f"{collection}/update", [update], timeout=WRITE_SECONDS)
            sent += 1
        except SolrError as exc:
            if "409" not in str(exc):
                raise
    return sent


def embed_missing(client: SolrClient, collection: str, *, limit: int | None = None,
                  progress=None, workers: int = 1) -> EmbeddingReport:
    """Embed the collection's items that have no vector from this model, from their stored
    request and rationale, a batch at a time, each batch committed (semantic.catch_up)."""
    report = EmbeddingReport()
    missing = f"-{HAS_VECTOR}"
    report.remaining = client.post_json(
        f"{collection}/select", {"query": missing, "limit": 0}, timeout=60
    )["response"]["numFound"]
    todo = report.remaining if limit is None else min(limit, report.remaining)
    versions: dict[str, int] = {}

    def batches(step: int):
        cursor, listed = "*", 0
        while listed < todo:
            answer = client.post_json(
                f"{collection}/select",
                {"query": missing, "fields": "id,request,rationale,_version_", "sort": "id asc",
                 "limit": min(step, todo - listed), "params": {"cursorMark": cursor}},
                timeout=120,
            )
            docs = answer["response"]["docs"]
            if not docs:
                return
            listed += len(docs)
            versions.update((doc["id"], doc["_version_"]) for doc in docs)
            yield [(doc["id"], _embedded_text(doc)) for doc in docs]
            cursor = answer.get("nextCursorMark") or cursor

    def keep(batch, vectors) -> None:
        updates = [vector_update(item_id, vector, versions.pop(item_id))
                   for (item_id, _), vector in zip(batch, vectors, strict=True)]
        _send_updates(client, collection, updates)
        client.post_json(f"{collection}/update", {"commit": {}}, timeout=WRITE_SECONDS)

    return semantic.catch_up(report, todo, batches, keep, workers=workers, progress=progress)


class VectorCarry:
    """Vectors of another collection (the one a rebuild replaces), attached to documents being
    written when the item's embedded text (its request and rationale) is the same there."""

    def __init__(self, client: SolrClient, collection: str | None):
        self.client = client
        self.collection = collection
        self.carried = 0

    def attach(self, documents: list[dict]) -> None:
        if self.collection is None or not documents:
            return
        ids = [doc["id"] for doc in documents]
        try:
            found = self.client.post_json(
                f"{self.collection}/select",
                {"query": "{!terms f=id}" + ",".join(ids),  # item ids hold no comma
                 "filter": [HAS_VECTOR], "fields": f"id,request,rationale,{VECTOR_FIELD}",
                 "limit": len(ids)},
                timeout=WRITE_SECONDS,
            )["response"]["docs"]
        except SolrError:
            self.collection = None  # the old collection went away: the new one embeds anew
            return
        old = {doc["id"]: doc for doc in found}
        for doc in documents:
            before = old.get(doc["id"])
            if before is not None and _embedded_text(before) == _embedded_text(doc):
                doc[VECTOR_FIELD] = before[VECTOR_FIELD]
                doc[MODEL_FIELD] = semantic.MODEL_ID
                self.carried += 1


def _embedded_text(doc: dict) -> str:
    return semantic.item_text(doc.get("request") or "", doc.get("rationale") or "")
