"""Search over the sample letters: totals, facets, multi-select, sorting, paging, lookups."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.urls import reverse, set_script_prefix

from search.models import Citation, Determination, Letter
from search.searching import (
    FACET_NAMES,
    PER_PAGE,
    item_url,
    run_search,
    similar_to_item,
    similar_to_text,
)
from search.web.forms import SearchForm
from tests.search_support import store_hand_letter

ONLY_MARK_TAGS = re.compile(r"<(?!/?mark>)[^>]*>")


def search(**params) -> object:
    return run_search(SearchForm(params).search_request())


def facet_counts(result, name: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[name]}


def test_empty_query_matches_every_item(corpus):
    result = search()
    assert result.total == Determination.objects.count() > 0
    assert result.pages == -(-result.total // PER_PAGE)
    assert len(result.hits) == min(PER_PAGE, result.total)
    assert result.notice is None


def test_outcome_facet_and_breakdown_match_the_database(corpus):
    result = search()
    upheld = Determination.objects.filter(outcome="upheld").count()
    overturned = Determination.objects.filter(outcome="overturned").count()
    assert facet_counts(result, "outcome") == {"upheld": upheld, "overturned": overturned}
    assert (result.breakdown.upheld, result.breakdown.overturned) == (upheld, overturned)
    assert result.breakdown.rate == pytest.approx(overturned / (upheld + overturned))


def test_category_year_and_specialty_facets_match_the_database(corpus):
    result = search()
    categories = Counter()
    for category, subcategory in Determination.objects.values_list(
        "treatment_category", "treatment_subcategory"
    ):
        categories[category or "Other"] += 1
        if subcategory:
            categories[f"{category or 'Other'} > {subcategory}"] += 1
    expected = dict(sorted(categories.items(), key=lambda p: (-p[1], p[0].lower()))[:50])
    assert facet_counts(result, "category") == expected

    years = Counter(
        str(d.year)
        for d in Determination.objects.values_list("letter__decision_date", flat=True)
        if d
    )
    assert facet_counts(result, "year") == dict(years)

    specialties = Counter()
    for letter_specialties in Determination.objects.values_list("letter__specialties", flat=True):
        specialties.update(set(letter_specialties))
    expected = dict(sorted(specialties.items(), key=lambda p: (-p[1], p[0].lower()))[:50])
    assert facet_counts(result, "specialty") == expected


def test_source_facet_counts_items_by_the_reviewers_citations(corpus):
    per_item: dict[int, set[str]] = {}
    for pk in Determination.objects.values_list("pk", flat=True):
        per_item[pk] = set()
    for pk, source in Citation.objects.filter(party=Citation.IMR).values_list(
        "determination_id", "source"
    ):
        per_item[pk].add(source)
    expected = Counter()
    for sources in per_item.values():
        expected.update(sources or {"None"})
    assert facet_counts(search(), "source") == dict(expected)


def test_two_values_of_one_facet_combine_with_or(corpus):
    both = search(outcome=["upheld", "overturned"])
    assert both.total == Determination.objects.count()
    assert [v.selected for v in both.facets["outcome"]] == [True, True]


def test_a_facet_is_counted_without_its_own_selection(corpus):
    result = search(outcome="overturned")
    overturned = Determination.objects.filter(outcome="overturned").count()
    assert result.total == overturned
    counts = facet_counts(result, "outcome")
    assert counts["upheld"] == Determination.objects.filter(outcome="upheld").count()
    assert counts["overturned"] == overturned
    assert all(hit.outcome == "overturned" for hit in result.hits)


def test_different_facets_combine_with_and(corpus):
    specialty = facet_counts(search(), "specialty")
    name = next(iter(specialty))
    result = search(outcome="upheld", specialty=name)
    expected = sum(
        1
        for outcome, specialties in Determination.objects.values_list(
            "outcome", "letter__specialties"
        )
        if outcome == "upheld" and name in specialties
    )
    assert result.total == expected
    # The specialty facet, counted without its own selection, equals the upheld-only counts.
    assert (
        facet_counts(result, "specialty")[name]
        == facet_counts(search(outcome="upheld"), "specialty")[name]
    )
    # The outcome facet is counted within the specialty.
    assert sum(facet_counts(result, "outcome").values()) == specialty[name]


def test_facet_counts_follow_the_query(corpus):
    result = search(q="acupuncture")
    assert 0 < result.total < Determination.objects.count()
    assert sum(facet_counts(result, "outcome").values()) == result.total


def test_sort_newest_and_oldest_by_decision_date(corpus):
    newest = [h.decision_date for h in search(sort="newest").hits]
    oldest = [h.decision_date for h in search(sort="oldest").hits]
    dated = [d for d in newest if d]
    assert dated == sorted(dated, reverse=True)
    latest = Letter.objects.exclude(decision_date=None).order_by("-decision_date").first()
    assert newest[0] == latest.decision_date
    oldest_dated = [d for d in oldest if d]
    assert oldest_dated == sorted(oldest_dated)


def test_sort_applies_to_a_query_too(corpus):
    hits = search(q="physical therapy", sort="newest").hits
    dates = [h.decision_date for h in hits if h.decision_date]
    assert dates == sorted(dates, reverse=True)


def test_paging_covers_every_item_once(corpus):
    first = search()
    seen = []
    for page in range(1, first.pages + 1):
        seen.extend(h.item_id for h in search(page=str(page)).hits)
    assert len(seen) == len(set(seen)) == first.total


def test_paging_past_the_end_is_empty_not_an_error(corpus):
    result = search(page="999")
    assert result.hits == []
    assert result.total == Determination.objects.count()
    assert result.page == 999


@pytest.mark.parametrize("form", ["{n}", "{lower}", "{compact}", "{spaced}", "case:{n}"])
def test_case_number_lookup_in_several_forms(corpus, form):
    letter = Letter.objects.exclude(case_number=None).order_by("public_id").first()
    number = letter.case_number
    text = form.format(
        n=number,
        lower=number.lower(),
        compact=number.replace("-", ""),
        spaced=number.lower().replace("-", " "),
    )
    result = search(q=text)
    items = letter.determinations.count()
    assert result.total >= items
    assert [h.letter_id for h in result.hits[:items]] == [letter.public_id] * items


def test_case_number_with_words_lists_the_letter_first(corpus):
    letter = Letter.objects.exclude(case_number=None).order_by("-public_id").first()
    result = search(q=f"{letter.case_number} therapy")
    assert result.hits[0].letter_id == letter.public_id


def _items_containing(phrase: str) -> set[str]:
    pattern = re.compile(phrase, re.I)
    found = set()
    for public_id, ordinal, request, rationale, summary in Determination.objects.values_list(
        "letter__public_id", "ordinal", "request", "rationale", "letter__summary"
    ):
        if pattern.search(" ".join((request, rationale, summary))):
            found.add(f"{public_id}#{ordinal}")
    return found


def _all_ids(**params) -> set[str]:
    first = search(**params)
    ids = {h.item_id for h in first.hits}
    for page in range(2, first.pages + 1):
        ids |= {h.item_id for h in search(page=str(page), **params).hits}
    return ids


def test_cbt_finds_cognitive_behavioral_therapy_and_back(corpus):
    spelled = _items_containing(r"cognitive\s+behavio(u)?ral\s+therap")
    abbreviated = _items_containing(r"\bCBT\b")
    assert spelled, "the samples mention cognitive behavioral therapy"
    assert spelled | abbreviated <= _all_ids(q="CBT")
    assert spelled | abbreviated <= _all_ids(q="cognitive behavioral therapy")


def test_physical_therapy_and_pt(corpus):
    spelled = _items_containing(r"physical\s+therapy")
    assert spelled <= _all_ids(q="PT")


def test_words_must_all_match_and_or_widens(corpus):
    both = search(q="lumbar mri").total
    lumbar = search(q="lumbar").total
    either = search(q="lumbar OR cervical").total
    assert both <= lumbar <= either
    assert search(q="lumbar -lumbar").total == 0


def test_hits_carry_the_documented_fields(corpus):
    hit = search(q="acupuncture").hits[0]
    assert hit.letter_id and hit.ordinal >= 1
    assert hit.url == f"/letters/{hit.letter_id}/#item-{hit.ordinal}"
    assert hit.outcome in ("upheld", "overturned")
    assert isinstance(hit.specialties, list) and isinstance(hit.guidelines, list)
    assert "<mark>" in hit.snippet_html
    assert not ONLY_MARK_TAGS.search(hit.snippet_html)


def test_unknown_facet_values_are_ignored_with_a_notice(corpus):
    result = search(specialty="Astrology", outcome="maybe")
    assert result.total == Determination.objects.count()
    assert "Astrology" in result.notice and "maybe" in result.notice


def test_similar_to_item_ranks_the_same_category_first(corpus):
    item = (
        Determination.objects.exclude(treatment_category__in=["", "Other"])
        .order_by("letter__public_id", "ordinal")
        .select_related("letter")
        .first()
    )
    result = similar_to_item(item.letter.public_id, item.ordinal, limit=10)
    assert result.hits
    assert all(h.letter_id != item.letter.public_id for h in result.hits)
    categories = [h.category for h in result.hits]
    same = [c == item.treatment_category for c in categories]
    # Every same-category hit comes before any other.
    assert same == sorted(same, reverse=True)
    assert same[0]


def test_similar_to_unknown_item_is_not_found(corpus):
    assert similar_to_item("nope", 1).found is False


def test_similar_to_text_gives_hits_breakdown_and_sections(corpus):
    text = (
        "Utilization review denied the request for lumbar MRI. The patient has low back pain "
        "radiating to the leg without red flags or progressive neurologic deficit."
    )
    result = similar_to_text(text, limit=5)
    assert 0 < len(result.hits) <= 5
    assert result.breakdown.upheld + result.breakdown.overturned >= len(result.hits)
    assert all(len(row) == 3 for row in result.sections)
    assert "lumbar" in result.terms or "mri" in result.terms


@pytest.mark.django_db
def test_snippets_escape_letter_text():
    store_hand_letter(
        "CM16-0000001",
        [("Tramadol 50mg", "upheld", "Opioids <script>alert(1)</script> are not indicated.")],
    )
    from search.indexing import sync_pending

    sync_pending()
    hit = search(q="opioids").hits[0]
    assert "&lt;script&gt;" in hit.snippet_html
    assert "<script>" not in hit.snippet_html
    assert "<mark>Opioids</mark>" in hit.snippet_html


def test_search_request_parameters_round_trip_in_a_stable_order():
    a = SearchForm(
        {"specialty": ["B", "A"], "q": ["knee"], "outcome": ["overturned"], "page": ["2"]}
    ).search_request()
    b = SearchForm(
        {"outcome": ["overturned"], "page": ["2"], "specialty": ["A", "B"], "q": ["knee"]}
    ).search_request()
    assert a == b
    assert (
        a.querystring()
        == b.querystring()
        == "q=knee&outcome=overturned&specialty=A&specialty=B&page=2"
    )
    toggled = a.with_facet_toggled("outcome", "upheld")
    assert toggled == "q=knee&outcome=overturned&outcome=upheld&specialty=A&specialty=B"
    assert a.with_facet_toggled("specialty", "A") == "q=knee&outcome=overturned&specialty=B"
    assert a.with_page(3).endswith("page=3")
    assert SearchForm({}).search_request().querystring() == ""


@pytest.mark.parametrize(
    "params, page, sort",
    [
        ({"page": ["0"]}, 1, "relevance"),
        ({"page": ["-5"]}, 1, "relevance"),
        ({"page": ["abc"]}, 1, "relevance"),
        ({"page": ["99999999999999999999"]}, 1, "relevance"),
        ({"sort": ["sideways"]}, 1, "relevance"),
        ({"sort": ["NEWEST"]}, 1, "newest"),
    ],
)
def test_bad_page_and_sort_become_defaults_with_a_notice(params, page, sort):
    request = SearchForm(params).search_request()
    assert (request.page, request.sort) == (page, sort)
    if params.get("sort") != ["NEWEST"]:
        assert request.notices


def test_every_facet_is_a_parameter():
    request = SearchForm({name: ["x"] for name in FACET_NAMES}).search_request()
    for name in FACET_NAMES:
        fixed_values = ("outcome", "year", "priority", "case_outcome", "reason", "sessions")
        if name not in fixed_values and not name.startswith(
            "days_"
        ):
            assert request.selected(name) == ("x",)


def test_the_backend_comes_from_settings(settings, tmp_path):
    from pathlib import Path

    from benchmarks.peers.fts5 import Fts5Backend
    from search.backends import get_backend
    from search.engine.whoosh.backend import WhooshBackend

    backend = get_backend()
    assert isinstance(backend, WhooshBackend)
    assert backend.path == Path(settings.SEARCH_INDEX_DIR)  # read at call time
    settings.SEARCH_TIME_LIMIT_SECONDS = 0.75
    assert get_backend().time_limit == 0.75
    settings.SEARCH_BACKENDS = {
        "default": {
            "BACKEND": "search.engine.whoosh.backend.WhooshBackend",
            "PATH": tmp_path / "elsewhere",
            "TIME_LIMIT_SECONDS": 0.5,
        },
        "peer": {"BACKEND": "benchmarks.peers.fts5.Fts5Backend", "PATH": tmp_path / "fts5"},
    }
    backend = get_backend()
    assert backend.path == tmp_path / "elsewhere" and backend.time_limit == 0.5
    assert isinstance(get_backend("peer"), Fts5Backend)
    with pytest.raises(KeyError):
        get_backend("missing")

def test_item_urls_come_from_the_urlconf():
    assert item_url("CM16-0213037", 2) == reverse("letter", args=["CM16-0213037"]) + "#item-2"
    assert item_url("a b", 1) == reverse("letter", args=["a b"]) + "#item-1"
    set_script_prefix("/imr/")  # a site served under a path
    try:
        assert item_url("t-0123456789abcdef", 1) == "/imr/letters/t-0123456789abcdef/#item-1"
    finally:
        set_script_prefix("/")
