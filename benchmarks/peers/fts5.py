"""SQLite FTS5 over the same items: bm25 ranking, snippet(), GROUP BY facet counts.

The embedded C engine a Django site could use instead of Whoosh, written the way a competent SQL
developer would: one FTS5 table (columns weighted like our fields), facet values as integer ids
in a covering index, and facet counts that leave out each facet's own selection, as ours do.
"""

# SQL here is assembled from this module's own column names and "?" placeholders; every value
# is bound as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from benchmarks.documents import PeerDocument
from benchmarks.queries import BenchQuery
from benchmarks.results import EngineAnswer

# bm25 column weights, in column order: the request counts most, as in our schema's boost.
# `text` holds everything our `text` field holds; `request` again on its own for `request:` queries
# and its weight, as our schema does.
COLUMNS = ("request", "text", "case_number")
WEIGHTS = (3.0, 1.0, 1.0)
PAGE_SIZE = 20

SCHEMA = f"""
CREATE VIRTUAL TABLE item_text USING fts5({", ".join(COLUMNS)}, tokenize = 'porter unicode61');
CREATE TABLE item (
    id INTEGER PRIMARY KEY, item_id TEXT, letter_id TEXT, case_number TEXT,
    decision_date TEXT, ordinal INTEGER, outcome TEXT, request TEXT
);
CREATE TABLE facet_value (
    id INTEGER PRIMARY KEY, facet TEXT NOT NULL, value TEXT NOT NULL, UNIQUE (facet, value)
);
CREATE TABLE item_facet (
    value_id INTEGER NOT NULL, item INTEGER NOT NULL, PRIMARY KEY (value_id, item)
) WITHOUT ROWID;
"""
POST_LOAD = "CREATE INDEX item_facet_by_item ON item_facet (item, value_id);"


def build(path: Path, batches: Iterable[list[PeerDocument]]) -> int:
    path = Path(path)
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + SCHEMA)
    value_ids: dict[tuple[str, str], int] = {}
    count = 0
    with db:
        for batch in batches:
            text_rows, item_rows, facet_rows = [], [], []
            for doc in batch:
                count += 1
                text_rows.append((count, doc.request, doc.text, doc.case_number))
                item_rows.append(
                    (count, doc.item_id, doc.letter_id, doc.case_number, doc.decision_date,
                     doc.ordinal, doc.outcome, doc.request)
                )
                for facet, values in doc.facets.items():
                    for value in dict.fromkeys(values):
                        key = (facet, value)
                        if key not in value_ids:
                            value_ids[key] = len(value_ids) + 1
                        facet_rows.append((value_ids[key], count))
            db.executemany(
                f"INSERT INTO item_text (rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?)",
                text_rows,
            )
            db.executemany("INSERT INTO item VALUES (?, ?, ?, ?, ?, ?, ?, ?)", item_rows)
            db.executemany("INSERT INTO item_facet VALUES (?, ?)", facet_rows)
        db.executemany(
            "INSERT INTO facet_value VALUES (?, ?, ?)",
            [(vid, facet, value) for (facet, value), vid in value_ids.items()],
        )
        db.execute(POST_LOAD)
        db.execute("INSERT INTO item_text (item_text) VALUES ('optimize')")
    db.execute("ANALYZE")
    db.close()
    return count


class Fts5Engine:
    name = "fts5"

    def __init__(self, path: Path):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.db.execute("PRAGMA cache_size = -262144")  # 256 MiB of page cache
        self.labels: dict[int, tuple[str, str]] = {}
        self.ids: dict[tuple[str, str], int] = {}
        for vid, facet, value in self.db.execute("SELECT id, facet, value FROM facet_value"):
            self.labels[vid] = (facet, value)
            self.ids[(facet, value)] = vid

    def _matching(self, match: str | None, filters: dict[str, tuple[str, ...]]):
        """SQL selecting the rowids of matching items, and its parameters."""
        if match is None:
            sql, params = "SELECT id AS rowid FROM item WHERE 1", []
        else:
            sql, params = "SELECT rowid FROM item_text WHERE item_text MATCH ?", [match]
        for facet, values in filters.items():
            ids = [self.ids.get((facet, v), -1) for v in values]
            marks = ", ".join("?" * len(ids))
            # "+rowid": a filter, not a constraint handed to FTS5 (which would run the MATCH
            # once per listed rowid).
            sql += f" AND +rowid IN (SELECT item FROM item_facet WHERE value_id IN ({marks}))"
            params += ids
        return sql, params

    def _facet_counts(self, match, filters, only: str | None = None):
        """(total, facet -> value -> count) for the matching items, in one statement."""
        sql, params = self._matching(match, filters)
        rows = self.db.execute(
            f"WITH m AS MATERIALIZED ({sql}) "
            "SELECT NULL, count(*) FROM m "
            "UNION ALL "
            "SELECT f.value_id, count(*) FROM m JOIN item_facet f ON f.item = m.rowid "
            "GROUP BY f.value_id",
            params,
        )
        total = 0
        counts: dict[str, dict[str, int]] = {}
        for vid, n in rows:
            if vid is None:
                total = n
                continue
            facet, value = self.labels[vid]
            if only is None or facet == only:
                counts.setdefault(facet, {})[value] = n
        return total, counts

    def _page(self, match, filters) -> list[tuple[str, str]]:
        """The best PAGE_SIZE items with a passage each (newest first when there are no words)."""
        sql, params = self._matching(match, filters)
        if match is None:
            return self.db.execute(
                f"SELECT i.item_id, substr(i.request, 1, 200) FROM ({sql}) m "
                "JOIN item i ON i.id = m.rowid ORDER BY i.decision_date DESC LIMIT ?",
                [*params, PAGE_SIZE],
            ).fetchall()
        weights = ", ".join(str(w) for w in WEIGHTS)
        where = sql.split(" WHERE ", 1)[1]
        # Rank first, then build passages for the page only: snippet() in the ranking query
        # would run for every match before the sort.
        ranked = [
            rowid
            for (rowid,) in self.db.execute(
                f"SELECT rowid FROM item_text WHERE {where} "
                f"ORDER BY bm25(item_text, {weights}) LIMIT ?",
                [*params, PAGE_SIZE],
            )
        ]
        if not ranked:
            return []
        marks = ", ".join("?" * len(ranked))
        passages = dict(
            self.db.execute(
                "SELECT rowid, snippet(item_text, -1, '<mark>', '</mark>', '…', 24) "
                f"FROM item_text WHERE item_text MATCH ? AND rowid IN ({marks})",
                [match, *ranked],
            )
        )
        ids = dict(
            self.db.execute(f"SELECT id, item_id FROM item WHERE id IN ({marks})", ranked)
        )
        return [(ids[rowid], passages.get(rowid, "")) for rowid in ranked]

    def search(self, query: BenchQuery) -> EngineAnswer:
        match, filters = query.fts5, dict(query.filters)
        hits = self._page(match, filters)
        # Each facet is counted without its own selection: one pass for the unselected facets
        # (which also gives the total), one more per facet that has a selection.
        total, facets = self._facet_counts(match, filters)
        for facet in filters:
            others = {k: v for k, v in filters.items() if k != facet}
            facets.update(self._facet_counts(match, others, only=facet)[1])
        return EngineAnswer(
            total=total,
            hit_ids=[row[0] for row in hits],
            passages=[row[1] for row in hits],
            facets=facets,
        )
