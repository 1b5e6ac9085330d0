"""Search disputed items: a SearchRequest from GET parameters -> hits, facet counts, breakdown.

Public interface (templates and the API rely on these names):

SearchRequest (the web's `SearchForm(request.GET).search_request()` reads one from a URL):
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
FACETS: the facet registry (search.engine.facets): Facet(name, label, more, ...) in display
    order; `more` ones sit under "More filters".

This module is the service: it parses the text with the backend's analyzer, turns a
SearchRequest into a SearchSpec (search.engine.contract), asks the backend chosen in settings
(search.backends.get_backend) and turns its EngineResult into Hits with passages. The engine
work (match sets, facet counts, ranking) is the backend's: see search/engine/whoosh/execution.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from urllib.parse import quote, urlencode

from django.urls import get_script_prefix, reverse
from django.utils.http import RFC3986_SUBDELIMS

from search.backends import get_backend
from search.engine import contract
from search.engine import facets as facet_registry
from search.engine.contract import PASTED_TEXT_CHARS, SearchSpec, SimilarSpec, StoredItem
from search.engine.errors import IndexUnavailable
from search.engine.query import ParsedQuery, parse_user_query
from search.highlighting import make_snippet, make_snippets, sanitize
from search.letters import domain
from search.letters.reasons import FoundReason

PER_PAGE = 20
SORTS = contract.SORTS  # the sorts a backend knows
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


# ---------------------------------------------------------------------------------------------
# The request


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

    def __getattr__(self, name: str):
        if name in FACET_NAMES:
            return self.selections.get(name, ())
        raise AttributeError(name)

    # -- reading

    def selected(self, name: str) -> tuple[str, ...]:
        return self.selections.get(name, ())

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

    def without_filters(self) -> str:
        return replace(
            self, page=1, selections={}, **dict.fromkeys(DATE_PARAMS)
        ).querystring()

    def without_range(self, prefix: str) -> str:
        """The querystring with one date range (both ends) removed, page reset."""
        names = [n for n in (f"{prefix}_from", f"{prefix}_to") if n in DATE_PARAMS]
        return replace(self, page=1, **dict.fromkeys(names)).querystring()


def _facet_label(name: str) -> str:
    facet = facet_registry.FACETS_BY_NAME.get(name)
    return facet.label if facet else name


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
    reasons: list[FoundReason] = field(default_factory=list)
    request_size: dict = field(default_factory=dict)  # RequestSize.as_json()

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
    # The breakdown of the same search without its Outcome selection (the outcome facet's own
    # counts, which leave that selection out): with "Overturned" ticked, the rate of the set
    # it was picked from, not 100%. None when no outcome is selected.
    breakdown_before_outcome: Breakdown | None = None
    timed_out: bool = False
    parsed: ParsedQuery | None = None
    pasted: bool = False  # the text was recognised as pasted and ranked as the finder ranks

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
# Running a search: SearchRequest -> SearchSpec -> the backend -> Hits


def search_spec(
    search: SearchRequest, parsed: ParsedQuery, per_page: int, ranking: str = "hybrid"
) -> SearchSpec:
    return SearchSpec(
        query=parsed,
        filters=search.filters,
        date_ranges={
            r.field: (getattr(search, f"{r.prefix}_from"), getattr(search, f"{r.prefix}_to"))
            for r in DATE_RANGES
        },
        sort=search.sort,
        offset=(search.page - 1) * per_page,
        limit=per_page,
        ranking=ranking,
    )


def run_search(
    search: SearchRequest, *, per_page: int = PER_PAGE, passages: bool = True,
    ranking: str = "hybrid",
) -> SearchResult:
    """One page of `per_page` hits (the CSV export asks for all its rows as one page), with
    passages unless `passages` is False (hits then have an empty snippet_html); `ranking`
    "words" leaves ranking by meaning out (SearchSpec.ranking)."""
    per_page = max(1, per_page)
    result = SearchResult(
        request=search, page=search.page, per_page=per_page, notices=list(search.notices)
    )
    backend = get_backend()
    parsed = parse_user_query(search.q, backend.analyze)
    result.parsed = parsed
    try:
        answer = backend.search(search_spec(search, parsed, per_page, ranking))
    except IndexUnavailable as exc:
        result.notices.append(f"Search is unavailable: {exc}")
        return result
    result.notices.extend(parsed.notices)
    for name, values in answer.ignored_filters.items():
        for value in values:
            result.notices.append(
                f'No items have {_facet_label(name).lower()} "{value[:60]}": ignored.'
            )
    if answer.timed_out:
        result.timed_out = True
        result.notices.append(
            "The search took too long and was stopped: counts may be incomplete. Add words or "
            "filters to narrow it."
        )
    if answer.partial:
        result.notices.append(
            "Part of the search index did not answer: these results and counts may be "
            "incomplete. Try again in a moment."
        )
    result.total = answer.total
    result.breakdown = Breakdown(upheld=answer.upheld, overturned=answer.overturned)
    result.pages = max(1, math.ceil(answer.total / per_page))
    result.facets = _facet_values(answer.facets, search)
    if search.selected("outcome"):
        counts = dict(answer.facets.get("outcome", []))
        result.breakdown_before_outcome = Breakdown(
            upheld=counts.get(domain.UPHELD, 0), overturned=counts.get(domain.OVERTURNED, 0))
    if answer.exact_total is not None:
        exact = answer.exact_total
        result.notices.append(
            f"Only {exact:,} item{'' if exact == 1 else 's'} matched every word; items that "
            f"match most of the words follow{' them' if exact else ''}."
        )
    if answer.ranking_timed_out and not result.timed_out:
        result.timed_out = True
        result.notices.append("The search took too long: showing the best results found in time.")
    result.pasted = parsed.pasted
    # A pasted text is ranked by the finder's treatment words: only those are marked, not every
    # word of the text ("was", "under", "12").
    highlight = list(
        dict.fromkeys(answer.highlight if parsed.pasted else [*parsed.highlight, *answer.highlight])
    )
    # Our passages for the hits the backend did not mark itself, cleaned in one call.
    ours = [h for h in answer.hits if not h.passages] if passages else []
    made = iter(make_snippets([[h.item.rationale, h.item.request] for h in ours], highlight))
    snippets = [
        "" if not passages
        else sanitize(" ".join(h.passages)) if h.passages
        else next(made)
        for h in answer.hits
    ]
    result.hits = [
        hit_from_item(h.item, highlight, h.score, snippet_html=snippet)
        for h, snippet in zip(answer.hits, snippets, strict=True)
    ]
    return result


def _facet_values(counts, search: SearchRequest) -> dict[str, list[FacetValue]]:
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


def hit_from_item(
    item: StoredItem, highlight: list[str], score: float = 0.0, *, passages: bool = True,
    snippet_html: str | None = None,
    marked: tuple[str, ...] = (),
) -> Hit:
    """A hit of `item`. Its passage: `snippet_html` when given (a page's passages are cleaned
    together: make_snippets); else the backend's own highlighted passages, `marked` (Solr's
    unified highlighter), through the same allow-list; else made here (none when not
    `passages`)."""
    if snippet_html is None:
        if not passages:
            snippet_html = ""
        elif marked:
            snippet_html = sanitize(" ".join(marked))
        else:
            snippet_html = make_snippet([item.rationale, item.request], highlight)
    return Hit(
        letter_id=item.letter_id,
        case_number=item.case_number,
        decision_date=item.decision_date,
        ordinal=item.ordinal,
        request=item.request,
        outcome=item.outcome,
        specialties=list(item.specialties),
        guidelines=list(item.guidelines),
        category=item.category,
        sections=list(item.sections),
        case_outcome=item.case_outcome,
        reasons=[FoundReason(code, evidence) for code, evidence in item.reasons],
        request_size=dict(item.request_size),
        snippet_html=snippet_html,
        url=item_url(item.letter_id, item.ordinal),
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


SIMILAR_POOL = 100  # similar items asked of the backend; the breakdown and sections count them


def similar_to_item(public_id: str, ordinal: int, limit: int = 10) -> SimilarResult:
    """Items like this one (its request and rationale), its treatment category ranked first;
    neither the item nor the rest of its letter is listed."""
    spec = SimilarSpec(item_id=domain.item_id(public_id, ordinal), limit=SIMILAR_POOL)
    return _similar(spec, limit)


def similar_to_text(
    text: str, category: str | None = None, specialty: str | None = None, limit: int = 20,
    ranking: str = "hybrid",
) -> SimilarResult:
    """Precedents for pasted text (say a utilization review denial), ranked by its treatment
    words (the backend's precedent finder); optionally within one category or specialty."""
    text = (text or "")[:PASTED_TEXT_CHARS]
    if not text.strip():
        return SimilarResult(
            notices=["Paste the text of a request or denial to find similar precedents."]
        )
    chosen = (("category", category), ("specialty", specialty))
    filters = {name: (value,) for name, value in chosen if value}
    spec = SimilarSpec(
        text=text, filters=filters, limit=max(SIMILAR_POOL, limit), ranking=ranking
    )
    return _similar(spec, limit)


def _similar(spec: SimilarSpec, limit: int) -> SimilarResult:
    try:
        answer = get_backend().similar(spec)
    except IndexUnavailable as exc:
        return SimilarResult(found=False, notices=[f"Search is unavailable: {exc}"])
    if not answer.found:
        return SimilarResult(found=False, notices=["That item is not in the search index."])
    result = SimilarResult(terms=answer.terms)
    if not answer.terms and spec.item_id is None:
        result.notices.append("The text has no words found in any letter.")
    if answer.timed_out:
        result.notices.append("Finding similar items took too long: showing what was found.")
    highlight = list(dict.fromkeys([*answer.highlight, *answer.terms]))
    result.hits = [hit_from_item(h.item, highlight, h.score) for h in answer.hits[:limit]]
    _summarise(result, [h.item for h in answer.hits])
    return result


def _summarise(result: SimilarResult, pool: list[StoredItem]) -> None:
    """Outcome breakdown and the sections cited in overturned vs upheld items of the pool."""
    upheld = overturned = 0
    sections: dict[str, list[int]] = {}
    for item in pool:
        is_overturned = item.outcome == "overturned"
        overturned += is_overturned
        upheld += not is_overturned
        for label in item.sections:
            counts = sections.setdefault(label, [0, 0])
            counts[0 if is_overturned else 1] += 1
    result.breakdown = Breakdown(upheld=upheld, overturned=overturned)
    ranked = sorted(sections.items(), key=lambda p: (-(p[1][0] + p[1][1]), -p[1][0], p[0]))
    result.sections = [(label, o, u) for label, (o, u) in ranked[:10]]
