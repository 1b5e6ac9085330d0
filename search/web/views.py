"""The attorney's pages: the search page, a letter, the precedent finder, the CSV export.

Views stay thin: GET parameters become a `SearchRequest` (forms.SearchForm), the search service
answers, a template renders. What is here besides that only shapes the answer for the templates
(facet groups, page links, highlighted letter text); what every page needs comes from
context_processors.site. Each view answers GET and HEAD only.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from search.highlighting import highlight_terms, highlight_text
from search.letters import domain
from search.letters.reasons import FoundReason
from search.letters.request_size import size_parts
from search.letters.timeliness import Timeliness
from search.models import Citation, Determination, Letter
from search.searching import (
    FACETS,
    SORTS,
    SearchRequest,
    SearchResult,
    run_search,
    similar_to_item,
    similar_to_text,
)
from search.web.forms import SearchForm
from search.web.hit_formats import CSV_COLUMNS, hit_as_csv_row

# A real state case number; only these have a page on the state's decision search.
REAL_CASE_NUMBER = re.compile(r"^CM\d{2}-\d{7}$")
STATE_CASE_URL = "https://www.dir.ca.gov/dwc/IMR/IMRDecisionSearch.asp?caseno={}"

SIMILAR_PER_ITEM = 5
PRECEDENT_TEXT_MAX = 5000

# Headers that change what a page returns (fragment or full page): the search page and an
# item's similar precedents.
HTMX_VARY = ("HX-Request", "HX-Target", "HX-History-Restore-Request")


class HtmxHttpRequest(HttpRequest):
    """A request that has been through django-htmx's middleware."""

    htmx: HtmxDetails


def marked(text: str, terms: list[str]) -> SafeString:
    """Letter text for a template, the searched words in <mark>."""
    # highlight_text escapes the text, adds only <mark>, then bleach allows nothing else.
    return mark_safe(highlight_text(text, terms))  # noqa: S308


# --- The letter page ---------------------------------------------------------------------------


@dataclass
class CitationView:
    label: str  # "MTUS > Chronic Pain": also the guideline facet's value
    sections: list[tuple[str, str]]  # (section name, facet value)
    pages: list[str]
    flags: list[str]


@dataclass
class PartyGuideline:
    title: str
    raw: str
    flags: list[str]
    citations: list[CitationView] = field(default_factory=list)


@dataclass
class ItemView:
    determination: Determination
    request_html: SafeString  # the heading: the request, or a fragment with its whole request
    index_label: str
    rationale_html: SafeString
    guidelines: list[PartyGuideline]
    citation_line: str
    reasons: list[FoundReason]
    request_size: list[tuple[str, str]]  # (label, value) of the fields found in the request

    @property
    def ordinal(self) -> int:
        return self.determination.ordinal

    @property
    def outcome(self) -> str:
        return self.determination.outcome


FLAG_TEXT = {
    domain.FLAG_NO_EVIDENCE: "No medical evidence cited",
    domain.FLAG_NOT_MTUS: "Decision not based on the MTUS",
    domain.FLAG_MTUS_AS_NON_MTUS: "MTUS cited as a non-MTUS citation",
}


def _flag_texts(flags) -> list[str]:
    return [FLAG_TEXT.get(flag, flag.replace("_", " ")) for flag in flags]


def _citation_view(citation: Citation) -> CitationView:
    as_domain = citation.as_domain()
    return CitationView(
        label=as_domain.label,
        sections=list(zip(as_domain.sections, as_domain.section_labels, strict=True)),
        pages=as_domain.page_labels,
        flags=_flag_texts(as_domain.flags),
    )


def citation_line(letter: Letter, determination: Determination) -> str:
    """The line an attorney pastes into a brief."""
    outcome = domain.outcome_label(determination.outcome)
    who = f"Case No. {letter.case_number}" if letter.case_number else f"Letter {letter.public_id}"
    when = _citation_date(letter.decision_date) if letter.decision_date else "date not stated"
    return f"IMR Final Determination, {who} ({when}), item {determination.ordinal}: {outcome}"


_MONTHS = [
    "Jan.",
    "Feb.",
    "Mar.",
    "Apr.",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
]


def _citation_date(value) -> str:
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


# A modified request's remaining portion is often a fragment of the original request ("with open
# carpal tunnel release"): alone as a heading it does not say what was requested.
_FRAGMENT = re.compile(r"^(?:with|and|plus|including|or|of|for|to|w/)\b", re.IGNORECASE)


def _is_fragment(determination: Determination) -> bool:
    request = determination.request
    return bool(
        determination.original_request and request[:1].islower() and _FRAGMENT.match(request)
    )


def item_heading(determination: Determination) -> str:
    if _is_fragment(determination):
        return f"{determination.original_request}, remaining portion: {determination.request}"
    return determination.request or determination.heading


def item_index_label(determination: Determination) -> str:
    """The item in the letter's list of items, where it is cut short: the fragment first."""
    if _is_fragment(determination):
        return f"{determination.request} (part of: {determination.original_request})"
    return determination.request or determination.heading


def _item_view(letter: Letter, determination: Determination, terms: list[str]) -> ItemView:
    citations = sorted(determination.citations.all(), key=lambda c: (c.party, c.position))
    guidelines = [
        PartyGuideline(
            title="Claims administrator guideline",
            raw=determination.claims_administrator_guideline,
            flags=_flag_texts(determination.claims_administrator_flags),
            citations=[
                _citation_view(c) for c in citations if c.party == Citation.CLAIMS_ADMINISTRATOR
            ],
        ),
        PartyGuideline(
            title="IMR reviewer guideline",
            raw=determination.imr_guideline,
            flags=_flag_texts(determination.imr_flags),
            citations=[_citation_view(c) for c in citations if c.party == Citation.IMR],
        ),
    ]
    return ItemView(
        determination=determination,
        request_html=marked(item_heading(determination), terms),
        index_label=item_index_label(determination),
        rationale_html=marked(determination.rationale, terms),
        guidelines=guidelines,
        citation_line=citation_line(letter, determination),
        reasons=[FoundReason(r["reason"], r["evidence"]) for r in determination.reasons or []],
        request_size=size_parts(determination.request_size or {}),
    )


@require_safe
def letter_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    letter = (
        Letter.objects.prefetch_related("determinations__citations")
        .filter(public_id=public_id)
        .first()
    )
    if letter is None:
        # People type case numbers in lower case; send them to the one address we link to.
        other = Letter.objects.filter(public_id__iexact=public_id.strip()).only("public_id").first()
        if other is not None:
            return HttpResponseRedirect(reverse("letter", args=[other.public_id]))
        return not_found(request, letter_id=public_id)
    # A hit links here with its whole search (query, filters, sort, page): the searched words are
    # marked, and "Back to the search" returns to that same search.
    search_request = SearchForm(request.GET).search_request()
    back_querystring = search_request.querystring()
    terms = highlight_terms(search_request.q)
    determinations = sorted(letter.determinations.all(), key=lambda d: d.ordinal)
    # From the database only: each item's similar precedents are a search of their own, fetched
    # when the reader opens them (item_similar), so the letter itself stays fast.
    items = [_item_view(letter, d, terms) for d in determinations]
    case_number = letter.case_number or ""
    context = dict(
        letter=letter,
        items=items,
        summary_html=marked(letter.summary, terms),
        case_outcome=letter.case_outcome if determinations else "",
        timeliness=Timeliness.of_letter(letter).rows(),
        state_url=STATE_CASE_URL.format(case_number) if REAL_CASE_NUMBER.match(case_number) else "",
        back_to_search=f"{reverse('search')}?{back_querystring}" if back_querystring else "",
    )
    return render(request, "search/letter.html", context)


def similar_container_id(ordinal: int) -> str:
    """The id of the element on the letter page that an item's similar precedents fill; htmx
    sends it as HX-Target. search/_letter_item.html writes the same id."""
    return f"similar-{ordinal}"


@require_safe
def item_similar(request: HtmxHttpRequest, public_id: str, ordinal: int) -> HttpResponse:
    """The precedents most like one item of a letter: a page of its own, and the fragment that
    fills the item's "Similar precedents" on the letter page when the reader opens it."""
    determination = (
        Determination.objects.select_related("letter")
        .filter(letter__public_id=public_id, ordinal=ordinal)
        .first()
    )
    if determination is None:
        if Letter.objects.filter(public_id=public_id).exists():
            return not_found(request)  # the letter is there, the item is not
        return not_found(request, letter_id=public_id)
    letter = determination.letter
    similar = similar_to_item(public_id, ordinal, limit=SIMILAR_PER_ITEM)
    context = {
        "letter": letter,
        "determination": determination,
        "hits": similar.hits,
        "notices": similar.notices,
    }
    if wants_fragment(request, similar_container_id(ordinal)):
        response = render(request, "search/_similar_list.html", context)
    else:
        context["breakdown"] = outcome_bar(similar.breakdown)
        response = render(request, "search/item_similar.html", context)
    patch_vary_headers(response, HTMX_VARY)
    return response


def not_found(request: HttpRequest, letter_id: str = "") -> HttpResponse:
    return render(request, "404.html", {"letter_id": letter_id}, status=404)


# --- The search page ---------------------------------------------------------------------------

SORT_LABELS = {"relevance": "Best match", "newest": "Newest first", "oldest": "Oldest first"}
SORT_OPTIONS = [(sort, SORT_LABELS.get(sort, sort.title())) for sort in SORTS]

# Longer facets show this many values (plus any ticked ones) and fold the rest.
FACET_VISIBLE = 6
CSV_CAP = 5000

EXAMPLE_SEARCHES = [
    ("12 sessions cognitive behavioral therapy chronic pain", {}),
    ("lumbar MRI, overturned only", {"q": "lumbar MRI", "outcome": "overturned"}),
    ('"functional restoration program"', {}),
    ("tramadol OR norco", {}),
    ("acupuncture -chiropractic", {}),
]


def wants_fragment(request: HtmxHttpRequest, target_id: str) -> bool:
    """Only an htmx request aimed at the element `target_id` gets the fragment that fills it.

    A history restore or a boosted link replaces the whole page, so those get the full page.
    """
    htmx = request.htmx
    return (
        bool(htmx)
        and htmx.target == target_id
        and not (htmx.history_restore_request or htmx.boosted)
    )


@require_safe
def search_page(request: HtmxHttpRequest) -> HttpResponse:
    search_request = SearchForm(request.GET).search_request()
    result = run_search(search_request)
    context = search_context(search_request, result)
    if wants_fragment(request, "results"):
        context["partial"] = True
        response = render(request, "search/_results.html", context)
        # The form sends every field in form order, empty ones too; the address bar gets the
        # canonical URL instead, the same one a link to this state would have.
        response["HX-Push-Url"] = context["canonical_url"]
    else:
        response = render(request, "search/index.html", context)
    patch_vary_headers(response, HTMX_VARY)
    return response


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    dom_id: str


@dataclass
class FacetGroup:
    name: str
    title: str
    shown: list[FacetOption]
    folded: list[FacetOption]
    more: bool = False  # under the folded "More filters"


_DOM_ID_UNSAFE = re.compile(r"[^a-z0-9]+")


def _dom_id(name: str, value: str, taken: set[str]) -> str:
    """Stable ids such as facet-outcome-upheld, so focus survives a swap of the results pane."""
    base = f"facet-{name}-" + (_DOM_ID_UNSAFE.sub("-", value.lower()).strip("-") or "value")
    dom_id, n = base, 2
    while dom_id in taken:
        dom_id, n = f"{base}-{n}", n + 1
    taken.add(dom_id)
    return dom_id


def facet_groups(search_request: SearchRequest, facets: dict) -> list[FacetGroup]:
    groups = []
    taken: set[str] = set()
    for facet in FACETS:
        if facet.name not in facets:
            continue
        options = [
            FacetOption(
                value=v.value,
                label=v.label,
                count=v.count,
                selected=v.selected,
                dom_id=_dom_id(facet.name, v.value, taken),
            )
            for v in facets[facet.name]
        ]
        # Folding two values saves nothing; fold only when it hides a real tail.
        visible = FACET_VISIBLE if len(options) > FACET_VISIBLE + 2 else len(options)
        shown = [o for i, o in enumerate(options) if i < visible or o.selected]
        folded = [o for i, o in enumerate(options) if i >= visible and not o.selected]
        groups.append(FacetGroup(facet.name, facet.label, shown, folded, facet.more))
    return groups


# A shared or mangled link may repeat facet values by the thousand, and every chip carries the
# whole query string: past this many chips the rest are counted in one line, so the page grows
# with the URL and not with its square.
ACTIVE_FILTER_CHIPS = 20


class ActiveFilters(list):
    """The removable chips, plus what they leave out: `more` selected values that match items
    (kept in every link; untick them in the filters pane) and `unmatched` values that match no
    item here (left out of the links: a value with no items adds none to its facet's OR)."""

    more = 0
    unmatched = 0


def active_filters(search_request: SearchRequest, groups: list[FacetGroup]) -> ActiveFilters:
    """One removable chip per ticked facet value and per date range that is set, up to
    ACTIVE_FILTER_CHIPS; values that match items come first."""
    options = {(g.name, o.value): o for g in groups for o in g.shown}
    titles = {facet.name: facet.label for facet in FACETS}
    selected = [
        (name, value) for name, values in search_request.filters.items() for value in values
    ]
    matching = [pair for pair in selected if pair in options and options[pair].count]
    others = [pair for pair in selected if not (pair in options and options[pair].count)]
    chipped = (matching + others)[:ACTIVE_FILTER_CHIPS]
    kept = set(matching) | set(chipped)
    # Every chip's link is built from the values kept, so no link repeats the dropped ones.
    kept_request = dataclasses.replace(
        search_request,
        selections={
            name: tuple(value for value in values if (name, value) in kept)
            for name, values in search_request.filters.items()
        },
    )
    chips = ActiveFilters(
        {
            "title": titles[name],
            "label": options[(name, value)].label if (name, value) in options else value,
            "querystring": kept_request.with_facet_toggled(name, value),
        }
        for name, value in chipped
    )
    chips.more = max(0, len(matching) - ACTIVE_FILTER_CHIPS)
    chips.unmatched = len(selected) - len(kept)
    chips += [
        {
            "title": dates.label,
            "label": dates.summary,
            "querystring": kept_request.without_range(dates.prefix),
        }
        for dates in search_request.date_ranges
        if dates.is_set
    ]
    return chips


def pagination(search_request: SearchRequest, result: SearchResult) -> dict:
    """Links to the other pages of results: Django's Paginator numbers them and elides the far
    ones. A range as long as the total stands in for the hits, since only the page shown is
    fetched from the index."""
    paginator = Paginator(range(result.total), result.per_page)
    # A stale link may ask for a page past the end: it lists nothing, and links to the last.
    page = paginator.page(min(result.page, paginator.num_pages))
    links = [
        {"gap": True}
        if number == paginator.ELLIPSIS
        else {
            "number": number,
            "current": number == result.page,
            "querystring": search_request.with_page(number),
        }
        for number in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    return {
        "pages": paginator.num_pages,
        "first_rank": page.start_index(),
        "page_links": links if paginator.num_pages > 1 else [],
        "previous_page": (
            search_request.with_page(page.previous_page_number()) if page.has_previous() else ""
        ),
        "next_page": search_request.with_page(page.next_page_number()) if page.has_next() else "",
    }


def outcome_bar(breakdown, *, shown=None) -> dict:
    """The numbers the outcome bar draws; the SVG needs whole units out of 1000. With `shown`
    (the breakdown of the items listed when an Outcome is ticked) the bar draws `breakdown`,
    the same search without that selection, and says how many of its items are listed."""
    rate = 100 * breakdown.rate
    return {
        "shown": shown.total if shown is not None else None,
        "upheld": breakdown.upheld,
        "overturned": breakdown.overturned,
        "total": breakdown.total,
        "overturned_permille": round(10 * rate),
        "rate_percent": f"{rate:.1f}%" if 0 < rate < 10 else f"{rate:.0f}%",
    }


def search_context(search_request: SearchRequest, result: SearchResult) -> dict:
    groups = facet_groups(search_request, result.facets)
    querystring = search_request.querystring()
    return {
        "search_query": search_request.q,
        "sort": search_request.sort,
        "sort_options": SORT_OPTIONS,
        "querystring": querystring,
        "canonical_url": reverse("search") + (f"?{querystring}" if querystring else ""),
        "total": result.total,
        "page": result.page,
        **pagination(search_request, result),
        "hits": result.hits,
        "notices": result.notices,
        # A pasted text: the finder takes the same text on a page of its own.
        "finder_querystring": (
            urlencode({"text": search_request.q[:PRECEDENT_TEXT_MAX]}) if result.pasted else ""
        ),
        "breakdown": (
            outcome_bar(result.breakdown_before_outcome, shown=result.breakdown)
            if result.breakdown_before_outcome is not None
            else outcome_bar(result.breakdown)
        ),
        "facet_groups": [g for g in groups if not g.more],
        "more_facet_groups": [g for g in groups if g.more],
        "date_ranges": search_request.date_ranges,
        "more_filters_active": sum(r.is_set for r in search_request.date_ranges)
        + sum(len(search_request.selected(g.name)) for g in groups if g.more),
        "active_filters": active_filters(search_request, groups),
        "clear_filters_querystring": search_request.without_filters(),
        "is_blank": not search_request.q.strip() and not search_request.has_filters,
        "examples": [
            {"label": label, "querystring": urlencode(params or {"q": label})}
            for label, params in EXAMPLE_SEARCHES
        ],
        "csv_cap": f"{CSV_CAP:,}",
    }


# --- The precedent finder ----------------------------------------------------------------------


@require_safe
def precedents(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("text", "")[:PRECEDENT_TEXT_MAX]
    category = request.GET.get("category", "").strip()[:200]
    specialty = request.GET.get("specialty", "").strip()[:200]
    # The drop-downs offer the values that exist in the index, with their counts.
    everything = run_search(SearchRequest())
    context = dict(
        text=text,
        category=category,
        specialty=specialty,
        text_max=PRECEDENT_TEXT_MAX,
        category_options=_options(everything.facets.get("category", []), category),
        specialty_options=_options(everything.facets.get("specialty", []), specialty),
    )
    if text.strip():
        similar = similar_to_text(text, category=category or None, specialty=specialty or None)
        context.update(
            hits=similar.hits,
            notices=similar.notices,
            breakdown=outcome_bar(similar.breakdown),
            cited_sections=[
                {
                    "label": label,
                    "overturned": o,
                    "upheld": u,
                    "querystring": urlencode({"section": label}),
                }
                for label, o, u in similar.sections
            ],
        )
    response = render(request, "search/precedents.html", context)
    return response


def _options(values, current: str) -> list[tuple[str, str]]:
    options = [(v.value, f"{v.label} ({v.count})") for v in values]
    if current and current not in {value for value, _ in options}:
        options.append((current, current))
    return options


# --- CSV export --------------------------------------------------------------------------------

class _Echo:
    def write(self, value):
        return value


@require_safe
def search_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The search's items as CSV, in the page's order, up to CSV_CAP rows.

    One search gives the total, the facets and every row (as one page of CSV_CAP hits, without
    passages: the CSV has no passage column), rather than one search per page of 20.
    """
    search_request = SearchForm(request.GET).search_request()
    site_url = request.build_absolute_uri("/")[:-1]
    writer = csv.writer(_Echo())

    def rows():
        result = run_search(
            dataclasses.replace(search_request, page=1), per_page=CSV_CAP, passages=False
        )
        shown = min(result.total, CSV_CAP)
        # A comment line without commas or quotes, so readers that skip "#" lines can.
        yield (
            f"# IMR precedent search export: {shown} of {result.total} matching items;"
            f" capped at {CSV_CAP} rows per file; search /?{search_request.querystring()}\r\n"
        )
        yield writer.writerow(CSV_COLUMNS)
        for hit in result.hits[:shown]:
            yield writer.writerow(hit_as_csv_row(hit, site_url))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="imr-search.csv"'
    return response
