"""Rank the judged queries with each system, inside a data folder holding the sample letters.

Runs in the child process of `manage.py relevance` (its settings point at the relevance data
folder). Systems:
- `ours`: what a user gets from the site: the search box for keyword queries, and for pasted
  texts the search box too (it should recognise a pasted request); the words ranking fused
  with the meaning ranking (the item vectors).
- `words`: the same search ranked by its words alone (the lexical ranking).
- `meaning`: the embedding alone: every item by its vector's cosine with the query's.
- `finder`, `finder-words`: the precedent finder for pasted texts, fused and by words alone.
- `fts5`: a plain SQLite FTS5 bm25 baseline over the same item text (request, heading,
  rationale, case summary, guidelines), the query's words OR-ed, porter stemming: the search
  anyone could build in an afternoon.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from search.models import Determination

JUDGED_FILE = Path(__file__).with_name("judged_queries.json")
DEPTH = 20  # recall@20 needs the first 20 of every ranking
_FTS_WORD = re.compile(r"[A-Za-z0-9]+")


def load_judged() -> dict:
    return json.loads(JUDGED_FILE.read_text())


def item_key(case_number: str | None, ordinal: int) -> str:
    return f"{case_number}#{ordinal}"


def rank_ours(text: str, ranking: str = "hybrid") -> list[str]:
    from search.searching import SearchRequest, run_search

    result = run_search(SearchRequest(q=text), ranking=ranking)
    return [item_key(hit.case_number, hit.ordinal) for hit in result.hits][:DEPTH]


def rank_finder(text: str, ranking: str = "hybrid") -> list[str]:
    from search.searching import similar_to_text

    result = similar_to_text(text, limit=DEPTH, ranking=ranking)
    return [item_key(hit.case_number, hit.ordinal) for hit in result.hits][:DEPTH]


def rank_meaning(text: str, pasted: bool) -> list[str]:
    """The embedding alone: every item ranked by the cosine of its vector with the query's (no
    words, no filters): the live Whoosh generation's store, or the Solr collection's knn."""
    from search.backends import get_backend
    from search.engine import semantic

    backend = get_backend()
    vector = semantic.query_vectors.get(text if pasted else semantic.meaning_text(text))
    if vector is None:
        return []
    if not hasattr(backend, "snapshot"):
        items = _solr_nearest(backend, vector)
    else:
        from search.engine.whoosh.documents import stored_item

        snap = backend.snapshot()
        if snap.meaning is None:
            return []
        items = [stored_item(snap.stored(docnum))
                 for docnum, _ in snap.meaning.top(vector, snap.live_bits, DEPTH)]
    return [item_key(item.case_number, item.ordinal) for item in items]


def _solr_nearest(backend, vector) -> list:
    from search.engine.contract import SearchSpec
    from search.engine.solr import meaning
    from search.engine.solr.execution import Search

    search = Search(backend.client, backend.alias, SearchSpec(), backend.time_limit)
    ids = meaning.nearest(search, vector, [], DEPTH)
    return [hit.item for hit in search.fetched([(i, 0.0) for i in ids], "*:*", highlight=False)]


class Fts5Baseline:
    """One FTS5 table of every item, in memory."""

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE item USING fts5(key UNINDEXED, body, "
                        "tokenize='porter unicode61')")
        rows = []
        for item in Determination.objects.select_related("letter"):
            letter = item.letter
            body = "\n".join(
                t for t in (item.request, item.heading, item.original_request, item.rationale,
                            letter.summary, item.claims_administrator_guideline,
                            item.imr_guideline) if t
            )
            rows.append((item_key(letter.case_number, item.ordinal), body))
        self.db.executemany("INSERT INTO item (key, body) VALUES (?, ?)", rows)

    def rank(self, text: str) -> list[str]:
        words = list(dict.fromkeys(w.lower() for w in _FTS_WORD.findall(text)))
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        rows = self.db.execute(
            "SELECT key FROM item WHERE item MATCH ? ORDER BY bm25(item) LIMIT ?",
            (match, DEPTH),
        )
        return [key for (key,) in rows]


def rank_all() -> dict:
    """{system: {query id: ranked keys}} for every judged query."""
    judged = load_judged()
    fts5 = Fts5Baseline()
    systems = ("ours", "words", "meaning", "finder", "finder-words", "fts5")
    runs: dict[str, dict[str, list[str]]] = {system: {} for system in systems}
    for query in judged["queries"]:
        text, pasted = query["text"], query["kind"] == "pasted"
        runs["ours"][query["id"]] = rank_ours(text)
        runs["words"][query["id"]] = rank_ours(text, ranking="words")
        runs["meaning"][query["id"]] = rank_meaning(text, pasted)
        runs["fts5"][query["id"]] = fts5.rank(text)
        if pasted:
            runs["finder"][query["id"]] = rank_finder(text)
            runs["finder-words"][query["id"]] = rank_finder(text, ranking="words")
    return runs
