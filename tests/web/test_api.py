"""The JSON API: the documented shape, the same parameters as the page, never a 500."""

from __future__ import annotations

import re

import pytest

from search.models import Determination, Letter
from search.searching import SearchRequest, run_search
from tests.search_support import search_total

RESULT_KEYS = {
    "letter_id",
    "case_number",
    "decision_date",
    "ordinal",
    "request",
    "outcome",
    "case_outcome",
    "specialties",
    "guidelines",
    "snippet_html",
    "url",
    "reasons",
    "request_size",
}


def test_search_json_shape(client, corpus):
    data = client.get("/api/search").json()
    assert set(data) >= {
        "query",
        "total",
        "page",
        "pages",
        "notice",
        "results",
        "facets",
        "breakdown",
    }
    assert data["total"] == Determination.objects.count()
    assert data["query"] == "" and data["page"] == 1
    assert len(data["results"]) == 20
    assert set(data["results"][0]) == RESULT_KEYS
    assert set(data["facets"]) >= {
        "outcome",
        "specialty",
        "source",
        "guideline",
        "section",
        "page_cited",
        "category",
        "year",
        "priority",
    }
    assert set(data["facets"]["outcome"][0]) == {"value", "label", "count", "selected"}
    upheld = Determination.objects.filter(outcome="upheld").count()
    overturned = Determination.objects.filter(outcome="overturned").count()
    assert data["breakdown"]["upheld"] == upheld
    assert data["breakdown"]["overturned"] == overturned
    assert data["breakdown"]["overturn_rate"] == pytest.approx(
        overturned / (upheld + overturned), abs=1e-4
    )


def test_search_with_query_and_repeated_facets(client, corpus):
    data = client.get("/api/search?q=therapy&outcome=upheld&outcome=overturned&sort=newest").json()
    assert data["query"] == "therapy"
    assert 0 < data["total"]
    assert all(v["selected"] for v in data["facets"]["outcome"])
    dates = [r["decision_date"] for r in data["results"] if r["decision_date"]]
    assert dates == sorted(dates, reverse=True)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", dates[0])


def test_overturned_only(client, corpus):
    data = client.get("/api/search", {"outcome": "overturned"}).json()
    assert data["total"] == Determination.objects.filter(outcome="overturned").count()
    assert {r["outcome"] for r in data["results"]} == {"overturned"}


def test_letter_json_and_404(client, corpus):
    letter = Letter.objects.exclude(case_number=None).first()
    data = client.get(f"/api/letters/{letter.public_id}").json()
    assert data["id"] == letter.public_id
    assert len(data["determinations"]) == letter.determinations.count()
    response = client.get("/api/letters/CM00-0000000")
    assert response.status_code == 404
    assert response.json()["error"] == "not found"


def test_similar_items(client, corpus):
    item = Determination.objects.select_related("letter").order_by("pk").first()
    response = client.get(f"/api/letters/{item.letter.public_id}/items/{item.ordinal}/similar")
    assert response.status_code == 200
    data = response.json()
    assert data["results"] and set(data["results"][0]) == RESULT_KEYS
    assert all(r["letter_id"] != item.letter.public_id for r in data["results"])
    assert client.get("/api/letters/nope/items/1/similar").status_code == 404


@pytest.mark.parametrize(
    "query, searched_as",
    [
        ("q=%00", {}),
        ("q=%22", {}),
        ("q=((((((((((", {}),
        ("q=*&page=-1", {}),
        ("page=abc&sort=%3Cscript%3E", {}),
        ("outcome=%F0%9F%99%82", {}),
        ("specialty=" + "x" * 4000, {}),
        ("q=" + "knee+" * 3000, {"q": "knee"}),
        ("year=abcd&priority=%00", {}),
        ("q=%ED%A0%80", {}),
        ("section=%1B%5B31m", {}),
    ],
)
def test_hostile_parameters_never_500(client, corpus, query, searched_as):
    response = client.get("/api/search?" + query)
    assert response.status_code == 200
    data = response.json()
    # What is bad is dropped: the answer is that of the search without it, which finds items
    # in the sample letters (a search that is down finds none).
    assert data["total"] == search_total(searched_as) > 0
    for result in data["results"]:
        assert not re.search(r"<(?!/?mark>)[^>]*>", result["snippet_html"])


def test_post_is_not_allowed(client, corpus):
    assert client.post("/api/search").status_code == 405


PASTED_DENIAL = (
    "Utilization review: the request for physical therapy twice a week for 6 weeks for the "
    "lumbar spine is non-certified. Per MTUS, 9 to 10 visits over 8 weeks are supported, and "
    "the records do not document functional improvement from the prior sessions."
)


def test_precedents_json_is_the_finder_with_search_shaped_results(client, corpus):
    response = client.get("/api/precedents", {"text": PASTED_DENIAL})
    assert response.status_code == 200
    data = response.json()
    search_keys = set(client.get("/api/search", {"q": "therapy"}).json()["results"][0])
    assert data["results"] and set(data["results"][0]) == search_keys
    assert data["total"] == len(data["results"])
    # The treatment is what ranks: the closest precedent is a therapy request.
    assert re.search(r"therap|\bPT\b", data["results"][0]["request"], re.IGNORECASE)
    assert not {"6", "10", "mtus", "request"} & set(data["terms"])
    breakdown = data["breakdown"]
    assert breakdown["upheld"] + breakdown["overturned"] >= len(data["results"])
    for row in data["cited_sections"]:
        assert set(row) == {"section", "overturned", "upheld"} and row["section"]


def test_precedents_json_narrows_to_a_category_and_says_when_there_is_no_text(client, corpus):
    category = client.get("/api/search").json()["facets"]["category"][0]["value"]
    data = client.get("/api/precedents", {"text": PASTED_DENIAL, "category": category}).json()
    in_category = run_search(SearchRequest(selections={"category": (category,)}), per_page=1000)
    ids = {hit.item_id for hit in in_category.hits}
    assert data["results"]
    assert {f"{hit['letter_id']}#{hit['ordinal']}" for hit in data["results"]} <= ids
    empty = client.get("/api/precedents", {"text": "  "}).json()
    assert empty["results"] == [] and "Paste" in empty["notice"]
