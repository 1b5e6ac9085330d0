"""The haystack peer itself: its SearchIndex, building it, and searching it. Runs only in the
peer's own process (see __init__.py), after Django is set up with its settings."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from haystack import connections, indexes
from haystack.query import SearchQuerySet
from whoosh import index as whoosh_index

from benchmarks.peers.haystack_whoosh.models import PeerItem
from benchmarks.queries import BenchQuery
from benchmarks.results import EngineAnswer

PAGE_SIZE = 20
BATCH_SIZE = 1000  # haystack's update_index default

_index_classes: dict[tuple[str, ...], type] = {}


def haystack_value(value: str) -> str:
    return value.replace(",", ";")


def facets_of_built_index(path: Path) -> tuple[str, ...]:
    """The facets an existing haystack index was built with (its `<facet>_exact` fields)."""
    schema = whoosh_index.open_dir(str(path)).schema
    return tuple(name.removesuffix("_exact") for name in schema.names() if name.endswith("_exact"))


def _index_class(facets: tuple[str, ...]):
    """A SearchIndex class with one faceted field per facet of the documents."""
    if facets in _index_classes:
        return _index_classes[facets]

    def get_model(self):
        return PeerItem

    def prepare(self, obj):
        data = indexes.SearchIndex.prepare(self, obj)
        doc = obj.peer_document
        data["text"] = f"{doc.case_number}\n{doc.text}"
        data["request"] = doc.request
        data["item_id"] = doc.item_id
        for facet in facets:
            data[facet] = [haystack_value(v) for v in doc.facets.get(facet, [])]
        return data

    attributes = {
        "text": indexes.CharField(document=True),
        "request": indexes.CharField(),
        "item_id": indexes.CharField(indexed=False),
        **{facet: indexes.MultiValueField(faceted=True) for facet in facets},
        "get_model": get_model,
        "prepare": prepare,
        "__module__": __name__,
    }
    cls = type("ItemIndex", (indexes.SearchIndex, indexes.Indexable), attributes)
    _index_classes[facets] = cls
    return cls


def register(facets: tuple[str, ...]):
    """Hand haystack the index for these facets; returns the index instance."""
    item_index = _index_class(facets)()
    connections["default"].get_unified_index().build(indexes=[item_index])
    return item_index


def build(documents: Iterable[list], facets: tuple[str, ...]) -> int:
    """Index every document (objects with PeerDocument's attributes), BATCH_SIZE at a time,
    as haystack's update_index does."""
    item_index = register(facets)
    backend = connections["default"].get_backend()
    backend.clear()
    count = 0
    pending: list = []
    for batch in documents:
        for doc in batch:
            count += 1
            obj = PeerItem(pk=count)
            obj.peer_document = doc
            pending.append(obj)
            if len(pending) >= BATCH_SIZE:
                backend.update(item_index, pending)
                pending = []
    if pending:
        backend.update(item_index, pending)
    return count


def _narrow(facet: str, values: tuple[str, ...]) -> str:
    quoted = " OR ".join(f'"{haystack_value(v)}"' for v in values)
    return f"{facet}_exact:({quoted})"


class HaystackEngine:
    name = "haystack"

    def __init__(self, path: Path):
        # Search with the facets the index was built with.
        self.facets = facets_of_built_index(path)
        register(self.facets)
        self.base = SearchQuerySet().using("default")

    def _queryset(self, query: BenchQuery, filters: dict, facets: Iterable[str]):
        sqs = self.base.raw_search(query.whoosh)
        for facet, values in filters.items():
            sqs = sqs.narrow(_narrow(facet, values))
        for facet in facets:
            sqs = sqs.facet(facet)
        return sqs

    @staticmethod
    def _counts(sqs) -> dict[str, dict[str, int]]:
        fields = (sqs.facet_counts() or {}).get("fields", {})
        return {
            name.removesuffix("_exact"): {value: n for value, n in pairs if value is not None}
            for name, pairs in fields.items()
        }

    def search(self, query: BenchQuery) -> EngineAnswer:
        filters = dict(query.filters)
        sqs = self._queryset(query, filters, self.facets).highlight()
        hits = list(sqs[:PAGE_SIZE])
        total = sqs.count()
        facets = self._counts(sqs)
        # Each facet counted without its own selection, as ours and the FTS5 peer do.
        for facet in filters:
            others = {k: v for k, v in filters.items() if k != facet}
            other_sqs = self._queryset(query, others, [facet])
            list(other_sqs[:1])
            facets.update(self._counts(other_sqs))
        passages = []
        for hit in hits:
            highlighted = getattr(hit, "highlighted", None) or {}
            passages.append((highlighted.get("text") or [""])[0])
        return EngineAnswer(
            total=total,
            hit_ids=[getattr(hit, "item_id", "") for hit in hits],
            passages=passages,
            facets=facets,
        )
