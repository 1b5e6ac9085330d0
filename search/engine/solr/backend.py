"""The Solr backend: the engine contract (search.engine.contract) over a SolrCloud collection.

Configured by the service from settings (search.backends):

    SEARCH_BACKENDS = {"default": {"BACKEND": "search.engine.solr.backend.SolrBackend",
                                   "URL": "http://127.0.0.1:8983/solr,http://127.0.0.1:8984/solr",
                                   "COLLECTION": "imr_items", ...}}

COLLECTION names an alias. A rebuild creates a new collection (named after the alias and the
time), fills it, points the alias at it and deletes the collections the alias left: the Whoosh
backend's generations. The configset is generated from the facet registry (configset.py) and
uploaded when the cluster does not have it yet. It reads no Django settings itself.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from search.engine import semantic
from search.engine.contract import (
    PASTED_TEXT_CHARS,
    EmbeddingReport,
    EngineResult,
    ItemDocument,
    SearchSpec,
    SimilarItems,
    SimilarSpec,
)
from search.engine.errors import IndexUnavailable, RebuildNeeded
from search.engine.query_nodes import key_terms_query, ranked_by_item_text
from search.engine.solr import analysis, configset, finder, meaning
from search.engine.solr.client import SolrClient, SolrError
from search.engine.solr.compiler import escape, quoted, to_solr, values_filter, values_query
from search.engine.solr.documents import HIT_FIELDS, solr_document, stored_item
from search.engine.solr.execution import Search
from search.engine.solr.stats import CollectionStats

DEFAULT_TIME_LIMIT = 2.0
SIMILAR_TERMS = 15
BATCH = 500  # documents a single update request carries
WRITE_SECONDS = 300.0
IDS_PAGE = 10_000
REBUILD_SEGMENTS = 1  # segments a core of a rebuilt collection is merged into (_merge_segments)
MERGE_SECONDS = 3600.0


class SolrWriter:
    """Changes sent to one collection in batches; committed when the writer's block ends."""

    def __init__(self, client: SolrClient, collection: str,
                 carry: meaning.VectorCarry | None = None):
        self.client = client
        self.collection = collection
        self.pending: list[dict] = []
        self.carry = carry

    def _send(self, body) -> None:
        self.client.post_json(f"{self.collection}/update", body, timeout=WRITE_SECONDS)

    def flush(self) -> None:
        if self.pending:
            if self.carry is not None:
                self.carry.attach(self.pending)
            self._send(self.pending)
            self.pending = []

    def add(self, documents: Iterable[ItemDocument]) -> int:
        count = 0
        for document in documents:
            self.pending.append(solr_document(document))
            count += 1
            if len(self.pending) >= BATCH:
                self.flush()
        return count

    def delete_letters(self, letter_ids: Iterable[str]) -> None:
        self.flush()
        letter_ids = list(letter_ids)
        for start in range(0, len(letter_ids), BATCH):
            chunk = letter_ids[start : start + BATCH]
            self._send({"delete": {"query": values_query("letter_id", chunk)}})

    def replace_letters(self, letter_ids: Sequence[str], documents: Iterable[ItemDocument]) -> int:
        self.delete_letters(letter_ids)
        return self.add(documents)

    def commit(self) -> None:
        self.flush()
        self.client.post_json(
            f"{self.collection}/update", {"commit": {}}, timeout=WRITE_SECONDS
        )


class SolrBackend:
    """Search, similar items and writing over the collection (an alias) `collection`."""

    def __init__(self, url, *, collection: str = "imr_items", shards: int = 2,
                 replicas: int = 2, username: str | None = None, password: str | None = None,
                 time_limit_seconds: float = DEFAULT_TIME_LIMIT, cache_queries: bool = True,
                 path=None):
        # `path` is the index folder every backend is offered (search.backends); Solr keeps
        # its data on its nodes.
        self.client = SolrClient(url, username=username, password=password)
        self.alias = collection
        self.shards = int(shards)
        self.replicas = int(replicas)
        self.time_limit = float(time_limit_seconds)
        # False: Solr caches no query's matches or page (the benchmark's comparable latency).
        self.cache_queries = bool(cache_queries)

    # -- reading

    def search(self, spec: SearchSpec) -> EngineResult:
        return Search(self.client, self.alias, spec, self._time_limit(spec.time_limit),
                      cache=self.cache_queries).run()

    def similar(self, spec: SimilarSpec) -> SimilarItems:
        """Items like `spec.item_id` (its request twice, then its rationale; its own letter left
        out, its treatment category first) or like `spec.text` (the precedent finder); only
        items that match, as the Whoosh backend ranks them."""
        time_limit = self._time_limit(spec.time_limit)
        stats = CollectionStats(self.client, self.alias, time_limit + 10)
        result = SimilarItems()
        filters = [values_filter(name, values) for name, values in spec.filters.items() if values]
        category = None
        if spec.item_id is not None:
            found = self.client.post_json(
                f"{self.alias}/select",
                {"query": f"id:{escape(spec.item_id)}", "fields": HIT_FIELDS, "limit": 1},
                timeout=time_limit + 10,
            )["response"]["docs"]
            if not found:
                return SimilarItems(found=False)
            source = stored_item(found[0])
            category = source.category
            filters.append(f"-letter_id:{quoted(source.letter_id)}")
            text = f"{source.request}\n{source.request}\n{source.rationale}"
            terms = [t for t, _ in stats.key_terms_from_text("text", text, SIMILAR_TERMS)]
            q = key_terms_query(terms, request_only=finder.common_terms(stats, terms))
        else:
            text = (spec.text or "")[:PASTED_TEXT_CHARS]
            q, terms, result.highlight = finder.finder_query(stats, text)
        result.terms = terms
        if q is None:
            return result
        search = Search(self.client, self.alias, SearchSpec(), time_limit)
        ranking = to_solr(ranked_by_item_text(q))
        vector = self._similar_vector(spec, time_limit) if spec.ranking == "hybrid" else None
        if vector is None:
            answer = search.select({
                "query": ranking, "filter": filters,
                "fields": HIT_FIELDS + ",score", "sort": "score desc,id asc", "limit": spec.limit,
            })
            hits = [h for h in search.hits(answer) if h.score > 0]
        else:
            # Only items that match a key term take part, ranked by words and meaning fused.
            answer = search.select({
                "query": ranking, "filter": filters, "fields": "id,score",
                "sort": "score desc,id asc",
                "limit": max(spec.limit, semantic.FUSION_DEPTH) + semantic.FUSION_DEPTH,
            })
            words = [(d["id"], float(d.get("score") or 0.0)) for d in answer["response"]["docs"]]
            near = meaning.nearest(search, vector, [*filters, ranking], semantic.FUSION_DEPTH)
            order = semantic.fused_order(words, near, spec.limit) if near else words[:spec.limit]
            hits = search.fetched(order, ranking, highlight=False)
        if category is not None:
            hits.sort(key=lambda h: (h.item.category != category, -h.score))
        result.hits = hits
        result.timed_out = search.result.timed_out
        return result

    def _similar_vector(self, spec: SimilarSpec, time_limit: float):
        """The vector to rank by meaning: the item's own, or the pasted text's (None: none)."""
        if spec.item_id is not None:
            return meaning.item_vector(self.client, self.alias, spec.item_id, time_limit + 10)
        return semantic.query_vectors.get((spec.text or "")[:PASTED_TEXT_CHARS])

    def _time_limit(self, asked: float | None) -> float:
        return self.time_limit if asked is None else float(asked)

    # Plain functions, the same object on every backend: the query parser caches by analyzer.
    analyze = staticmethod(analysis.analyze)
    stem = staticmethod(analysis.stem)

    def clear_caches(self) -> None:
        """Solr keeps its own caches, emptied by every commit; ours is the query vectors'."""
        semantic.query_vectors.clear()

    # -- collections and the alias

    def generation(self) -> str | None:
        """The collection the alias points at (None: no alias yet)."""
        try:
            aliases = self.client.collections("LISTALIASES").get("aliases") or {}
        except SolrError:
            return None
        return aliases.get(self.alias)

    def _live_collection(self, create: bool = False) -> str:
        collection = self.generation()
        if collection is None and create:
            # The first write to a new cluster: an empty collection and its alias, as the
            # Whoosh backend creates an empty index.
            collection = self.rebuild(lambda writer: None)
        if collection is None:
            raise IndexUnavailable(
                f"Solr has no collection {self.alias!r} yet: run manage.py rebuild_index"
            )
        if not collection.startswith(f"{self.alias}_{configset.name()}_"):
            raise RebuildNeeded(
                f"the Solr collection {collection!r} was built from another schema: "
                "run manage.py rebuild_index"
            )
        return collection

    def _upload_configset(self) -> None:
        name = configset.name()
        existing = self.client.get("admin/configs", action="LIST").get("configSets") or []
        if name not in existing:
            self.client.request(
                "POST", "admin/configs", params={"action": "UPLOAD", "name": name},
                data=configset.zipped(), headers={"Content-Type": "application/octet-stream"},
                timeout=120,
            )

    def _collections(self) -> list[str]:
        return self.client.collections("LIST").get("collections") or []

    # -- writing

    @contextlib.contextmanager
    def writer(self, *, procs: int = 1, wait_seconds: float | None = None) -> Iterator:
        writer = SolrWriter(self.client, self._live_collection(create=True))
        yield writer
        writer.commit()

    def rebuild(self, fill: Callable[[SolrWriter], None]) -> str:
        """Fill a new collection, point the alias at it, delete the old ones. Items whose
        request and rationale are unchanged keep the vector the replaced collection had."""
        self._upload_configset()
        replaced = self.generation()
        name = f"{self.alias}_{configset.name()}_{time.strftime('%Y%m%d%H%M%S')}"
        name += f"{time.time_ns() % 1_000_000:06d}"
        self.client.collections(
            "CREATE", name=name, numShards=self.shards, replicationFactor=self.replicas,
            **{"collection.configName": configset.name(), "waitForFinalState": "true"},
        )
        try:
            writer = SolrWriter(self.client, name, meaning.VectorCarry(self.client, replaced))
            fill(writer)
            writer.commit()
            self._merge_segments(name)
        except BaseException:
            with contextlib.suppress(SolrError):
                self.client.collections("DELETE", name=name)
            raise
        self.client.collections("CREATEALIAS", name=self.alias, collections=name)
        for old in self._collections():
            if old != name and old.startswith(f"{self.alias}_"):
                with contextlib.suppress(SolrError):
                    self.client.collections("DELETE", name=old)
        return name

    def _merge_segments(self, collection: str) -> None:
        """Merge each replica of a freshly built collection into one segment before it goes
        live. A bulk build leaves about 25 segments a core, and a search pays for each (its
        terms looked up, its facet ordinals mapped): at 1,000,000 items the benchmark's p95
        was about 20% lower merged (BENCHMARKS.md, "Solr"). Solr advises against forcing
        merges on an index that keeps changing; this one has served nothing yet, and the
        outbox's small updates afterwards are merged by Solr's own policy as usual."""
        self.client.get(
            f"{collection}/update", optimize="true", maxSegments=REBUILD_SEGMENTS,
            waitSearcher="true", timeout=MERGE_SECONDS,
        )

    # Items pending in the outbox are sent in batches of BATCH; Solr's nodes index them in
    # parallel themselves, so the service never forks writers for this backend.
    parallel_procs = 1

    # -- item vectors (ranking by meaning: meaning.py)

    def embed_missing(self, *, limit: int | None = None, progress=None,
                      workers: int = 1) -> EmbeddingReport:
        return meaning.embed_missing(self.client, self._live_collection(), limit=limit,
                                     progress=progress, workers=workers)

    def vector_coverage(self) -> tuple[int, int]:
        if self.generation() is None:
            return 0, 0
        return meaning.coverage(self.client, self.alias)

    def document_count(self) -> int | None:
        if self.generation() is None:
            return None
        answer = self.client.post_json(
            f"{self.alias}/select", {"query": "*:*", "limit": 0}, timeout=60
        )
        return answer["response"]["numFound"]

    def indexed_ids(self) -> tuple[set[str], set[str]]:
        """(item ids, letter ids) of every item, paged with a cursor sorted by id."""
        collection = self._live_collection()
        item_ids: set[str] = set()
        letter_ids: set[str] = set()
        cursor = "*"
        while True:
            answer = self.client.post_json(
                f"{collection}/select",
                {"query": "*:*", "fields": "id,letter_id", "sort": "id asc",
                 "limit": IDS_PAGE, "params": {"cursorMark": cursor}},
                timeout=120,
            )
            for doc in answer["response"]["docs"]:
                item_ids.add(doc["id"])
                letter_ids.add(doc["letter_id"])
            if answer.get("nextCursorMark") in (None, cursor):
                return item_ids, letter_ids
            cursor = answer["nextCursorMark"]


