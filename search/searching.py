"""Search disputed items: a SearchRequest from GET parameters -> hits, facet counts, breakdown.

Public interface (templates and the API rely on these names):

SearchRequest (from `SearchRequest.from_params(request.GET)`):
    q: str                       the user's text ("" matches every item)
    selections: {facet name: tuple[str, ...]} of selected facet values (OR within a facet,
                                 AND across facets), one facet per search.engine.facets.FACETS;
                                 also `request.<facet name>`
    decided_from, decided_to, injured_from, injured_to, received_from, received_to:
                                 date | None (inclusive; a set bound drops letters that do not
                                 state that date)
    sort: "relevance" | "newest" | "oldest"
    page: int (1-based)
    notices: list[str]           problems with the parameters, in plain English
    .to_params() -> list[(name, value)] in a stable order; .querystring() -> "q=...&outcome=..."
    .with_facet_toggled(name, value) -> querystring with that value ticked/unticked, page reset
    .with_page(n) / .with_sort(s) -> querystring
    .selected(name) -> tuple of values; .is_selected(name, value) -> bool
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
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import reduce
from urllib.parse import urlencode

from django.conf import settings
from whoosh import query as Q

from search.backends import index_dir
from search.engine import facets as facet_registry
from search.engine.errors import IndexUnavailable
from search.engine.query import ParsedQuery, key_terms_query, parse_user_query
from search.engine.whoosh.bits import BitsView, docnums_from_bits
from search.engine.whoosh.schema import DAY_FIELDS
from search.engine.whoosh.snapshot import snapshot
from search.snippets import make_snippet

PER_PAGE = 20
MAX_PAGE = 10_000
SORTS = ("relevance", "newest", "oldest")
DEFAULT_SORT = "relevance"
# The facet registry: each facet is declared once, in search.engine.facets.
FACETS = facet_registry.FACETS
FACET_NAMES = facet_registry.FACET_NAMES


DATE_RANGES = facet_registry.DATE_RANGES
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


def parse_date(text: str) -> date | None:
    """ "2017-01-31" (what a date input sends) or "01/31/2017" (as the letters write dates)."""
    text = text.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    parts = text.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
        try:
            return date(int(parts[2]), int(parts[0]), int(parts[1]))
        except ValueError:
            return None
    return None


def time_limit_seconds() -> float:
    return float(getattr(settings, "SEARCH_TIME_LIMIT_SECONDS", 2.0))


# ---------------------------------------------------------------------------------------------
# The request


def _getlist(params, name: str) -> list[str]:
    if params is None:
        return []
    if hasattr(params, "getlist"):
        values = params.getlist(name)
    else:
        values = params.get(name, [])
        if isinstance(values, str | int):
            values = [values]
    return [str(v) for v in values if v is not None]


def _clean_value(value: str) -> str:
    return " ".join("".join(ch for ch in value if ch.isprintable()).split())


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    # Facet name (search.engine.facets) -> the selected values, sorted; also readable as an
    # attribute (`request.specialty`).
    selections: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    decided_from: date | None = None
    decided_to: date | None = None
    injured_from: date | None = None
    injured_to: date | None = None
    received_from: date | None = None
    received_to: date | None = None
    sort: str = DEFAULT_SORT
    page: int = 1
    notices: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params) -> SearchRequest:
        """Read GET parameters; bad values are dropped or reset with a notice, never raised."""
        notices: list[str] = []
        q_values = _getlist(params, "q")
        q = q_values[0] if q_values else ""
        if len(q) > 10_000:
            q = q[:10_000]
        facets: dict[str, tuple[str, ...]] = {}
        for name in FACET_NAMES:
            chosen: list[str] = []
            for raw in _getlist(params, name):
                value = _clean_value(raw)
                if not value:
                    continue
                accepted = _accept_value(name, value)
                if accepted is None:
                    notices.append(
                        f'Ignored the unknown {_facet_label(name).lower()} "{value[:60]}".'
                    )
                elif accepted not in chosen:
                    chosen.append(accepted)
            facets[name] = tuple(sorted(chosen))
        dates = _read_dates(params, notices)
        sort_values = _getlist(params, "sort")
        sort = (sort_values[0].strip().lower() if sort_values else "") or DEFAULT_SORT
        if sort not in SORTS:
            notices.append(f'Unknown sort "{sort[:30]}": sorted by relevance.')
            sort = DEFAULT_SORT
        page_values = _getlist(params, "page")
        page = 1
        if page_values and page_values[0].strip():
            try:
                page = int(page_values[0].strip())
                if not 1 <= page <= MAX_PAGE:
                    raise ValueError
            except ValueError:
                notices.append(f'"{page_values[0][:20]}" is not a page number: showing page 1.')
                page = 1
        selections = {name: values for name, values in facets.items() if values}
        return cls(q=q, selections=selections, sort=sort, page=page, notices=tuple(notices),
                   **dates)

    def __getattr__(self, name: str):
        if name in FACET_NAMES:
            return self.selections.get(name, ())
        raise AttributeError(name)

    # -- reading

    def selected(self, name: str) -> tuple[str, ...]:
        return self.selections.get(name, ())

    def is_selected(self, name: str, value: str) -> bool:
        return value in self.selected(name)

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
                out[DAY_FIELDS[r.field]] = (
                    start.toordinal() if start else 1,
                    end.toordinal() if end else None,
                )
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
        selections = {**self.selections, name: tuple(sorted(values))}
        selections = {n: v for n, v in selections.items() if v}
        return replace(self, page=1, selections=selections).querystring()

    def with_page(self, page: int) -> str:
        return replace(self, page=max(1, int(page))).querystring()

    def with_sort(self, sort: str) -> str:
        return replace(self, sort=sort if sort in SORTS else DEFAULT_SORT, page=1).querystring()

    def without_filters(self) -> str:
        return replace(
            self, page=1, selections={}, **dict.fromkeys(DATE_PARAMS)
        ).querystring()

    def without_range(self, prefix: str) -> str:
        """The querystring with one date range (both ends) removed, page reset."""
        names = [n for n in (f"{prefix}_from", f"{prefix}_to") if n in DATE_PARAMS]
        return replace(self, page=1, **dict.fromkeys(names)).querystring()


def _read_dates(params, notices: list[str]) -> dict[str, date | None]:
    """The date range parameters; a bad date is dropped with a notice, a reversed range swapped."""
    dates: dict[str, date | None] = {}
    for r in DATE_RANGES:
        for end in ("from", "to"):
            name = f"{r.prefix}_{end}"
            values = [v for v in _getlist(params, name) if v.strip()]
            day = parse_date(values[0]) if values else None
            if values and day is None:
                shown = _clean_value(values[0])[:30]
                notices.append(
                    f'Ignored "{shown}" as the {r.label.lower()} {end}: '
                    "use a date such as 2017-01-31."
                )
            dates[name] = day
        start, finish = dates[f"{r.prefix}_from"], dates[f"{r.prefix}_to"]
        if start and finish and start > finish:
            notices.append(
                f"The {r.label.lower()} range ended before it began: the two dates were swapped."
            )
            dates[f"{r.prefix}_from"], dates[f"{r.prefix}_to"] = finish, start
    return dates


def _facet_label(name: str) -> str:
    facet = facet_registry.FACETS_BY_NAME.get(name)
    return facet.label if facet else name


def _accept_value(name: str, value: str) -> str | None:
    """The canonical form of a facet value, or None when it can never be valid."""
    return facet_registry.FACETS_BY_NAME[name].accept(value)


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

    @property
    def percent(self) -> int:
        return round(100 * self.rate)


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
        return f"{self.letter_id}#{self.ordinal}"


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

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.hits else 0

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def item_url(letter_id: str, ordinal: int) -> str:
    return f"/letters/{letter_id}/#item-{ordinal}"


# ---------------------------------------------------------------------------------------------
# Running a search


def facet_filter_query(name: str, values) -> object:
    """The Whoosh query for one facet's selection: any of its values (exact terms).

    For a day-number field (DAY_FIELDS values) `values` is (first day, last day or None), the
    ordinals of a date range, and the query is that NumericRange.
    """
    if name in DAY_FIELDS.values():
        return Q.NumericRange(name, values[0], values[1])
    terms = [Q.Term(name, value) for value in values]
    return terms[0] if len(terms) == 1 else Q.Or(terms)


def _filter_bits(snap, name: str, values) -> int:
    """The documents one facet's selection allows: a facet's values come from the snapshot's
    facet tables (already in memory); a date range is a query on its day field."""
    if name in DAY_FIELDS.values():
        return snap.evaluator.docs_bits(facet_filter_query(name, values))[0]
    return reduce(int.__or__, (snap.facets.value_bits(name, value) for value in values), 0)


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
        snap = snapshot(index_dir())
    except IndexUnavailable as exc:
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
        column = snap.facets.column(name)
        fixed = facet_registry.FACETS_BY_NAME[name].fixed
        present = tuple(v for v in values if v in column.values or fixed)
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
        column = snap.facets.column(facet.name)
        counts = []
        if others:
            for value, value_bits in zip(column.values, column.bits, strict=True):
                count = (others & value_bits).bit_count()
                if count:
                    counts.append((value, count))
        facets[facet.name] = counts
    upheld = (final_bits & snap.facets.value_bits("outcome", "upheld")).bit_count()
    overturned = (final_bits & snap.facets.value_bits("outcome", "overturned")).bit_count()
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
            more, done = snap.cached(
                ("bits", repr(q)), lambda q=q: snap.evaluator.docs_bits(q, deadline)
            )
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
        if facet.fixed:
            ordered = [(v, pairs.get(v, 0)) for v in facet.values]
        elif facet.listing == facet_registry.NEWEST_FIRST:
            ordered = sorted(pairs.items(), key=lambda p: p[0], reverse=True)
        elif facet.listing == facet_registry.KNOWN_FIRST:
            ordered = sorted(pairs.items(), key=lambda p, f=facet: (p[0] not in f.values, p[0]))
        else:
            ordered = sorted(pairs.items(), key=lambda p: (-p[1], p[0].lower()))
            if len(ordered) > facet_registry.MAX_LISTED:
                kept = ordered[: facet_registry.MAX_LISTED]
                kept += [p for p in ordered[facet_registry.MAX_LISTED :] if p[0] in selected]
                ordered = kept
        out[facet.name] = [
            FacetValue(
                value=value,
                label=facet.label_of(value),
                count=count,
                selected=value in selected,
            )
            for value, count in ordered
            if count or value in selected or facet.fixed
        ]
    return out


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
            top, timed_out = snap.scorer.top_scored(
                parsed.query, allowed, wanted + len(pinned), remaining
            )
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
        ("bits", repr(parsed.case_query)), lambda: snap.evaluator.docs_bits(parsed.case_query)
    )
    docnums = docnums_from_bits(bits & final_bits)
    typed = {number: position for position, number in enumerate(parsed.case_numbers)}

    def key(docnum: int):
        stored = snap.stored(docnum)
        meta = stored["hit"]
        position = typed.get((meta.get("case_number") or "").upper(), len(typed))
        return (position, meta["letter_id"], stored["ordinal"])

    return sorted(docnums, key=key)


def _by_date(snap, final_bits: int, sort: str, start: int, wanted: int, aggregate) -> list[int]:
    """Newest first for "newest" and for everything-with-no-words; oldest first for "oldest"."""
    order = snap.dates.newest_first()
    if sort == "oldest":
        order = snap.dates.oldest_first()
    if aggregate.total * 20 < len(order):
        # A small match set: sort it directly rather than walking the whole order.
        rank = snap.dates.rank()
        docnums = docnums_from_bits(final_bits)
        docnums.sort(key=rank.__getitem__, reverse=(sort == "oldest"))
        return docnums[start:wanted]
    view = BitsView(final_bits, snap.size)
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
        snap = snapshot(index_dir())
    except IndexUnavailable as exc:
        return SimilarResult(found=False, notices=[f"Search is unavailable: {exc}"])
    docnum = snap.document_number(id=f"{public_id}#{ordinal}")
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
        lambda: snap.evaluator.docs_bits(Q.Term("letter_id", public_id))[0],
    )
    allowed = snap.live_bits & ~own_letter
    pool, timed_out = snap.scorer.top_scored(
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
        snap = snapshot(index_dir())
    except IndexUnavailable as exc:
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
            allowed &= snap.facets.value_bits(name, value)
    pool, timed_out = snap.scorer.top_scored(
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
    limit = COMMON_TERM_SHARE * max(1, snap.total)
    return frozenset(t for t in terms if snap.doc_frequency("text", t) > limit)


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
