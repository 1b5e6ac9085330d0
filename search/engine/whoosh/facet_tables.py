"""Facet tables and date order: what a snapshot derives once from its searcher.

A facet's column lists every value with the bits of the live documents that have it, read from
each value's posting list once per snapshot; counting a facet over a match set is then an AND
and a bit count per value.
"""

from __future__ import annotations

from dataclasses import dataclass

from search.engine.whoosh.bits import docnums_from_bits
from search.engine.whoosh.evaluation import Postings, text_of


@dataclass
class FacetColumn:
    """Every value of one facet with the bits of the documents that have it."""

    values: list[str]
    bits: list[int]


class FacetTables:
    """The facet columns of one searcher, each read on first use."""

    def __init__(self, searcher, live_bits: int, postings: Postings):
        self.searcher = searcher
        self.live_bits = live_bits
        self.postings = postings
        self._columns: dict[str, FacetColumn] = {}

    def column(self, name: str) -> FacetColumn:
        column = self._columns.get(name)
        if column is None:
            reader = self.searcher.reader()
            values, bits = [], []
            for raw in reader.lexicon(name):
                value_bits = self.postings.read_term_bits(name, raw) & self.live_bits
                if value_bits:
                    values.append(text_of(raw))
                    bits.append(value_bits)
            column = FacetColumn(values, bits)
            self._columns[name] = column
        return column

    def value_bits(self, name: str, value: str) -> int:
        column = self.column(name)
        try:
            return column.bits[column.values.index(value)]
        except ValueError:
            return 0


class DateOrder:
    """Live documents by decision date, read from the `decision_day` column once."""

    def __init__(self, searcher, size: int, live_bits: int):
        self.searcher = searcher
        self.size = size
        self.live_bits = live_bits
        self._newest_first: list[int] | None = None
        self._oldest_first: list[int] | None = None
        self._rank: list[int] | None = None

    def newest_first(self) -> list[int]:
        """Live document numbers by decision date, newest first (ties: index order)."""
        if self._newest_first is None:
            days = column_values(self.searcher.reader(), "decision_day")
            live = docnums_from_bits(self.live_bits)
            self._newest_first = sorted(live, key=lambda d: (-(days[d] or 0), d))
        return self._newest_first

    def oldest_first(self) -> list[int]:
        if self._oldest_first is None:
            self._oldest_first = self.newest_first()[::-1]
        return self._oldest_first

    def rank(self) -> list[int]:
        """Position of each document number in newest_first() (size + 1 for dead ones)."""
        if self._rank is None:
            rank = [self.size + 1] * (self.size + 1)
            for position, docnum in enumerate(self.newest_first()):
                rank[docnum] = position
            self._rank = rank
        return self._rank


def column_values(reader, fieldname: str) -> list:
    """One value per document number. Whoosh's multi-segment column reader skips segments that
    lack the column (such as the first one, holding only the schema marker), which would shift
    every later value, so segments are read one by one."""
    values: list = []
    for leaf, offset in reader.leaf_readers():
        values.extend([None] * (offset - len(values)))
        values.extend(leaf.column_reader(fieldname))
    values.extend([None] * (reader.doc_count_all() - len(values)))
    return values
