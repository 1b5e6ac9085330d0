"""Hostile input through the pages and the API: every answer is a page (or JSON) with a notice,
never a server error, the answer is the real one (a search that is down answers every query
with nothing, which must fail here), and the query language survives fuzzing."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.hostile import BAD_PARAMETERS, HOSTILE_QUERIES
from search.engine.analysis import ABBREVIATIONS, MAX_TERMS
from search.engine.query import parse_user_query
from search.models import Determination
from search.searching import run_search
from search.web.forms import SearchForm
from tests.search_support import (
    assert_answered_from_the_index,
    assert_the_index_answers,
    every_item_count,
    search_total,
)

ONLY_MARK_TAGS = re.compile(r"<(?!/?mark>)[^>]*>")
TOTAL_ON_PAGE = re.compile(r'class="results-total"[^>]*><strong>([\d,]+)</strong>')

# Queries that would ask the index for a lot; the parser bounds them (at most MAX_TERMS
# different words, a repeat searched once) so that none runs into the search time limit.
_WORDS = [f"word{n}" for n in range(200)]
EXPENSIVE_QUERIES = [
    " ".join(_WORDS),
    " OR ".join(_WORDS[:60]),
    " OR ".join(list(ABBREVIATIONS)[: MAX_TERMS + 5]),
    " OR ".join([f"{w[:3]}*" for w in ("therapy", "patient", "medical", "request", "pain")] * 9),
    "(knee OR brace) " * 30,
    " ".join(f"(w{a} OR w{b})" for a in range(9) for b in range(a + 1, 9)),
    '"physical therapy" ' * 25,
    "MRI mri Mri mris " * 600,
    "-" + " -".join(_WORDS),
]

ALL_QUERIES = HOSTILE_QUERIES + EXPENSIVE_QUERIES

# What each hostile query must be searched as, so its answer can be checked: the plain query it
# means (whose total must be above 0 on the sample letters), EVERY_ITEM when nothing in it can be
# searched for (every item matches, as many as the database holds), or NOTHING when its words
# are in no sample letter (then the index must still answer other searches). A query of several
# words that no item has all of is answered by soft matching: the items that have any of them.
EVERY_ITEM = ""
NOTHING = None
SEARCHED_AS: dict[str, str | None] = {
    '"unbalanced': NOTHING,
    "((((knee": "knee",
    "knee))))": "knee",
    "NOT NOT NOT": EVERY_ITEM,
    "OR OR": EVERY_ITEM,
    "AND": EVERY_ITEM,
    "-": EVERY_ITEM,
    "(" * 500 + "mri" + ")" * 500: "mri",
    # No item has every word: soft matching lists the items that have any (as an OR would).
    "unknownfield:value": "unknownfield OR value",
    "request:": EVERY_ITEM,
    ":::": EVERY_ITEM,
    "*": EVERY_ITEM,
    "*therapy": "therapy",
    "?x": "x",
    "a*": EVERY_ITEM,
    "x" * 10_000: NOTHING,
    "mri " * 2_000: "mri",
    "knee\x00brace": "knee brace",
    "\x01\x02\x03\x1b[31m": NOTHING,
    "\u202eemosewa\u202c": NOTHING,
    "zero\u200bwidth\u200djoin": NOTHING,
    "'; DROP TABLE search_letter; --": "drop OR table OR search_letter",
    "1 OR 1=1": "1",
    # "<script>alert" is one word of two terms, searched as the phrase "script alert".
    "<script>alert(1)</script>": '"script alert" OR 1 OR script',
    '"><img src=x onerror=alert(1)>': "img OR src OR x OR onerror OR alert OR 1",
    "javascript:alert(1)": "javascript OR alert OR 1",
    "{{ 7*7 }}": "7",
    "%00%ff": NOTHING,
    "\ud7ff\ue000\uffff": EVERY_ITEM,
    "🙂 therapy": "therapy",
    # EXPENSIVE_QUERIES
    " ".join(_WORDS): NOTHING,
    " OR ".join(_WORDS[:60]): NOTHING,
    " OR ".join(list(ABBREVIATIONS)[: MAX_TERMS + 5]): " OR ".join(list(ABBREVIATIONS)[:MAX_TERMS]),
    " OR ".join([f"{w[:3]}*" for w in ("therapy", "patient", "medical", "request", "pain")] * 9): (
        "the* OR pat* OR med* OR req* OR pai*"
    ),
    "(knee OR brace) " * 30: "knee OR brace",
    " ".join(f"(w{a} OR w{b})" for a in range(9) for b in range(a + 1, 9)): NOTHING,
    '"physical therapy" ' * 25: '"physical therapy"',
    "MRI mri Mri mris " * 600: "mri",
    # Over 500 characters: searched as plain words, so the minus signs are dropped.
    "-" + " -".join(_WORDS): NOTHING,
}


def expected_total(query: str) -> int:
    """The total the sample index must answer for a hostile query, worked out another way."""
    meaning = SEARCHED_AS[query]
    if meaning is NOTHING:
        assert_the_index_answers()
        return 0
    if meaning == EVERY_ITEM:
        return every_item_count()
    total = search_total({"q": meaning})
    assert total > 0, f"{meaning!r} finds nothing in the sample letters: the search is down"
    return total


def test_every_hostile_query_says_what_it_must_be_searched_as():
    assert set(SEARCHED_AS) == set(ALL_QUERIES)


def assert_safe_snippets(results):
    for hit in results:
        html = hit["snippet_html"] if isinstance(hit, dict) else hit.snippet_html
        assert not ONLY_MARK_TAGS.search(html), html


def total_on_page(response) -> int:
    """The count the results pane shows; it shows none when nothing matched."""
    match = TOTAL_ON_PAGE.search(response.content.decode())
    return int(match.group(1).replace(",", "")) if match else 0


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_queries_answered_by_page_and_api(client, corpus, query):
    started = time.monotonic()
    page = client.get("/", {"q": query})
    api = client.get("/api/search", {"q": query})
    elapsed = time.monotonic() - started
    assert page.status_code == 200
    assert api.status_code == 200
    assert_safe_snippets(api.json()["results"])
    assert "<script>alert(1)</script>" not in page.content.decode()
    assert "took too long" not in (api.json()["notice"] or "")
    # A generous bound for both requests: a runaway parse or scan would take far longer.
    assert elapsed < 10, elapsed
    expected = expected_total(query)
    assert api.json()["total"] == expected
    assert total_on_page(page) == expected


@pytest.mark.parametrize("query", ALL_QUERIES, ids=range(len(ALL_QUERIES)))
def test_hostile_queries_are_answered_within_the_search_time_limit(corpus, query):
    # The bound is the search's own time limit (a timed-out search says so), not a wall-clock
    # figure that a busy machine would break: speed is measured by manage.py bench.
    result = run_search(SearchForm({"q": [query]}).search_request())
    assert not result.timed_out, result.notices
    parsed = parse_user_query(query)
    # Whatever was dropped or changed is said.
    if parsed.fallback or len(set(query.split())) > MAX_TERMS:
        assert parsed.notices
    assert result.total == expected_total(query)


@pytest.mark.parametrize("params", BAD_PARAMETERS)
def test_bad_parameters_get_a_notice(client, corpus, params):
    response = client.get("/api/search", params)
    assert response.status_code == 200
    assert response.json()["notice"]
    # Each bad value is dropped or reset, which leaves a search for every item.
    assert response.json()["total"] == every_item_count()


def test_a_parameter_repeated_a_thousand_times(client, corpus):
    query = urlencode([("outcome", "upheld")] * 1000 + [("specialty", "Psychiatry")] * 1000)
    specialties = Determination.objects.filter(outcome="upheld").values_list(
        "letter__specialties", flat=True
    )
    expected = sum("Psychiatry" in names for names in specialties)
    assert expected > 0
    for url in ("/", "/api/search", "/feeds/search/", "/export/search.csv"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200, url
    assert client.get(f"/api/search?{query}").json()["total"] == expected
    many = urlencode([("specialty", f"Specialty {n}") for n in range(1000)])
    answer = client.get(f"/api/search?{many}")
    assert answer.status_code == 200
    assert "specialty" in answer.json()["notice"].lower()
    assert answer.json()["total"] == every_item_count()


QUERY_ALPHABET = st.sampled_from(
    [
        "mri", "knee", "therapy", "cbt", "cm16-0219557", "OR", "AND", "NOT", "-", "(", ")",
        '"', "*", "?", ":", "request:", "case:", "rationale:", " ", "\x00", "\u200b", "\u202e",
        "é", "<", ">", "&", "\\", "/", "'", "~", "^", "[", "]", "{", "}",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(QUERY_ALPHABET, max_size=40).map("".join))
def test_query_language_fuzz_never_raises(text):
    parsed = parse_user_query(text)
    assert isinstance(parsed.notices, list)
    if parsed.query is None and not parsed.case_query and any(ch.isalnum() for ch in text):
        # Nothing searchable although words were typed: the user is told why.
        assert parsed.notices


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.one_of(st.lists(QUERY_ALPHABET, max_size=25).map("".join), st.text(max_size=60)))
def test_search_fuzz_over_the_sample_index(corpus, text):
    result = run_search(SearchForm({"q": [text]}).search_request())
    assert_answered_from_the_index(text, result)
    assert_safe_snippets(result.hits)
