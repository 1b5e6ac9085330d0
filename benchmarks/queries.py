"""The fixed mixed query set, written once per engine's syntax.

Each query says the same thing three ways: our query language, SQLite FTS5's MATCH syntax, and
Whoosh's default parser syntax (what haystack's raw search takes). Facet filters are the same
values for every engine. The kinds cover what users type: rare and common words, phrases,
booleans, prefixes, a field, facet filters, a case number, and broad queries that match most
items (the slow case for an inverted index with facet counts).

The rare words are pseudo-terms of the synthetic generator's vocabulary, chosen for being in
few letters; they exist in every corpus it makes from a few thousand letters up.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

ALL = None  # FTS5 has no "match everything": the engine reads the items table instead


@dataclass(frozen=True)
class BenchQuery:
    name: str
    kind: str
    q: str  # our query language ("" matches every item)
    fts5: str | None  # FTS5 MATCH expression, ALL for every item
    whoosh: str  # Whoosh query parser syntax ("*" for every item)
    filters: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def params(self) -> dict[str, list[str]]:
        """GET parameters as our search page and API take them."""
        params: dict[str, list[str]] = {"q": [self.q]} if self.q else {}
        for facet, values in self.filters:
            params[facet] = list(values)
        return params


def _same(name: str, kind: str, text: str, **filters: tuple[str, ...]) -> BenchQuery:
    """A query written the same way in all three syntaxes."""
    return BenchQuery(name, kind, text, text, text, tuple(filters.items()))


def mixed_queries(case_number: str) -> list[BenchQuery]:
    """The query set; `case_number` is one that exists in the corpus being measured."""
    return [
        # Rare words: a handful of letters each.
        _same("rare-1", "rare", "tenomentgenic"),
        _same("rare-2", "rare", "epiglycgenic"),
        _same("rare-3", "rare", "angioglyccele"),
        _same("rare-4", "rare", "propriochronmalacia"),
        # Common words.
        _same("common-pain", "common", "pain"),
        _same("common-therapy", "common", "therapy"),
        _same("common-medication", "common", "medication"),
        _same("common-two", "common", "opioid lumbar"),
        # Phrases.
        _same("phrase-pt", "phrase", '"physical therapy"'),
        _same("phrase-cbt", "phrase", '"cognitive behavioral therapy"'),
        _same("phrase-esi", "phrase", '"epidural steroid injection"'),
        _same("phrase-udt", "phrase", '"urine drug testing"'),
        _same("phrase-frp", "phrase", '"functional restoration program"'),
        # Booleans.
        BenchQuery("or", "boolean", "acupuncture OR chiropractic", "acupuncture OR chiropractic",
                   "acupuncture OR chiropractic"),
        BenchQuery("not", "boolean", "opioid -oxycodone", "opioid NOT oxycodone",
                   "opioid NOT oxycodone"),
        BenchQuery("group", "boolean", "(mri OR ultrasound) knee", "(mri OR ultrasound) AND knee",
                   "(mri OR ultrasound) AND knee"),
        # Prefixes.
        _same("prefix-oxycod", "prefix", "oxycod*"),
        _same("prefix-epidur", "prefix", "epidur*"),
        _same("prefix-radiculo", "prefix", "radiculo*"),
        # A field.
        BenchQuery("field-request", "field", "request:acupuncture", "request : acupuncture",
                   "request:acupuncture"),
        # Facet filters, with and without words; two values of one facet combine with OR.
        _same("facet-overturned", "facet", '"physical therapy"', outcome=("overturned",)),
        BenchQuery("facet-specialty", "facet", "", ALL, "*",
                   (("specialty", ("Psychiatry",)),)),
        _same("facet-source", "facet", "opioid", source=("ODG",)),
        _same("facet-year", "facet", "pain", year=("2020",)),
        _same("facet-two", "facet", "injection", category=("Injection",),
              outcome=("overturned",)),
        _same("facet-or", "facet", "mri", source=("MTUS", "ODG")),
        # A case number.
        BenchQuery("case-number", "case", case_number, f'"{case_number}"', f'"{case_number}"'),
        # Broad queries: most items match, so counting facets is the work.
        BenchQuery("broad-all", "broad", "", ALL, "*"),
        _same("broad-request", "broad", "request"),
        _same("broad-treatment", "broad", "treatment"),
        _same("broad-medical", "broad", "medical"),
        _same("broad-guidelines", "broad", "guidelines"),
        _same("broad-decision", "broad", "decision based"),
    ]


def query_set_for_database(database: Path) -> list[BenchQuery]:
    """The query set for a corpus, read with sqlite3 so no Django database is needed."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = connection.execute(
            "SELECT case_number FROM search_letter WHERE case_number IS NOT NULL "
            "ORDER BY id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM search_letter)"
        ).fetchone()
    finally:
        connection.close()
    return mixed_queries(row[0] if row else "SY00-0000000")
