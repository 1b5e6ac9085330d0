"""SQLite FTS5 over the same items: bm25 ranking, snippet(), GROUP BY facet counts.

The embedded C engine a Django site could use instead of Whoosh, written the way a competent SQL
developer would: one FTS5 table (columns weighted like our fields), facet values as integer ids
in a covering index, and facet counts that leave out each facet's own selection, as ours do.
"""

# SQL here is assembled from this module's own column names and "?" placeholders; every value
# is bound as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from benchmarks.documents import PeerDocument
from benchmarks.queries import BenchQuery
from benchmarks.results import EngineAnswer
from search.engine.analysis import plain_terms
from search.engine.contract import (
    EmbeddingReport,
    EngineResult,
    ScoredItem,
    SearchSpec,
    SimilarItems,
    SimilarSpec,
    StoredItem,
)
from search.engine.facets import FACET_NAMES, FACETS_BY_NAME
from search.engine.nodes import And, AndMaybe, AndNot, Every, Not, Or, Phrase, Prefix, Term
from search.engine.query import ParsedQuery

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


# ---------------------------------------------------------------------------------------------
# The same peer behind the engine contract (search.engine.contract), to show the seam is not
# Whoosh's: tests/benchmarks/test_fts5_contract.py runs the backend contract tests on it.
# A benchmark peer, not a product backend: it opens a connection per call, and what it cannot
# do (similar items: FTS5 has no key-term extraction) its contract tests skip with the reason.

ITEM_DATA = """
CREATE TABLE item_data (
    id INTEGER PRIMARY KEY, decision_date TEXT, injury_date TEXT, received_date TEXT,
    stored TEXT NOT NULL
);
"""
# Parsed-query fields -> FTS5 columns. rationale, summary and guideline_text are not columns of
# the peer's table: a word limited to them is looked for in the whole text.
FIELD_COLUMNS = {"text": "text", "request": "request", "case": "case_number"}


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class Fts5Backend:
    """SQLite FTS5 implementing search.engine.contract.SearchBackend over a folder of
    generations (g-<n>.sqlite3, the live one named in CURRENT, as the Whoosh backend does)."""

    def __init__(self, path: Path, *, time_limit_seconds: float | None = None):
        self.path = Path(path)
        self.time_limit = time_limit_seconds  # not enforced: SQLite runs each query to its end

    # -- storage

    def generation(self) -> str | None:
        try:
            return (self.path / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def _connect(self) -> sqlite3.Connection:
        generation = self.generation()
        if generation is None:
            self.rebuild(lambda writer: None)
            generation = self.generation()
        db = sqlite3.connect(self.path / generation)
        db.execute("PRAGMA foreign_keys = OFF")
        return db

    def rebuild(self, fill) -> str:
        import os
        import uuid

        self.path.mkdir(parents=True, exist_ok=True)
        name = f"g-{uuid.uuid4().hex[:12]}.sqlite3"
        db = sqlite3.connect(self.path / name)
        db.executescript(SCHEMA + ITEM_DATA + POST_LOAD)
        with db:
            fill(_Fts5Writer(db))
        db.close()
        old = self.generation()
        tmp = self.path / f".CURRENT.{uuid.uuid4().hex}"
        tmp.write_text(name)
        os.replace(tmp, self.path / "CURRENT")
        if old:
            (self.path / old).unlink(missing_ok=True)
        return name

    @contextlib.contextmanager
    def writer(self, *, procs: int = 1, wait_seconds: float | None = None):
        db = self._connect()
        try:
            with db:
                yield _Fts5Writer(db)
        finally:
            db.close()

    def document_count(self) -> int | None:
        if self.generation() is None:
            return None
        with contextlib.closing(self._connect()) as db:
            return db.execute("SELECT count(*) FROM item").fetchone()[0]

    def indexed_ids(self) -> tuple[set[str], set[str]]:
        with contextlib.closing(self._connect()) as db:
            rows = db.execute("SELECT item_id, letter_id FROM item").fetchall()
        return {r[0] for r in rows}, {r[1] for r in rows}

    def clear_caches(self) -> None:
        pass

    # The peer is the plain bm25 baseline the relevance figures compare with: it ranks by words
    # only, so it holds no item vectors (the contract's meaning tests skip with this reason).
    def embed_missing(self, *, limit=None, progress=None, workers: int = 1) -> EmbeddingReport:
        return EmbeddingReport(
            remaining=self.document_count() or 0,
            unavailable="the FTS5 peer is the plain bm25 baseline: it ranks by words only",
        )

    def vector_coverage(self) -> tuple[int, int]:
        return 0, self.document_count() or 0

    # FTS5 stems at query time itself ('porter unicode61'): the parser sees plain words.
    analyze = staticmethod(plain_terms)

    def stem(self, word: str) -> str:
        return word.lower()

    # -- searching

    def search(self, spec: SearchSpec) -> EngineResult:
        parsed = spec.query or ParsedQuery()
        result = EngineResult()
        with contextlib.closing(self._connect()) as db:
            ids = self._value_ids(db)
            filters: dict[str, list[int]] = {}
            for name, values in spec.filters.items():
                fixed = FACETS_BY_NAME[name].fixed
                known = [v for v in values if (name, v) in ids or fixed]
                missing = tuple(v for v in values if v not in known)
                if missing:
                    result.ignored_filters[name] = missing
                if known:
                    filters[name] = [ids.get((name, v), -1) for v in known]
            base_sql, base_params = self._base(parsed)
            dates_sql, dates_params = self._dates(spec)
            matching = self._matching(base_sql + dates_sql, base_params + dates_params, filters)
            result.total = db.execute(f"SELECT count(*) FROM ({matching[0]})",
                                      matching[1]).fetchone()[0]
            result.upheld, result.overturned = (
                db.execute(
                    f"SELECT count(*) FROM item WHERE outcome = ? AND id IN ({matching[0]})",
                    [outcome, *matching[1]],
                ).fetchone()[0]
                for outcome in ("upheld", "overturned")
            )
            labels = {vid: key for key, vid in ids.items()}
            for facet in spec.count_facets:
                others = {k: v for k, v in filters.items() if k != facet}
                sql, params = self._matching(base_sql + dates_sql,
                                             base_params + dates_params, others)
                rows = db.execute(
                    f"SELECT f.value_id, count(*) FROM ({sql}) m "
                    "JOIN item_facet f ON f.item = m.rowid GROUP BY f.value_id", params)
                result.facets[facet] = sorted(
                    (labels[vid][1], n) for vid, n in rows if labels[vid][0] == facet
                )
            result.hits = self._page(db, parsed, spec, matching)
        return result

    def _value_ids(self, db) -> dict[tuple[str, str], int]:
        return {(f, v): vid for vid, f, v in db.execute("SELECT id, facet, value FROM facet_value")}

    def _base(self, parsed: ParsedQuery) -> tuple[str, list]:
        """SQL selecting the rowids the words match (every item without words)."""
        if parsed.matches_everything:
            return "SELECT id AS rowid FROM item", []
        parts = [_node_sql(q) for q in (parsed.match_query, parsed.case_query) if q is not None]
        sql = " UNION ".join(f"SELECT rowid FROM ({s})" for s, _ in parts)
        return sql, [p for _, params in parts for p in params]

    def _dates(self, spec: SearchSpec) -> tuple[str, list]:
        sql, params = "", []
        for name, (start, end) in spec.date_ranges.items():
            if start is None and end is None:
                continue
            column = {"decision_date": "decision_date", "injury_date": "injury_date",
                      "received_date": "received_date"}[name]
            sql += (f" INTERSECT SELECT id FROM item_data WHERE {column} IS NOT NULL "
                    f"AND {column} >= ? AND {column} <= ?")
            params += [(start or date.min).isoformat(), (end or date.max).isoformat()]
        return sql, params

    def _matching(self, base: str, params: list, filters: dict[str, list[int]]):
        sql = f"SELECT rowid FROM ({base}) WHERE 1"
        params = list(params)
        for value_ids in filters.values():
            marks = ", ".join("?" * len(value_ids))
            sql += f" AND rowid IN (SELECT item FROM item_facet WHERE value_id IN ({marks}))"
            params += value_ids
        return sql, params

    def _page(self, db, parsed: ParsedQuery, spec: SearchSpec, matching) -> list[ScoredItem]:
        sql, params = matching
        start, wanted = max(0, spec.offset), max(0, spec.offset) + spec.limit
        ranked: list[tuple[int, float]] = []
        if spec.sort == "relevance" and not parsed.matches_everything:
            ranked = [(rowid, 0.0) for rowid in self._pinned(db, parsed, matching)]
            words = _positive_match(parsed.query) if parsed.query is not None else None
            seen = {rowid for rowid, _ in ranked}
            if words:
                weights = ", ".join(str(w) for w in WEIGHTS)
                rows = db.execute(
                    f"SELECT rowid, -bm25(item_text, {weights}) FROM item_text "
                    f"WHERE item_text MATCH ? AND rowid IN ({sql}) "
                    f"ORDER BY bm25(item_text, {weights}), rowid LIMIT ?",
                    [words, *params, wanted],
                ).fetchall()
                ranked += [(r, s) for r, s in rows if r not in seen]
                seen.update(r for r, _ in rows)
            if len(ranked) < wanted:  # matches no positive word scores: in index order
                rest = db.execute(f"SELECT rowid FROM ({sql}) ORDER BY rowid", params)
                ranked += [(r, 0.0) for (r,) in rest if r not in seen]
        else:
            order = "ASC" if spec.sort == "oldest" else "DESC"
            rows = db.execute(
                f"SELECT d.id FROM item_data d WHERE d.id IN ({sql}) "
                f"ORDER BY d.decision_date {order}, d.id {order} LIMIT ?", [*params, wanted])
            ranked = [(r, 0.0) for (r,) in rows]
        page = ranked[start:wanted]
        stored = dict(db.execute(
            f"SELECT id, stored FROM item_data WHERE id IN ({', '.join('?' * len(page))})",
            [r for r, _ in page]))
        hits = []
        for rowid, score in page:
            item = _stored_item(stored[rowid])
            hits.append(ScoredItem(item.item_id, float(score), item))
        return hits

    def _pinned(self, db, parsed: ParsedQuery, matching) -> list[int]:
        if not parsed.case_numbers:
            return []
        typed = {n: i for i, n in enumerate(parsed.case_numbers)}
        marks = ", ".join("?" * len(typed))
        rows = db.execute(
            f"SELECT id, upper(case_number), letter_id, ordinal FROM item "
            f"WHERE upper(case_number) IN ({marks}) AND id IN ({matching[0]})",
            [*typed, *matching[1]]).fetchall()
        return [r[0] for r in sorted(rows, key=lambda r: (typed[r[1]], r[2], r[3]))]

    def similar(self, spec: SimilarSpec) -> SimilarItems:
        raise NotImplementedError("the FTS5 peer has no key-term extraction for similar items")


class _Fts5Writer:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def add(self, documents) -> int:
        db, count = self.db, 0
        value_ids = {(f, v): vid for vid, f, v in db.execute("SELECT id, facet, value FROM "
                                                              "facet_value")}
        for doc in documents:
            item = doc.item
            rowid = db.execute(
                "INSERT INTO item (item_id, letter_id, case_number, decision_date, ordinal, "
                "outcome, request) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (doc.item_id, item.letter_id, item.case_number or "",
                 _iso(item.decision_date) or "", item.ordinal, item.outcome, item.request),
            ).lastrowid
            db.execute(
                f"INSERT INTO item_text (rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?)",
                (rowid, item.request, doc.text, " ".join(doc.case_number_forms)),
            )
            db.execute(
                "INSERT INTO item_data VALUES (?, ?, ?, ?, ?)",
                (rowid, _iso(doc.decision_date), _iso(doc.injury_date),
                 _iso(doc.received_date), _stored_json(item)),
            )
            for facet in FACET_NAMES:
                for value in dict.fromkeys(doc.facet_values(facet)):
                    if (facet, value) not in value_ids:
                        value_ids[(facet, value)] = db.execute(
                            "INSERT INTO facet_value (facet, value) VALUES (?, ?)", (facet, value)
                        ).lastrowid
                    db.execute("INSERT INTO item_facet VALUES (?, ?)",
                               (value_ids[(facet, value)], rowid))
            count += 1
        return count

    def delete_letters(self, letter_ids) -> None:
        for letter_id in letter_ids:
            rowids = [r for (r,) in self.db.execute(
                "SELECT id FROM item WHERE letter_id = ?", (letter_id,))]
            for table, column in (("item_text", "rowid"), ("item_facet", "item"),
                                  ("item_data", "id"), ("item", "id")):
                self.db.executemany(f"DELETE FROM {table} WHERE {column} = ?",
                                    [(r,) for r in rowids])

    def replace_letters(self, letter_ids, documents) -> int:
        self.delete_letters(letter_ids)
        return self.add(documents)


def _node_sql(node) -> tuple[str, list]:
    """A parsed query's node -> SQL selecting the rowids it matches, and its parameters."""
    if isinstance(node, Term | Phrase | Prefix):
        return "SELECT rowid FROM item_text WHERE item_text MATCH ?", [_leaf_match(node)]
    if isinstance(node, Every):
        return "SELECT id AS rowid FROM item", []
    if isinstance(node, AndMaybe):
        return _node_sql(node.a)
    if isinstance(node, Not):
        node = AndNot(Every(), node.query)
    if isinstance(node, AndNot):
        parts, joiner = [node.a, node.b], " EXCEPT "
    elif isinstance(node, And):
        parts, joiner = list(node.subqueries), " INTERSECT "
    elif isinstance(node, Or):
        parts, joiner = list(node.subqueries), " UNION "
    else:
        raise TypeError(f"not a query node: {node!r}")
    compiled = [_node_sql(part) for part in parts]
    sql = joiner.join(f"SELECT rowid FROM ({s})" for s, _ in compiled)
    return sql, [p for _, params in compiled for p in params]


def _leaf_match(node) -> str:
    column = FIELD_COLUMNS.get(node.fieldname, "text")
    if isinstance(node, Phrase):
        return f"{column} : {_quoted(' '.join(node.words))}"
    if isinstance(node, Prefix):
        return f"{column} : {_quoted(node.text)} *"
    return f"{column} : {_quoted(node.text)}"


def _positive_match(node) -> str | None:
    """A MATCH of every word that scores (what is not excluded), OR-ed, for bm25."""
    leaves: list[str] = []

    def walk(n) -> None:
        if isinstance(n, Term | Phrase | Prefix):
            leaves.append(_leaf_match(n))
        elif isinstance(n, AndNot):
            walk(n.a)
        elif isinstance(n, AndMaybe):
            walk(n.a)
            walk(n.b)
        elif isinstance(n, And | Or):
            for child in n.subqueries:
                walk(child)

    walk(node)
    return " OR ".join(dict.fromkeys(leaves)) or None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _stored_json(item: StoredItem) -> str:
    fields = dataclasses.asdict(item)
    fields["decision_date"] = _iso(item.decision_date)
    return json.dumps(fields)


def _stored_item(text: str) -> StoredItem:
    fields = json.loads(text)
    decided = fields.pop("decision_date")
    for name in ("specialties", "guidelines", "sections"):
        fields[name] = tuple(fields[name])
    return StoredItem(decision_date=date.fromisoformat(decided) if decided else None, **fields)
