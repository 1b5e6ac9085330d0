"""django-haystack with its Whoosh backend over the same items: what a Django developer reaches for.

Used as its documentation shows: a `SearchIndex` with a document field, faceted fields, and a
`SearchQuerySet` with `raw_search`, `narrow`, `facet` and `highlight`. Two choices are ours:

- Haystack reads `HAYSTACK_CONNECTIONS` from settings when it is first imported and collects
  indexes from installed apps. The project's settings do not name it (it is no dependency of the
  product), so `configure()` sets the two settings before the first import and hands the index
  to the unified index directly: a shim of a few lines, no change to haystack.
- `HAYSTACK_LIMIT_TO_REGISTERED_MODELS` is off: with one model, the default only adds a
  `django_ct` narrow query that scores every document on each search, which would flatter us.

Whoosh's KEYWORD fields (haystack's multi-valued facets) split on commas, so commas in facet
labels ("Forearm, Wrist, and Hand") become semicolons here; counts are otherwise the same.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from ..documents import PeerDocument
from ..queries import BenchQuery
from ..results import EngineAnswer

PAGE_SIZE = 20
BATCH_SIZE = 1000  # haystack's update_index default
FACETS = ("outcome", "specialty", "source", "guideline", "section", "page_cited", "category",
          "year", "priority")

_index_class = None


def available() -> bool:
    # find_spec, not import: haystack reads settings at import and must be configured first.
    return importlib.util.find_spec("haystack") is not None


def haystack_value(value: str) -> str:
    return value.replace(",", ";")


def configure(path: Path):
    """Point haystack at `path` and register the index; returns the index instance."""
    global _index_class
    settings.HAYSTACK_CONNECTIONS = {
        "default": {
            "ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
            "PATH": str(path),
        }
    }
    settings.HAYSTACK_LIMIT_TO_REGISTERED_MODELS = False
    from haystack import connections, indexes

    from search.models import Determination

    if _index_class is None:

        class ItemIndex(indexes.SearchIndex, indexes.Indexable):
            text = indexes.CharField(document=True)
            request = indexes.CharField()
            item_id = indexes.CharField(indexed=False)
            outcome = indexes.MultiValueField(faceted=True)
            specialty = indexes.MultiValueField(faceted=True)
            source = indexes.MultiValueField(faceted=True)
            guideline = indexes.MultiValueField(faceted=True)
            section = indexes.MultiValueField(faceted=True)
            page_cited = indexes.MultiValueField(faceted=True)
            category = indexes.MultiValueField(faceted=True)
            year = indexes.MultiValueField(faceted=True)
            priority = indexes.MultiValueField(faceted=True)

            def get_model(self):
                return Determination

            def prepare(self, obj):
                data = super().prepare(obj)
                doc: PeerDocument = obj.bench_document
                data["text"] = f"{doc.case_number}\n{doc.text}"
                data["request"] = doc.request
                data["item_id"] = doc.item_id
                for facet in FACETS:
                    data[facet] = [haystack_value(v) for v in doc.facets.get(facet, [])]
                return data

        _index_class = ItemIndex
    item_index = _index_class()
    connections["default"].get_unified_index().build(indexes=[item_index])
    return item_index


def build(path: Path, batches: Iterable[list[PeerDocument]]) -> int:
    item_index = configure(path)
    from haystack import connections

    from search.models import Determination

    backend = connections["default"].get_backend()
    backend.clear()
    count = 0
    pending: list = []
    for batch in batches:
        for doc in batch:
            count += 1
            obj = Determination(pk=count)
            obj.bench_document = doc
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
        configure(path)
        from haystack.query import SearchQuerySet

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
        sqs = self._queryset(query, filters, FACETS).highlight()
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
