"""Running a SearchSpec on the items collection: one JSON request for the matches, their count,
the facet counts (the JSON Facet API, each facet counted with its own selection excluded by its
tag) and the page; a second for soft matching or for the items of typed case numbers.

Ranked by words and meaning (SearchSpec.ranking "hybrid", once items have vectors): the first
request returns the word ranking's ids deep enough to fuse, a knn request the meaning ranking of
the same matches (meaning.py), and search.engine.semantic.fused_order orders them as the Whoosh
backend does; a last request fetches the page's items and passages by id.

A request carries `timeAllowed` (the search's time limit) and `shards.tolerant`: when a shard
has no live replica, Solr answers from the others and says its results are partial.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from search.engine import semantic
from search.engine.contract import SOFT_MATCH_BELOW, EngineResult, ScoredItem, SearchSpec
from search.engine.facets import FACETS_BY_NAME
from search.engine.nodes import AndNot, Or
from search.engine.query import ParsedQuery
from search.engine.query_nodes import ranked_by_item_text, with_request_boost
from search.engine.solr import finder, meaning
from search.engine.solr.client import SolrClient
from search.engine.solr.compiler import date_filter, quoted, to_solr, values_filter
from search.engine.solr.documents import HIT_FIELDS, stored_item
from search.engine.solr.stats import CollectionStats

# Solr's unified highlighter marks the page's passages: HTML-escaped by Solr (hl.encoder), so
# the only markup is our <mark>, and the service cleans them with its allow-list all the same.
# The rationale's passages, else the request's, as the service's own highlighter picks them.
PASSAGE_FIELDS = ("rationale", "request")
HIGHLIGHT = {
    "hl": "true",
    "hl.method": "unified",
    "hl.fl": ",".join(PASSAGE_FIELDS),
    "hl.encoder": "html",
    "hl.tag.pre": "<mark>",
    "hl.tag.post": "</mark>",
    "hl.requireFieldMatch": "false",  # the query searches `text`; the passages are these
    "hl.snippets": 2,
    "hl.fragsize": 240,
    "hl.defaultSummary": "false",
}
MAX_PINNED = 1000  # items of typed case numbers listed first (a letter has a few)
BREAKDOWN = "_outcomes"  # the outcome counts of the matches, no selection excluded
WITH_VECTOR = "_with_vector"  # how many of the matches have a vector
WITH_VECTOR_FACET = {"type": "query", "q": meaning.HAS_VECTOR}
# Aliases seen to hold item vectors (one of their matches had one): their searches ask for the
# meaning ranking beside the word ranking, from these threads.
_HOLD_VECTORS: set[str] = set()
_BESIDE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="solr-knn")
SORTS = {
    "relevance": "score desc,id asc",
    "newest": "decision_date desc,id asc",
    "oldest": "decision_date asc,id asc",
}


class Search:
    """One SearchSpec against one collection."""

    def __init__(self, client: SolrClient, collection: str, spec: SearchSpec, time_limit: float,
                 *, cache: bool = True):
        self.client = client
        self.cache = cache
        self.collection = collection
        self.spec = spec
        self.time_limit = time_limit
        self.result = EngineResult()

    # -- requests

    def select(self, body: dict) -> dict:
        if not self.cache and "query" in body:
            query = body["query"]
            if query.startswith("{!"):  # a parser of its own (knn): the flag goes beside it
                query = "{!cache=false " + query[2:]
            else:
                query = "{!lucene cache=false}" + query
            body = {**body, "query": query}
        params = {
            "timeAllowed": int(self.time_limit * 1000),
            "shards.tolerant": "true",
            "q.op": "OR",
            "df": "text",
            **body.pop("params", {}),
        }
        answer = self.client.post_json(
            f"{self.collection}/select", {**body, "params": params},
            timeout=self.time_limit + 10,
        )
        header = answer.get("responseHeader") or {}
        if header.get("partialResults"):
            # Solr says the same of a time limit reached and of a shard that did not answer.
            if header.get("QTime", 0) >= 0.9 * self.time_limit * 1000:
                self.result.timed_out = True
            else:
                self.result.partial = True
        return answer

    def hits(self, answer: dict) -> list[ScoredItem]:
        marked = answer.get("highlighting") or {}
        out = []
        for doc in answer["response"]["docs"]:
            item = stored_item(doc)
            fields = marked.get(item.item_id) or {}
            passages = next((tuple(fields[f]) for f in PASSAGE_FIELDS if fields.get(f)), ())
            out.append(ScoredItem(item.item_id, float(doc.get("score") or 0.0), item, passages))
        return out

    # -- the parts of a request

    def known_filters(self) -> list[str]:
        """Filter queries for the selected values some item has; the others are reported in
        `ignored_filters` and left out (a facet of fixed values takes them all)."""
        asked = [
            (name, value) for name, values in self.spec.filters.items() for value in values
            if not FACETS_BY_NAME[name].fixed
        ]
        present = set()
        if asked:
            facets = {
                f"v{i}": {"type": "query", "q": f"{name}:{quoted(value)}"}
                for i, (name, value) in enumerate(asked)
            }
            answer = self.select({"query": "*:*", "limit": 0, "facet": facets})
            counts = answer.get("facets") or {}
            present = {
                pair for i, pair in enumerate(asked) if (counts.get(f"v{i}") or {}).get("count")
            }
        filters = []
        for name, values in self.spec.filters.items():
            fixed = FACETS_BY_NAME[name].fixed
            known = tuple(v for v in values if fixed or (name, v) in present)
            missing = tuple(v for v in values if v not in known)
            if missing:
                self.result.ignored_filters[name] = missing
            if known:
                filters.append(values_filter(name, known))
        for name, (first, last) in self.spec.date_ranges.items():
            if first or last:
                filters.append(date_filter(name, first, last))
        return filters

    def facet_request(self) -> dict:
        facets = {
            name: {"type": "terms", "field": name, "limit": -1, "mincount": 1,
                   "domain": {"excludeTags": name}}
            for name in self.spec.count_facets
        }
        facets[BREAKDOWN] = {"type": "terms", "field": "outcome", "limit": -1, "mincount": 1}
        return facets

    def read_counts(self, answer: dict) -> None:
        facets = answer.get("facets") or {}
        self.result.total = answer["response"]["numFound"]
        self.result.facets = {
            name: [(b["val"], b["count"]) for b in (facets.get(name) or {}).get("buckets", [])]
            for name in self.spec.count_facets
        }
        outcomes = {b["val"]: b["count"] for b in (facets.get(BREAKDOWN) or {}).get("buckets", [])}
        self.result.upheld = outcomes.get("upheld", 0)
        self.result.overturned = outcomes.get("overturned", 0)

    # -- the search

    def run(self) -> EngineResult:
        spec = self.spec
        parsed = spec.query if spec.query is not None else ParsedQuery()
        if parsed.pasted:
            # A pasted request or denial: matched and ranked as the precedent finder ranks it.
            stats = CollectionStats(self.client, self.collection, self.time_limit + 10)
            q, _terms, self.result.highlight = finder.finder_query(stats, parsed.text)
            if q is not None:
                parsed = replace(
                    parsed, query=ranked_by_item_text(q), match_query=q, soft_parts=()
                )
        filters = self.known_filters()
        relevance = spec.sort == "relevance" and not parsed.matches_everything
        pinned = relevance and parsed.case_query is not None
        page = {"offset": max(0, spec.offset), "limit": max(0, spec.limit)}
        hybrid = relevance and spec.ranking == "hybrid" and parsed.query is not None
        fusing = hybrid and not pinned
        body = {
            "query": self.scored_query(parsed, (parsed.match_query, parsed.case_query)),
            "filter": filters,
            "facet": self.facet_request(),
            "fields": HIT_FIELDS + ",score",
            "sort": SORTS["relevance" if relevance else _date_sort(spec.sort)],
            **({"limit": 0} if pinned else page),
        }
        if fusing:
            # The word ranking's ids, deep enough for fusion and the page after it.
            body.update(fields="id,score", offset=0, limit=_fusion_rows(page))
            body["facet"][WITH_VECTOR] = WITH_VECTOR_FACET
        elif not pinned and not parsed.matches_everything:
            body["params"] = dict(HIGHLIGHT)
        near = self.ask_nearest_beside(parsed, filters) if fusing else None
        answer = self.select(body)
        self.read_counts(answer)
        hits = self.hits(answer)
        if (self.result.total < SOFT_MATCH_BELOW and parsed.soft_parts
                and not self.result.timed_out):
            soft = self.soft_search(parsed, filters, relevance, page, fusing)
            if soft is not None:
                return soft
        if pinned:
            hits = self.pinned_page(parsed, filters, fused=hybrid)
        elif fusing:
            hits = self.fused_page(parsed, filters, answer, page, near)
        self.result.hits = hits
        return self.result

    def fused_page(self, parsed: ParsedQuery, filters: list[str], answer: dict,
                   page: dict, near: Future | None = None) -> list[ScoredItem]:
        """The page of the word ranking in `answer` fused with the meaning ranking of the
        matches the ranking words reach (those that score), as the Whoosh backend fuses
        (`near`: that ranking, asked for beside the word search)."""
        start = page["offset"]
        query = self.scored_query(parsed, (parsed.match_query, parsed.case_query))
        return self.fused(parsed, answer, query, filters, start, start + page["limit"], near)

    def fused(self, parsed: ParsedQuery, answer: dict, query: str, filters: list[str],
              start: int, wanted: int, near: Future | None = None) -> list[ScoredItem]:
        """Places start..wanted of `answer`'s word ranking of `query` (ids and scores, and the
        count of its matches with a vector) fused with the meaning ranking of those matches."""
        words = [(doc["id"], float(doc.get("score") or 0.0)) for doc in answer["response"]["docs"]]
        nearest = []
        if near is not None:
            nearest = near.result() if self.with_vector(answer) else []
        else:
            vector = self.meaning_vector(parsed, answer)
            if vector is not None:
                nearest = self.nearest_matches(vector, filters, query, parsed)
        order = semantic.fused_order(words, nearest, wanted) if nearest else words[:wanted]
        return self.fetched(order[start:wanted], query, highlight=True)

    def nearest_matches(self, vector, filters: list[str], query: str, parsed: ParsedQuery):
        """The meaning ranking of the matches of `query` that the ranking words reach."""
        reach = [*filters, query, to_solr(parsed.query)]
        return meaning.nearest(self, vector, reach, semantic.FUSION_DEPTH)

    def ask_nearest_beside(self, parsed: ParsedQuery, filters: list[str]) -> Future | None:
        """The meaning ranking of the matches, asked for now, beside the word search, when this
        collection is known to hold vectors (else the word search says whether any match has
        one before the query is embedded): one round trip less a search."""
        if self.collection not in _HOLD_VECTORS:
            return None
        query = self.scored_query(parsed, (parsed.match_query, parsed.case_query))

        def nearest() -> list[str]:  # the query embedded here too, while Solr searches
            vector = semantic.search_vector(parsed, self.spec.ranking)
            return [] if vector is None else self.nearest_matches(vector, filters, query, parsed)

        return _BESIDE.submit(nearest)

    def with_vector(self, answer: dict) -> int:
        """How many matches of `answer` have a vector."""
        count = ((answer.get("facets") or {}).get(WITH_VECTOR) or {}).get("count", 0)
        if count:
            _HOLD_VECTORS.add(self.collection)
        return count

    def meaning_vector(self, parsed: ParsedQuery, answer: dict):
        """The query's vector, or None when none of the matches in `answer` has a vector (so
        the query is not embedded for nothing) or the model is unavailable."""
        if not self.with_vector(answer):
            return None
        return semantic.search_vector(parsed, self.spec.ranking)

    def fetched(self, ranked: list[tuple[str, float]], query: str, *, highlight: bool,
                params: dict | None = None) -> list[ScoredItem]:
        """The items of `ranked` ((id, score), in order) with what a hit shows, and their
        passages of `query` when `highlight` (`params`: what the query refers to)."""
        if not ranked:
            return []
        answer = self.select({
            "query": query,
            "filter": ["{!terms f=id}" + ",".join(item_id for item_id, _ in ranked)],
            "fields": HIT_FIELDS,
            "limit": len(ranked),
            "params": {**(params or {}), **(HIGHLIGHT if highlight else {})},
        })
        by_id = {hit.item_id: hit for hit in self.hits(answer)}
        return [replace(by_id[i], score=score) for i, score in ranked if i in by_id]

    def scored_query(self, parsed: ParsedQuery, matching) -> str:
        """What matches (any of `matching`, scoring nothing) ranked by parsed.query."""
        if parsed.matches_everything:
            return "*:*"
        clauses = " ".join(to_solr(q) for q in matching if q is not None)
        ranking = to_solr(parsed.query) if parsed.query is not None else ""
        return f"+({clauses})^=0 {ranking}".strip()

    def soft_search(self, parsed, filters, relevance: bool, page: dict,
                    fusing: bool = False) -> EngineResult | None:
        """Items matching most of the query's parts (and not what it excludes): tier by tier,
        most parts first, by score within a tier (`fusing`: by words and meaning fused within a
        tier). None when it finds no more items."""
        exact = self.result.total
        wider = Or(parsed.soft_parts)
        if parsed.soft_excluded is not None:
            wider = AndNot(wider, parsed.soft_excluded)
        ranking = replace(parsed, query=with_request_boost(Or(parsed.soft_parts)), case_query=None)
        tiers = {f"part{i}": f"({to_solr(p)})^=1" for i, p in enumerate(parsed.soft_parts)}
        # def(..., 0): a sum whose parts do not all exist does not exist itself (no field value,
        # no range match), and an item matching some parts must still have its tier.
        tier_of = "sum(" + ",".join(f"def(query(${k}),0)" for k in tiers) + ")"
        sort = (f"{tier_of} desc," + SORTS["relevance"]) if relevance else SORTS[
            _date_sort(self.spec.sort)]
        soft = Search(self.client, self.collection, self.spec, self.time_limit, cache=self.cache)
        body = {
            "query": soft.scored_query(ranking, (wider,)),
            "filter": filters,
            "facet": soft.facet_request(),
            "fields": HIT_FIELDS + ",score",
            "sort": sort,
            "params": {**tiers, **HIGHLIGHT},
            **page,
        }
        if fusing:
            # Each tier's word ranking deep enough to fuse: the page and twice the depth.
            rows = page["offset"] + page["limit"] + 2 * semantic.FUSION_DEPTH
            body.update(fields=["id", "score", f"tier:{tier_of}"], offset=0, limit=rows,
                        params=tiers)
            body["facet"][WITH_VECTOR] = WITH_VECTOR_FACET
        answer = soft.select(body)
        soft.read_counts(answer)
        if soft.result.total <= exact:
            return None
        if fusing:
            reach = [*filters, body["query"], to_solr(ranking.query)]
            soft.result.hits = soft.tiered_page(parsed, answer, page, reach, tiers, tier_of,
                                                query=body["query"])
        else:
            soft.result.hits = soft.hits(answer)
        soft.result.exact_total = exact
        soft.result.ignored_filters = self.result.ignored_filters
        soft.result.highlight = self.result.highlight
        soft.result.partial = soft.result.partial or self.result.partial
        return soft.result

    def tiered_page(self, parsed, answer: dict, page: dict, reach: list[str], tiers: dict,
                    tier_of: str, *, query: str) -> list[ScoredItem]:
        """A soft match's page, tier by tier, each tier's words and meaning fused (as the Whoosh
        backend's _tiered_page): `answer` holds the word ranking of `query` sorted by tier,
        with each item's tier (`tier_of`, over the parts in `tiers`); the meaning ranking of a
        tier is a knn request within `reach` limited to the tier."""
        vector = self.meaning_vector(parsed, answer)
        groups: list[tuple[float, list[tuple[str, float]]]] = []
        for doc in answer["response"]["docs"]:
            if not groups or groups[-1][0] != doc["tier"]:
                groups.append((doc["tier"], []))
            groups[-1][1].append((doc["id"], float(doc.get("score") or 0.0)))
        start, wanted = page["offset"], page["offset"] + page["limit"]
        out: list[tuple[str, float]] = []
        before = 0  # items in the tiers before this one
        for tier, words in groups:
            if before + len(words) > start:
                skip = max(0, start - before)
                count = skip + wanted - start - len(out)
                near = []
                if vector is not None:
                    within = f"{{!frange l={tier:g} u={tier:g}}}{tier_of}"
                    near = meaning.nearest(self, vector, [*reach, within],
                                           semantic.FUSION_DEPTH, params=tiers)
                ranked = semantic.fused_order(words, near, count) if near else words[:count]
                out.extend(ranked[skip:])
                if len(out) >= wanted - start:
                    break
            before += len(words)
        return self.fetched(out[: wanted - start], query, highlight=True, params=tiers)

    def pinned_page(self, parsed: ParsedQuery, filters: list[str], *,
                    fused: bool = False) -> list[ScoredItem]:
        """The page when case numbers were typed: their items first (case by case in the order
        typed, each case's items in ordinal order), then the other matches by score (`fused`:
        by words and meaning fused)."""
        answer = self.select({
            "query": to_solr(parsed.case_query), "filter": filters,
            "fields": HIT_FIELDS + ",score", "limit": MAX_PINNED,
        })
        typed = {number: position for position, number in enumerate(parsed.case_numbers)}

        def key(hit: ScoredItem):
            number = (hit.item.case_number or "").upper()
            return (typed.get(number, len(typed)), hit.item.letter_id, hit.item.ordinal)

        pinned = sorted(self.hits(answer), key=key)
        start, wanted = max(0, self.spec.offset), max(0, self.spec.offset) + self.spec.limit
        out = [replace(h, score=0.0) for h in pinned[start:wanted]]
        if len(out) < wanted - start and parsed.match_query is not None:
            query = (f"{self.scored_query(parsed, (parsed.match_query,))} "
                     f"-{to_solr(parsed.case_query)}")
            rest = {"offset": max(0, start - len(pinned)), "limit": wanted - start - len(out)}
            body = {"query": query, "filter": filters, "sort": SORTS["relevance"]}
            if fused:
                words = self.select({**body, "fields": "id,score", "limit": _fusion_rows(rest),
                                     "facet": {WITH_VECTOR: WITH_VECTOR_FACET}})
                return out + self.fused(parsed, words, query, filters, rest["offset"],
                                        rest["offset"] + rest["limit"])
            answer = self.select({**body, **rest, "fields": HIT_FIELDS + ",score",
                                  "params": dict(HIGHLIGHT)})
            out += self.hits(answer)
        return out


def _fusion_rows(page: dict) -> int:
    """Word-ranked rows fusion needs: its depth, and as far again past the page."""
    return max(page["offset"] + page["limit"], semantic.FUSION_DEPTH) + semantic.FUSION_DEPTH


def _date_sort(sort: str) -> str:
    """Relevance without words is newest first."""
    return "oldest" if sort == "oldest" else "newest"
