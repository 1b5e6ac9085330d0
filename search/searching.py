"""Search disputed items: a SearchRequest from GET parameters -> hits, facet counts, breakdown.

Public interface (templates and the API rely on these names):

SearchRequest (the web's `SearchForm(request.GET).search_request()` reads one from a URL):
    q: str                       the user's text ("" matches every item)
    outcome, specialty, source, guideline, section, page_cited, category, year, priority,
    case_outcome, days_to_decision, days_assigned_to_decision, days_denial_to_application:
                                 tuple[str, ...] of selected facet values (OR within a facet,
                                 AND across facets)
    decided_from, decided_to, injured_from, injured_to, received_from, received_to:
                                 date | None (inclusive; a set bound drops letters that do not
                                 state that date)
    sort: "relevance" | "newest" | "oldest"
    page: int (1-based)
    notices: list[str]           problems with the parameters, in plain English
    .to_params() -> list[(name, value)] in a stable order; .querystring() -> "q=...&outcome=..."
    .with_facet_toggled(name, value) -> querystring with that value ticked/unticked, page reset
    .with_page(n) -> querystring
    .selected(name) -> tuple of values
    .date_ranges -> list[DateRangeView] (every range, set or not); .without_range(prefix)

SearchResult (from `run_search(search_request)`; `per_page=` for a larger page, `passages=False`
to skip the passages, as the CSV export does):
    request: SearchRequest, hits: list[Hit], total, page, pages, per_page (20)
    notices: list[str], notice: str | None (the notices joined)
    facets: dict[name -> list[FacetValue]] in FACETS order
    breakdown: Breakdown(upheld, overturned, rate)  (rate: overturned / total, 0.0 when empty)
    timed_out: bool

Hit: letter_id, case_number, decision_date (date | None), ordinal, request, outcome,
    case_outcome ("Upheld" | "Partial Overturn" | "Overturned"), specialties, guidelines
    (labels), category, snippet_html (safe: only <mark>), url, score
FacetValue: value, label, count, selected
FACETS: list of Facet(name, label, more) in display order; `more` ones sit under "More filters".

How it stays fast: every match set is a Python int used as a bitset over document numbers.
Filters are Whoosh queries (exact Terms on the facet fields) whose bitsets are cached per index
snapshot; each facet's counts come from AND-ing the matches with each value's bitset and
counting bits, so no hit is ever scored for facets. Only the requested page is scored.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache, reduce
from urllib.parse import quote, urlencode

from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils.http import RFC3986_SUBDELIMS

from search.engine.query import ParsedQuery, key_terms_query, parse_user_query
from search.engine.whoosh import index
from search.engine.whoosh.index import Q
from search.highlighting import make_snippet
from search.letters import domain
from search.letters.domain import OUTCOME_LABELS
from search.letters.timeliness import BUCKET_LABELS, BUCKET_VALUES

PER_PAGE = 20
SORTS = ("relevance", "newest", "oldest")
DEFAULT_SORT = "relevance"
MAX_VALUES_PER_FACET = 50
PRIORITIES = ("Standard", "Expedited")


@dataclass(frozen=True)
class Facet:
    name: str  # request parameter and index field
    label: str
    more: bool = False  # shown under the folded "More filters"


FACETS = [
    Facet("outcome", "Outcome"),
    Facet("category", "Treatment category"),
    Facet("specialty", "Reviewer specialty"),
    Facet("source", "Guideline source"),
    Facet("guideline", "Guideline"),
    Facet("section", "Section or topic"),
    Facet("page_cited", "Page cited"),
    Facet("year", "Decision year"),
    Facet("priority", "Priority"),
    Facet("case_outcome", "Case outcome", more=True),
    Facet("days_to_decision", "Days from application received to decision", more=True),
    Facet("days_assigned_to_decision", "Days from assignment to decision", more=True),
    Facet("days_denial_to_application", "Days from UR denial to application", more=True),
]
FACET_NAMES = tuple(f.name for f in FACETS)
BUCKET_FACETS = ("days_to_decision", "days_assigned_to_decision", "days_denial_to_application")


@dataclass(frozen=True)
class DateRange:
    prefix: str  # the parameters are <prefix>_from and <prefix>_to
    field: str  # the day-number index field
    label: str


DATE_RANGES = [
    DateRange("decided", "decision_day", "Decision date"),
    DateRange("injured", "injury_day", "Date of injury"),
    DateRange("received", "received_day", "Application received"),
]
DATE_PARAMS = tuple(f"{r.prefix}_{end}" for r in DATE_RANGES for end in ("from", "to"))


@dataclass(frozen=True)
class DateRangeView:
    prefix: str
    label: str
    start: date | None
    end: date | None

    @property
    def is_set(self) -> bool:
        return self.start is not None or self.end is not None

    @property
    def from_param(self) -> str:
        return f"{self.prefix}_from"

    @property
    def to_param(self) -> str:
        return f"{self.prefix}_to"

    @property
    def summary(self) -> str:
        """ "Jan 1, 2017 to Dec 31, 2017", "from Jan 1, 2017", "until Dec 31, 2017"."""
        if self.start and self.end:
            return f"{_day_text(self.start)} to {_day_text(self.end)}"
        if self.start:
            return f"from {_day_text(self.start)}"
        return f"until {_day_text(self.end)}" if self.end else ""


def _day_text(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def time_limit_seconds() -> float:
    return float(getattr(settings, "SEARCH_TIME_LIMIT_SECONDS", 2.0))


# ---------------------------------------------------------------------------------------------
# The request


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    outcome: tuple[str, ...] = ()
    specialty: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    guideline: tuple[str, ...] = ()
    section: tuple[str, ...] = ()
    page_cited: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    year: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    case_outcome: tuple[str, ...] = ()
    days_to_decision: tuple[str, ...] = ()
    days_assigned_to_decision: tuple[str, ...] = ()
    days_denial_to_application: tuple[str, ...] = ()
    decided_from: date | None = None
    decided_to: date | None = None
    injured_from: date | None = None
    injured_to: date | None = None
    received_from: date | None = None
    received_to: date | None = None
    sort: str = DEFAULT_SORT
    page: int = 1
    notices: tuple[str, ...] = ()

    # -- reading

    def selected(self, name: str) -> tuple[str, ...]:
        return getattr(self, name) if name in FACET_NAMES else ()

    @property
    def filters(self) -> dict[str, tuple[str, ...]]:
        return {name: self.selected(name) for name in FACET_NAMES if self.selected(name)}

    @property
    def has_filters(self) -> bool:
        return bool(self.filters) or any(r.is_set for r in self.date_ranges)

    @property
    def date_ranges(self) -> list[DateRangeView]:
        """Every date range in DATE_RANGES order, set or not."""
        return [
            DateRangeView(
                r.prefix,
                r.label,
                getattr(self, f"{r.prefix}_from"),
                getattr(self, f"{r.prefix}_to"),
            )
            for r in DATE_RANGES
        ]

    def day_filters(self) -> dict[str, tuple[int, int | None]]:
        """Index field -> (first day, last day or None) for each range that is set."""
        out = {}
        for r in DATE_RANGES:
            start, end = getattr(self, f"{r.prefix}_from"), getattr(self, f"{r.prefix}_to")
            if start or end:
                # Day 0 means "not stated": an open start still begins at day 1.
                out[r.field] = (start.toordinal() if start else 1, end.toordinal() if end else None)
        return out

    # -- writing URLs (stable order: the same state always gives the same URL)

    def to_params(self) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = []
        if self.q:
            params.append(("q", self.q))
        for name in FACET_NAMES:
            params.extend((name, value) for value in sorted(self.selected(name)))
        for name in DATE_PARAMS:
            value = getattr(self, name)
            if value is not None:
                params.append((name, value.isoformat()))
        if self.sort != DEFAULT_SORT:
            params.append(("sort", self.sort))
        if self.page != 1:
            params.append(("page", str(self.page)))
        return params

    def querystring(self) -> str:
        return urlencode(self.to_params())

    def with_facet_toggled(self, name: str, value: str) -> str:
        if name not in FACET_NAMES:
            return self.querystring()
        values = set(self.selected(name))
        values.symmetric_difference_update({value})
        return replace(self, page=1, **{name: tuple(sorted(values))}).querystring()

    def with_page(self, page: int) -> str:
        return replace(self, page=max(1, int(page))).querystring()

    def without_filters(self) -> str:
        cleared = {name: () for name in FACET_NAMES} | dict.fromkeys(DATE_PARAMS)
        return replace(self, page=1, **cleared).querystring()

    def without_range(self, prefix: str) -> str:
        """The querystring with one date range (both ends) removed, page reset."""
        names = [n for n in (f"{prefix}_from", f"{prefix}_to") if n in DATE_PARAMS]
        return replace(self, page=1, **dict.fromkeys(names)).querystring()


def _facet_label(name: str) -> str:
    return next((f.label for f in FACETS if f.name == name), name)


# ---------------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Breakdown:
    upheld: int = 0
    overturned: int = 0

    @property
    def total(self) -> int:
        return self.upheld + self.overturned

    @property
    def rate(self) -> float:
        return self.overturned / self.total if self.total else 0.0


@dataclass
class Hit:
    letter_id: str
    case_number: str | None
    decision_date: date | None
    ordinal: int
    request: str
    outcome: str
    specialties: list[str]
    guidelines: list[str]
    category: str
    snippet_html: str
    url: str
    score: float = 0.0
    sections: list[str] = field(default_factory=list)
    case_outcome: str = ""

    @property
    def item_id(self) -> str:
        return domain.item_id(self.letter_id, self.ordinal)


@dataclass
class SearchResult:
    request: SearchRequest
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    per_page: int = PER_PAGE
    notices: list[str] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    breakdown: Breakdown = field(default_factory=Breakdown)
    timed_out: bool = False
    parsed: ParsedQuery | None = None

    @property
    def notice(self) -> str | None:
        return " ".join(self.notices) if self.notices else None

def item_url(letter_id: str, ordinal: int) -> str:
    """The item on its letter's page (the page marks each item with id="item-N")."""
    before, after = _letter_url_around(get_script_prefix())
    return f"{before}{quote(letter_id, safe=RFC3986_SUBDELIMS + '/~:@')}{after}#item-{ordinal}"


@lru_cache(maxsize=4)
def _letter_url_around(script_prefix: str) -> tuple[str, str]:
    """The letter page's URL from the URLconf, split where the letter id goes (quoted above as
    reverse quotes it). reversing costs about 50 µs and a CSV export builds 5,000 item URLs, so
    it is done once per script prefix; the site sets no per-request URLconf."""
    marker = "LETTER0ID"
    before, _, after = reverse("letter", args=[marker]).partition(marker)
    return before, after


# ---------------------------------------------------------------------------------------------
# Running a search


def facet_filter_query(name: str, values) -> object:
    """The Whoosh query for one facet's selection: any of its values (exact terms).

    For a day-number field (index.DAY_FIELDS) `values` is (first day, last day or None), the
    ordinals of a date range, and the query is that NumericRange.
    """
    if name in index.DAY_FIELDS:
        return Q.NumericRange(name, values[0], values[1])
    terms = [Q.Term(name, value) for value in values]
    return terms[0] if len(terms) == 1 else Q.Or(terms)


def _filter_bits(snap, name: str, values) -> int:
    """The documents one facet's selection allows: a facet's values come from the snapshot's
    facet tables (already in memory); a date range is a query on its day field."""
    if name in index.DAY_FIELDS:
        return snap.docs_bits(facet_filter_query(name, values))[0]
    return reduce(int.__or__, (snap.value_bits(name, value) for value in values), 0)


@dataclass
class _Aggregate:
    """Everything about one (query, filters) pair that does not depend on sort or page."""

    final_bits: int
    total: int
    facets: dict[str, list[tuple[str, int]]]
    breakdown: Breakdown
    timed_out: bool


def run_search(
    search: SearchRequest, *, per_page: int = PER_PAGE, passages: bool = True
) -> SearchResult:
    """One page of `per_page` hits (the CSV export asks for all its rows as one page), with
    passages unless `passages` is False (hits then have an empty snippet_html)."""
    per_page = max(1, per_page)
    result = SearchResult(
        request=search, page=search.page, per_page=per_page, notices=list(search.notices)
    )
    try:
        snap = index.snapshot()
    except index.IndexUnavailable as exc:
        result.notices.append(f"Search is unavailable: {exc}")
        return result
    parsed = parse_user_query(search.q)
    result.parsed = parsed
    result.notices.extend(parsed.notices)
    deadline = time.monotonic() + time_limit_seconds()

    filters = _known_filters(snap, search, result.notices)
    # Date ranges filter like facets (AND across) and narrow every facet's counts.
    filters.update(search.day_filters())
    aggregate = snap.cached(
        ("aggregate", parsed.key, tuple(sorted(filters.items()))),
        lambda: _aggregate(snap, parsed, filters, deadline),
    )
    if aggregate.timed_out:
        result.timed_out = True
        result.notices.append(
            "The search took too long and was stopped: counts may be incomplete. Add words or "
            "filters to narrow it."
        )
    result.total = aggregate.total
    result.breakdown = aggregate.breakdown
    result.pages = max(1, math.ceil(aggregate.total / per_page))
    result.facets = _facet_values(aggregate.facets, filters, search)

    docnums, timed_out = _ordered_page(snap, parsed, search, aggregate, deadline, per_page)
    if timed_out and not result.timed_out:
        result.timed_out = True
        result.notices.append("The search took too long: showing the best results found in time.")
    result.hits = [
        hit_from_stored(snap.stored(d), parsed.highlight, s, passages=passages) for d, s in docnums
    ]
    return result


def _known_filters(snap, search: SearchRequest, notices: list[str]) -> dict[str, tuple[str, ...]]:
    """The selected facet values the index knows; unknown ones are ignored with a notice."""
    known: dict[str, tuple[str, ...]] = {}
    for name, values in search.filters.items():
        column = snap.facet(name)
        present = tuple(v for v in values if v in column.values or name in _FIXED_VALUES)
        for value in values:
            if value not in present:
                notices.append(
                    f'No items have {_facet_label(name).lower()} "{value[:60]}": ignored.'
                )
        if present:
            known[name] = present
    return known


def _aggregate(snap, parsed: ParsedQuery, filters, deadline: float) -> _Aggregate:
    base_bits, finished = _query_bits(snap, parsed, deadline)
    filter_bits = {
        name: snap.cached(
            ("filter", name, values),
            lambda name=name, values=values: _filter_bits(snap, name, values),
        )
        for name, values in filters.items()
    }
    final_bits = base_bits
    for bits in filter_bits.values():
        final_bits &= bits
    facets: dict[str, list[tuple[str, int]]] = {}
    for facet in FACETS:
        # Each facet is counted over the matches of every other facet's selection, so ticking
        # one value of a facet leaves its other values' counts visible.
        others = base_bits
        for name, bits in filter_bits.items():
            if name != facet.name:
                others &= bits
        column = snap.facet(facet.name)
        counts = []
        if others:
            for value, value_bits in zip(column.values, column.bits, strict=True):
                count = (others & value_bits).bit_count()
                if count:
                    counts.append((value, count))
        facets[facet.name] = counts
    upheld = (final_bits & snap.value_bits("outcome", "upheld")).bit_count()
    overturned = (final_bits & snap.value_bits("outcome", "overturned")).bit_count()
    return _Aggregate(
        final_bits=final_bits,
        total=final_bits.bit_count(),
        facets=facets,
        breakdown=Breakdown(upheld=upheld, overturned=overturned),
        timed_out=not finished,
    )


def _query_bits(snap, parsed: ParsedQuery, deadline: float) -> tuple[int, bool]:
    if parsed.matches_everything:
        return snap.live_bits, True
    bits, finished = 0, True
    for q in (parsed.match_query, parsed.case_query):
        if q is not None:
            more, done = snap.cached(("bits", repr(q)), lambda q=q: snap.docs_bits(q, deadline))
            bits |= more
            finished = finished and done
    return bits, finished


def _facet_values(counts, filters, search: SearchRequest) -> dict[str, list[FacetValue]]:
    out: dict[str, list[FacetValue]] = {}
    for facet in FACETS:
        selected = set(search.selected(facet.name))
        pairs = dict(counts.get(facet.name, []))
        for value in selected:
            pairs.setdefault(value, 0)
        if facet.name in _FIXED_VALUES:
            ordered = [(v, pairs.get(v, 0)) for v in _FIXED_VALUES[facet.name]]
        elif facet.name == "year":
            ordered = sorted(pairs.items(), key=lambda p: p[0], reverse=True)
        elif facet.name == "priority":
            ordered = sorted(pairs.items(), key=lambda p: (p[0] not in PRIORITIES, p[0]))
        else:
            ordered = sorted(pairs.items(), key=lambda p: (-p[1], p[0].lower()))
            if len(ordered) > MAX_VALUES_PER_FACET:
                kept = ordered[:MAX_VALUES_PER_FACET]
                kept += [p for p in ordered[MAX_VALUES_PER_FACET:] if p[0] in selected]
                ordered = kept
        out[facet.name] = [
            FacetValue(
                value=value,
                label=_value_label(facet.name, value),
                count=count,
                selected=value in selected,
            )
            for value, count in ordered
            if count or value in selected or facet.name in _FIXED_VALUES
        ]
    return out


# Facets that always list all their values, in this order, zero counts included.
_FIXED_VALUES = {
    "outcome": tuple(OUTCOME_LABELS),
    "case_outcome": domain.CASE_OUTCOMES,
    **dict.fromkeys(BUCKET_FACETS, BUCKET_VALUES),
}


def _value_label(name: str, value: str) -> str:
    if name == "outcome":
        return OUTCOME_LABELS.get(value, value)
    if name in BUCKET_FACETS:
        return BUCKET_LABELS.get(value, value)
    return value


def _ordered_page(
    snap, parsed, search, aggregate, deadline, per_page: int = PER_PAGE
) -> tuple[list[tuple[int, float]], bool]:
    """(docnum, score) for the requested page, and whether scoring ran out of time."""
    start = (search.page - 1) * per_page
    if start >= aggregate.total:
        return [], False
    wanted = start + per_page
    final_bits = aggregate.final_bits
    if search.sort == "relevance" and not parsed.matches_everything:
        pinned = _pinned_case_docs(snap, parsed, final_bits)
        scored: list[tuple[int, float]] = [(d, 0.0) for d in pinned]
        timed_out = False
        if parsed.query is not None and len(scored) < wanted:
            remaining = max(0.05, deadline - time.monotonic())
            allowed = final_bits if final_bits != snap.live_bits else None
            top, timed_out = snap.top_scored(parsed.query, allowed, wanted + len(pinned), remaining)
            pinned_set = set(pinned)
            scored.extend((d, s) for d, s in top if d not in pinned_set)
        return scored[start:wanted], timed_out
    return [
        (d, 0.0) for d in _by_date(snap, final_bits, search.sort, start, wanted, aggregate)
    ], False


def _pinned_case_docs(snap, parsed: ParsedQuery, final_bits: int) -> list[int]:
    """Items of the case numbers typed, listed first: case by case in the order they were typed,
    each case's items in ordinal order."""
    if parsed.case_query is None:
        return []
    bits, _ = snap.cached(
        ("bits", repr(parsed.case_query)), lambda: snap.docs_bits(parsed.case_query)
    )
    docnums = index.docnums_from_bits(bits & final_bits)
    typed = {number: position for position, number in enumerate(parsed.case_numbers)}

    def key(docnum: int):
        stored = snap.stored(docnum)
        meta = stored["hit"]
        position = typed.get((meta.get("case_number") or "").upper(), len(typed))
        return (position, meta["letter_id"], stored["ordinal"])

    return sorted(docnums, key=key)


def _by_date(snap, final_bits: int, sort: str, start: int, wanted: int, aggregate) -> list[int]:
    """Newest first for "newest" and for everything-with-no-words; oldest first for "oldest"."""
    order = snap.newest_first()
    if sort == "oldest":
        order = snap.oldest_first()
    if aggregate.total * 20 < len(order):
        # A small match set: sort it directly rather than walking the whole order.
        rank = snap.date_rank()
        docnums = index.docnums_from_bits(final_bits)
        docnums.sort(key=rank.__getitem__, reverse=(sort == "oldest"))
        return docnums[start:wanted]
    view = index.BitsView(final_bits, snap.size)
    out = []
    for docnum in order:
        if docnum in view:
            out.append(docnum)
            if len(out) >= wanted:
                break
    return out[start:wanted]


def hit_from_stored(
    stored: dict, highlight: list[str], score: float = 0.0, *, passages: bool = True
) -> Hit:
    meta = stored.get("hit") or {}
    decided = meta.get("decision_date")
    letter_id = meta.get("letter_id") or stored.get("letter_id", "")
    ordinal = int(meta.get("ordinal") or stored.get("ordinal") or 0)
    return Hit(
        letter_id=letter_id,
        case_number=meta.get("case_number"),
        decision_date=date.fromisoformat(decided) if decided else None,
        ordinal=ordinal,
        request=stored.get("request", ""),
        outcome=meta.get("outcome", ""),
        specialties=list(meta.get("specialties", [])),
        guidelines=list(meta.get("guidelines", [])),
        category=meta.get("category", ""),
        sections=list(meta.get("sections", [])),
        case_outcome=meta.get("case_outcome", ""),
        snippet_html=(
            make_snippet([stored.get("rationale", ""), stored.get("request", "")], highlight)
            if passages
            else ""
        ),
        url=item_url(letter_id, ordinal),
        score=float(score),
    )


# ---------------------------------------------------------------------------------------------
# Similar precedents


@dataclass
class SimilarResult:
    hits: list[Hit] = field(default_factory=list)
    breakdown: Breakdown = field(default_factory=Breakdown)
    # (section label, cited in overturned hits, cited in upheld hits), most cited first
    sections: list[tuple[str, int, int]] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    found: bool = True

    @property
    def notice(self) -> str | None:
        return " ".join(self.notices) if self.notices else None


SIMILAR_TERMS = 15
SIMILAR_POOL = 100


def similar_to_item(public_id: str, ordinal: int, limit: int = 10) -> SimilarResult:
    """Items like this one (its request and rationale), its treatment category ranked first;
    neither the item nor the rest of its letter is listed."""
    result = SimilarResult()
    try:
        snap = index.snapshot()
    except index.IndexUnavailable as exc:
        return SimilarResult(found=False, notices=[f"Search is unavailable: {exc}"])
    docnum = snap.document_number(id=domain.item_id(public_id, ordinal))
    if docnum is None:
        return SimilarResult(found=False, notices=["That item is not in the search index."])
    stored = snap.stored(docnum)
    category = (stored.get("hit") or {}).get("category", "")
    request_text = stored.get("request", "")
    source_text = f"{request_text}\n{request_text}\n{stored.get('rationale', '')}"
    terms = [t for t, _ in snap.key_terms_from_text("text", source_text, SIMILAR_TERMS)]
    result.terms = terms
    q = key_terms_query(terms, request_only=_common_terms(snap, terms))
    if q is None:
        return result
    own_letter = snap.cached(
        ("filter", "letter_id", public_id),
        lambda: snap.docs_bits(Q.Term("letter_id", public_id))[0],
    )
    allowed = snap.live_bits & ~own_letter
    pool, timed_out = snap.top_scored(
        q, allowed, SIMILAR_POOL, time_limit_seconds(), matched_only=True
    )
    if timed_out:
        result.notices.append("Finding similar items took too long: showing what was found.")
    hits = [(d, s, snap.stored(d)) for d, s in pool]
    hits.sort(key=lambda h: ((h[2].get("hit") or {}).get("category") != category, -h[1]))
    highlight = terms
    result.hits = [hit_from_stored(st, highlight, s) for _, s, st in hits[:limit]]
    _summarise(result, [st for _, _, st in hits])
    return result


def similar_to_text(
    text: str, category: str | None = None, specialty: str | None = None, limit: int = 20
) -> SimilarResult:
    """Precedents for pasted text (say a utilization review denial): its key terms, OR-ed, with
    matches in the request weighted higher; optionally within one category or specialty."""
    result = SimilarResult()
    text = (text or "")[:50_000]
    if not text.strip():
        result.notices.append("Paste the text of a request or denial to find similar precedents.")
        return result
    try:
        snap = index.snapshot()
    except index.IndexUnavailable as exc:
        return SimilarResult(found=False, notices=[f"Search is unavailable: {exc}"])
    terms = [t for t, _ in snap.key_terms_from_text("text", text, SIMILAR_TERMS)]
    result.terms = terms
    q = key_terms_query(terms, request_only=_common_terms(snap, terms))
    if q is None:
        result.notices.append("The text has no words found in any letter.")
        return result
    allowed = snap.live_bits
    for name, value in (("category", category), ("specialty", specialty)):
        if value:
            allowed &= snap.value_bits(name, value)
    pool, timed_out = snap.top_scored(
        q, allowed, max(SIMILAR_POOL, limit), time_limit_seconds(), matched_only=True
    )
    if timed_out:
        result.notices.append("Finding similar items took too long: showing what was found.")
    stored = [(s, snap.stored(d)) for d, s in pool]
    result.hits = [hit_from_stored(st, terms, s) for s, st in stored[:limit]]
    _summarise(result, [st for _, st in stored])
    return result


# A key term found in more than this share of items ranks little (a low idf) but its posting
# list is most of the cost of a similarity search: it counts only where it is in the request.
COMMON_TERM_SHARE = 0.2


def _common_terms(snap, terms: list[str]) -> frozenset:
    reader = snap.searcher.reader()
    limit = COMMON_TERM_SHARE * max(1, snap.total)
    return frozenset(t for t in terms if reader.doc_frequency("text", t) > limit)


def _summarise(result: SimilarResult, pool: list[dict]) -> None:
    """Outcome breakdown and the sections cited in overturned vs upheld items of the pool."""
    upheld = overturned = 0
    sections: dict[str, list[int]] = {}
    for stored in pool:
        meta = stored.get("hit") or {}
        is_overturned = meta.get("outcome") == "overturned"
        overturned += is_overturned
        upheld += not is_overturned
        for label in meta.get("sections", []):
            counts = sections.setdefault(label, [0, 0])
            counts[0 if is_overturned else 1] += 1
    result.breakdown = Breakdown(upheld=upheld, overturned=overturned)
    ranked = sorted(sections.items(), key=lambda p: (-(p[1][0] + p[1][1]), -p[1][0], p[0]))
    result.sections = [(label, o, u) for label, (o, u) in ranked[:10]]
