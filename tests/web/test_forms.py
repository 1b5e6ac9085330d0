"""search.web.forms.SearchForm: the URL schema. Every parameter read the way the pages, the API,
the feed and the CSV export read it; what cannot be used is ignored and said, never raised."""

from __future__ import annotations

from datetime import date

import pytest
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from search.searching import DATE_PARAMS, FACETS, SearchRequest
from search.web.forms import SearchForm


def read(query: str) -> SearchRequest:
    return SearchForm(QueryDict(query)).search_request()


def test_no_parameters_is_the_default_request():
    assert SearchForm(QueryDict("")).search_request() == SearchRequest()
    assert SearchForm().search_request() == SearchRequest()
    assert SearchForm({}).search_request() == SearchRequest()


def test_every_facet_and_date_is_a_field_in_notice_order():
    names = list(SearchForm().fields)
    assert names == ["q", *(f.name for f in FACETS), *DATE_PARAMS, "sort", "page"]
    for facet in FACETS:
        assert SearchForm().fields[facet.name].label == facet.label


def test_a_full_url_is_read_canonically():
    request = read(
        "q=lumbar+mri&outcome=OVERTURNED&outcome=upheld&outcome=upheld&specialty=psychiatry"
        "&priority=expedited&case_outcome=partial-overturn&category=pharmaceuticals"
        "&days_to_decision=8-14&year=2017&decided_from=01/31/2017&decided_to=2017-12-31"
        "&sort=NEWEST&page=3&unknown=1"
    )
    assert request == SearchRequest(
        q="lumbar mri",
        selections={
            "outcome": ("overturned", "upheld"),
            "specialty": ("Psychiatry",),
            "priority": ("Expedited",),
            "case_outcome": ("Partial Overturn",),
            "category": ("Pharmaceuticals",),
            "days_to_decision": ("8-14",),
            "year": ("2017",),
        },
        decided_from=date(2017, 1, 31),
        decided_to=date(2017, 12, 31),
        sort="newest",
        page=3,
    )
    assert request.notices == ()


def test_the_first_of_a_repeated_single_parameter_counts():
    request = read("q=first&q=second&sort=oldest&sort=newest&page=2&page=5")
    assert (request.q, request.sort, request.page) == ("first", "oldest", 2)
    # A date input left empty sends the parameter blank: the first filled one counts.
    assert read("decided_from=&decided_from=2017-01-31").decided_from == date(2017, 1, 31)


def test_a_plain_dict_reads_like_a_querydict():
    as_dict = SearchForm({"q": "pain", "outcome": ["upheld", "overturned"], "page": 2})
    as_query = SearchForm(QueryDict("q=pain&outcome=upheld&outcome=overturned&page=2"))
    assert as_dict.search_request() == as_query.search_request()


def test_what_was_ignored_is_said_in_parameter_order():
    request = read(
        "page=abc&sort=sideways&received_from=2017-02-01&received_to=2016-12-01"
        "&decided_from=2017-13-45&year=20x6&outcome=maybe&outcome=upheld"
    )
    assert request.notices == (
        'Ignored the unknown outcome "maybe".',
        'Ignored the unknown decision year "20x6".',
        'Ignored "2017-13-45" as the decision date from: use a date such as 2017-01-31.',
        "The application received range ended before it began: the two dates were swapped.",
        'Unknown sort "sideways": sorted by relevance.',
        '"abc" is not a page number: showing page 1.',
    )
    assert request.outcome == ("upheld",) and request.year == ()
    assert (request.received_from, request.received_to) == (date(2016, 12, 1), date(2017, 2, 1))
    assert request.decided_from is None
    assert (request.sort, request.page) == ("relevance", 1)


@pytest.mark.parametrize("page", ["0", "-5", "abc", "10001", "99999999999999999999", "1.5"])
def test_a_page_out_of_range_is_page_one_with_a_notice(page):
    request = read(f"page={page}")
    assert request.page == 1
    assert request.notices == (f'"{page}" is not a page number: showing page 1.',)


def test_blank_values_are_no_values():
    assert read("q=&page=+&sort=&decided_from=+&outcome=&outcome=%20") == SearchRequest()


def test_facet_values_lose_control_characters_and_overlong_ones_are_ignored():
    request = read("section=%00MTUS%1B%20%20%3E%20Chronic%20Pain&guideline=" + "x" * 301)
    assert request.section == ("MTUS > Chronic Pain",)
    assert request.guideline == ()
    assert request.notices == (f'Ignored the unknown guideline "{"x" * 60}".',)


def test_a_long_query_is_cut_without_a_notice():
    request = read("q=" + "a" * 20_000)
    assert len(request.q) == 10_000 and request.notices == ()


PARAMETER_NAMES = st.sampled_from(
    ["q", *(f.name for f in FACETS), *DATE_PARAMS, "sort", "page", "other"]
)
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["2017-01-31", "01/31/2017", "upheld", "newest", "3", "8-14", "Standard"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(PARAMETER_NAMES, VALUES), max_size=12))
def test_any_parameters_give_a_request_and_never_raise(pairs):
    query = QueryDict(mutable=True)
    for name, value in pairs:
        query.appendlist(name, value)
    request = SearchForm(query).search_request()
    assert 1 <= request.page <= 10_000
    assert request.sort in ("relevance", "newest", "oldest")
    for r in request.date_ranges:
        assert not (r.start and r.end and r.start > r.end)
    # What the form gives, written back as a URL, reads back the same and without notices.
    again = SearchForm(QueryDict(request.querystring())).search_request()
    assert again == SearchRequest(**{**request.__dict__, "notices": ()})
