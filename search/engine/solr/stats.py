"""What the similarity searches need to know of the collection: how many items hold a term, and
a text's key terms.

Key terms are scored as Whoosh's key-term extraction scores them (the Bo1 model of divergence
from randomness: a term frequent in the text and rare in the collection weighs most, by its
occurrences in the whole collection over the number of items). Solr counts both for every
candidate term in one request: a query facet per term, with the sum of its term frequencies.
"""

from __future__ import annotations

import math
from collections import Counter

from search.engine.solr.analysis import analyze
from search.engine.solr.client import SolrClient
from search.engine.solr.compiler import escape, quoted

MAX_CANDIDATES = 120  # the text's most frequent distinct terms whose frequency is asked for


class CollectionStats:
    def __init__(self, client: SolrClient, collection: str, timeout: float):
        self.client = client
        self.collection = collection
        self.timeout = timeout
        self.total = 0
        self._frequencies: dict[tuple[str, str], int] = {}
        self._occurrences: dict[tuple[str, str], float] = {}

    def _count(self, fieldname: str, terms: list[str]) -> None:
        """Items holding each term and the term's occurrences in all of them (its collection
        frequency, summed over the shards by the JSON Facet API)."""
        facets = {
            f"t{i}": {
                "type": "query", "q": f"{fieldname}:{escape(term)}",
                "facet": {"occurrences": f"sum(termfreq({fieldname},{quoted(term)}))"},
            }
            for i, term in enumerate(terms)
        }
        body = {"query": "*:*", "limit": 0, "facet": facets, "params": {"shards.tolerant": "true"}}
        answer = self.client.post_json(f"{self.collection}/select", body, timeout=self.timeout)
        self.total = answer["response"]["numFound"]
        counted = answer.get("facets") or {}
        for i, term in enumerate(terms):
            bucket = counted.get(f"t{i}") or {}
            self._frequencies[(fieldname, term)] = bucket.get("count", 0)
            self._occurrences[(fieldname, term)] = bucket.get("occurrences", 0)

    def doc_frequency(self, fieldname: str, term: str) -> int:
        if (fieldname, term) not in self._frequencies:
            self._count(fieldname, [term])
        return self._frequencies[(fieldname, term)]

    def key_terms_from_text(self, fieldname: str, text: str, numterms: int):
        """[(term, weight)] of the text's `numterms` key terms, best first."""
        frequencies = Counter(analyze(text))
        candidates = [t for t, _ in frequencies.most_common(MAX_CANDIDATES)]
        if not candidates:
            return []
        self._count(fieldname, candidates)
        total = max(1, self.total)
        scored = []
        for term in candidates:
            occurrences = self._occurrences[(fieldname, term)]
            if not occurrences:
                continue
            f = occurrences / total
            weight = frequencies[term] * math.log2((1.0 + f) / f) + math.log2(1.0 + f)
            scored.append((term, weight))
        scored.sort(key=lambda pair: (-pair[1], pair[0]))
        return scored[:numterms]
