"""The engine seam: what the service hands a search backend and what it gets back.

Engine-neutral (no Django, no Whoosh). The service (`search.searching`, `search.indexing`)
builds ItemDocuments and SearchSpecs and reads EngineResults; a backend (`search.engine.whoosh`
today; the FTS5 benchmark peer implements it too) encodes them its own way. Every backend runs
the same contract tests (tests/engine/contract.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from search.engine.facets import DATE_FIELDS, FACET_NAMES
from search.engine.query import ParsedQuery
from search.letters import domain

SORTS = ("relevance", "newest", "oldest")
RANKINGS = ("hybrid", "words")
# When fewer items than this match every part of a query, items matching most parts follow.
SOFT_MATCH_BELOW = 10
# How much of a pasted text the precedent finder reads (SimilarSpec.text): a letter or denial
# fits many times over; the rest of a longer paste is left out.
PASTED_TEXT_CHARS = 50_000


@dataclass(frozen=True)
class StoredItem:
    """What a hit shows without the database, stored with the item in the index."""

    letter_id: str
    ordinal: int
    case_number: str | None = None
    decision_date: date | None = None
    request: str = ""
    rationale: str = ""
    outcome: str = ""  # "upheld" | "overturned"
    case_outcome: str = ""
    category: str = ""  # the treatment category's official label
    subcategory: str = ""
    specialties: tuple[str, ...] = ()
    guidelines: tuple[str, ...] = ()  # "source > guideline" labels
    sections: tuple[str, ...] = ()
    reasons: tuple[tuple[str, str], ...] = ()  # (reason code, evidence sentence)
    request_size: tuple[tuple[str, int | str], ...] = ()  # (field, value): sessions, quantity, ...

    @property
    def item_id(self) -> str:
        return domain.item_id(self.letter_id, self.ordinal)


@dataclass(frozen=True)
class ItemDocument:
    """One disputed item as every backend indexes it.

    `facets` holds a value list for every facet of the registry (search.engine.facets), by
    name; a single-valued facet has at most one value. Dates are dates (None: not stated).
    """

    item: StoredItem
    case_number_forms: tuple[str, ...]  # every form a typed case number may normalise to
    text: str  # everything searchable of the item (request, rationale, summary, guidelines)
    summary: str = ""  # the letter's case summary (also in `text`)
    guideline_text: str = ""  # the guidelines cited (also in `text`)
    # `text` without the case summary: the item's own words, which rank a match.
    item_text: str = ""
    # The drugs the request names, as index terms (search.engine.vocabulary.concept_tokens):
    # generic names and class keys, so any brand, generic or class word finds the item.
    concepts: tuple[str, ...] = ()
    decision_date: date | None = None
    injury_date: date | None = None
    received_date: date | None = None
    synthetic: bool = False
    facets: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.facets) - set(FACET_NAMES)
        if unknown:
            raise ValueError(f"not facets of the registry: {sorted(unknown)}")

    @property
    def item_id(self) -> str:
        return self.item.item_id

    @property
    def letter_id(self) -> str:
        return self.item.letter_id

    def text_fields(self) -> dict[str, str]:
        """The searchable text by the index field every backend gives it."""
        return {
            "request": self.item.request,
            "rationale": self.item.rationale,
            "summary": self.summary,
            "guideline_text": self.guideline_text,
            "text": self.text,
            "item_text": self.item_text,
        }

    def facet_values(self, name: str) -> list[str]:
        return [v for v in self.facets.get(name, ()) if v]

    def date_of(self, name: str) -> date | None:
        """A date range's field (search.engine.facets.DATE_FIELDS) of this item."""
        if name not in DATE_FIELDS:
            raise KeyError(name)
        return getattr(self, name)


@dataclass(frozen=True)
class SearchSpec:
    """One search: what matches, what is counted, which page."""

    query: ParsedQuery | None = None  # None, or one that matches everything: every item
    # Facet name -> selected values (OR within a facet, AND across facets).
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # DateRange.field -> (first day, last day), inclusive, either None; a set range drops the
    # items whose letter does not state that date.
    date_ranges: Mapping[str, tuple[date | None, date | None]] = field(default_factory=dict)
    sort: str = "relevance"  # one of SORTS; relevance without words is newest first
    offset: int = 0
    limit: int = 20
    time_limit: float | None = None  # seconds; None: the backend's default
    count_facets: tuple[str, ...] = FACET_NAMES  # facets whose values are counted
    # "hybrid": matches ranked by their words fused with their meaning (the item vectors, where
    # they exist yet); "words": by their words alone. Either way the same items match.
    ranking: str = "hybrid"


@dataclass(frozen=True)
class ScoredItem:
    item_id: str
    score: float
    item: StoredItem
    # Passages marked by the backend's own highlighter: HTML-escaped text whose only tags are
    # <mark>, still to be cleaned by the service's allow-list (search.highlighting.sanitize);
    # empty when the backend leaves highlighting to the service.
    passages: tuple[str, ...] = ()


@dataclass
class EngineResult:
    total: int = 0
    hits: list[ScoredItem] = field(default_factory=list)
    # Facet name -> [(value, count)], each facet counted without its own selection (so ticking
    # one value leaves the others' counts visible); values with no matching item are left out.
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    upheld: int = 0  # the outcome breakdown of every matching item
    overturned: int = 0
    timed_out: bool = False  # the match set or counts were cut short by the time limit
    ranking_timed_out: bool = False  # the page holds the best items found in time
    # Part of a distributed index did not answer (a shard with no live replica): the matches
    # and counts are those of the parts that did.
    partial: bool = False
    # Selected values no item has: they were left out of the search.
    ignored_filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Soft matching: fewer than SOFT_MATCH_BELOW items matched every part of the query, so the
    # items matching most of the parts follow them; this is how many matched every part (None:
    # no soft matching).
    exact_total: int | None = None
    # Words the backend ranked by beyond the query's own (a pasted text's key terms and the
    # names of the drugs it names), for highlighting.
    highlight: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SimilarSpec:
    """Items like one item (its own letter left out, its treatment category ranked first) or
    like a pasted text."""

    item_id: str | None = None
    text: str = ""  # at most PASTED_TEXT_CHARS of it is read
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    limit: int = 100
    time_limit: float | None = None
    ranking: str = "hybrid"  # as SearchSpec.ranking


@dataclass
class SimilarItems:
    hits: list[ScoredItem] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # the key terms searched for
    highlight: list[str] = field(default_factory=list)  # words to mark beside the terms
    found: bool = True  # False: the item is not in the index
    timed_out: bool = False


@dataclass
class EmbeddingReport:
    """What one embedding catch-up did: items embedded, seconds, items still without a vector,
    and why nothing could be done (`unavailable`: the model is not installed, say)."""

    embedded: int = 0
    seconds: float = 0.0
    remaining: int = 0
    unavailable: str = ""

    @property
    def rate(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


class IndexWriter(Protocol):
    """Changes to the live index, applied together when the writer's block ends."""

    def add(self, documents: Iterable[ItemDocument]) -> int: ...

    def replace_letters(self, letter_ids: Sequence[str], documents: Iterable[ItemDocument]) -> int:
        """Drop every item of these letters, then add `documents` (their new items)."""
        ...

    def delete_letters(self, letter_ids: Iterable[str]) -> None: ...


class SearchBackend(Protocol):
    def search(self, spec: SearchSpec) -> EngineResult: ...

    def similar(self, spec: SimilarSpec) -> SimilarItems: ...

    def analyze(self, text: str) -> list[str]:
        """The terms the backend indexes for `text` (the query parser uses them). A plain
        function, the same object on every backend instance: the parser caches by it."""
        ...

    def stem(self, word: str) -> str: ...

    def writer(
        self, *, procs: int = 1, wait_seconds: float | None = None
    ) -> AbstractContextManager[IndexWriter]: ...

    def rebuild(self, fill: Callable[[IndexWriter], None]) -> str:
        """Fill a new generation with `fill(writer)`, then switch to it; its name."""
        ...

    def document_count(self) -> int | None:
        """Items in the live index without opening it (None: no index)."""
        ...

    def indexed_ids(self) -> tuple[set[str], set[str]]:
        """(item ids, letter ids) of every item in the live index."""
        ...

    def generation(self) -> str | None: ...

    def clear_caches(self) -> None: ...

    def embed_missing(self, *, limit: int | None = None,
                      progress: Callable[[int], None] | None = None,
                      workers: int = 1) -> EmbeddingReport:
        """Embed the live items that have no vector yet (at most `limit`, in `workers`
        processes): the catch-up step after writing, by which an item becomes findable by
        meaning."""
        ...

    def vector_coverage(self) -> tuple[int, int]:
        """(live items with a vector, live items)."""
        ...

