"""Relevance on the real letters: each failure class of plain word search, as users meet it.

The expectations are stated about the hits' own request text (what the attorney reads), never
as fixed item ids, so they hold for any letters that have such requests; each test first checks
that the sample letters have what it looks for.
"""

from __future__ import annotations

import re

import pytest

from search.engine import vocabulary
from search.engine.contract import SOFT_MATCH_BELOW
from search.engine.whoosh import execution
from search.models import Determination
from search.searching import SearchRequest, run_search, similar_to_text


def requests_naming(pattern: str) -> int:
    """How many stored items' requests match `pattern` (the letters must hold some)."""
    rx = re.compile(pattern, re.IGNORECASE)
    requests = Determination.objects.values_list("request", flat=True)
    return sum(bool(rx.search(r or "")) for r in requests)


def top_requests(q: str, count: int = 5) -> list[str]:
    return [hit.request for hit in run_search(SearchRequest(q=q)).hits[:count]]


def names_of(generic: str) -> str:
    names = sorted(vocabulary.names_of_generic(generic), key=len, reverse=True)
    return r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b"


def names_in_class(key: str) -> str:
    """Every name of every member of a drug class, as a pattern."""
    _label, _words, members = vocabulary.DRUG_CLASSES[key]
    names = {n for m in members for n in (m, *vocabulary.names_of_generic(m))}
    names = sorted(names, key=len, reverse=True)
    return r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b"


@pytest.mark.parametrize("generic", ["hydrocodone", "cyclobenzaprine", "omeprazole", "gabapentin"])
def test_a_generic_name_finds_requests_under_their_brand_names(corpus, generic):
    pattern = names_of(generic)
    if not requests_naming(pattern):
        pytest.skip(f"no request for {generic} in the sample letters")
    assert re.search(pattern, top_requests(generic, 1)[0], re.IGNORECASE)


@pytest.mark.parametrize(
    ("query", "pattern"),
    [
        ("muscle relaxant", names_in_class("muscle_relaxant")),
        ("anti-inflammatory", names_in_class("nsaid")),
        ("neck MRI", r"mri.*cervical|cervical.*mri"),
        ("cold therapy unit", r"cold|cryo|vascutherm"),
        ("back brace", r"(?:lumbar|back).*(?:support|orthosis|brace)|\blso\b"),
        ("chiro", r"chiropract|manipulation"),
    ],
)
def test_class_and_lay_words_reach_the_requests_that_use_the_letters_words(
    corpus, query, pattern
):
    if not requests_naming(pattern):
        pytest.skip(f"no request matching {pattern!r} in the sample letters")
    top = top_requests(query, 3)
    assert top and re.search(pattern, top[0], re.IGNORECASE), top


@pytest.mark.parametrize("query", ["cold therapy unit after surgery", "chiro low back",
                                   "ultram 50mg for back pain flare"])
def test_a_natural_query_never_answers_zero_when_its_words_are_in_the_letters(corpus, query):
    result = run_search(SearchRequest(q=query))
    assert result.total > 0 and result.hits


def test_items_that_match_every_word_come_before_those_that_match_most(corpus, monkeypatch):
    monkeypatch.setattr(execution, "SOFT_MATCH_BELOW", 0)
    for text in ("knee mri contrast", "shoulder arthroscopy", "knee arthroscopy", "cervical mri"):
        query = SearchRequest(q=text)
        exact = run_search(query, per_page=100)
        if 0 < exact.total < 10:
            break
    else:
        pytest.skip("no query with 1 to 9 exact matches in the sample letters")
    monkeypatch.undo()
    soft = run_search(query, per_page=100)
    assert 0 < exact.total < SOFT_MATCH_BELOW < soft.total
    assert {h.item_id for h in soft.hits[: exact.total]} == {h.item_id for h in exact.hits}
    assert any(f"Only {exact.total} item" in notice for notice in soft.notices)


def test_a_drug_named_only_in_a_case_summary_ranks_below_requests_for_it(corpus):
    pattern = names_of("hydrocodone")
    hits = run_search(SearchRequest(q="hydrocodone")).hits
    own = [bool(re.search(pattern, h.request, re.IGNORECASE)) for h in hits]
    if not any(own):
        pytest.skip("no request for hydrocodone in the sample letters")
    # Every item whose own request names the drug comes before every item that does not.
    assert own == sorted(own, reverse=True), [h.request[:40] for h in hits]


PASTED = (
    "Request for authorization: Norco 10/325 mg one tablet by mouth every 6 hours as needed "
    "for pain, #120, 2 refills. The patient reports pain of 7/10 without medication and 4/10 "
    "with it, and is able to do light housework. Medically necessary per MTUS guidelines."
)


def test_a_request_pasted_into_the_search_box_is_ranked_as_the_finder_ranks_it(corpus):
    if not requests_naming(names_of("hydrocodone")):
        pytest.skip("no request for hydrocodone in the sample letters")
    result = run_search(SearchRequest(q=PASTED))
    assert result.pasted and result.total > 0
    assert any("pasted" in notice for notice in result.notices)
    assert re.search(names_of("hydrocodone"), result.hits[0].request, re.IGNORECASE)


def test_the_finder_weighs_the_treatment_over_quantities_and_boilerplate(corpus):
    if not requests_naming(names_of("hydrocodone")):
        pytest.skip("no request for hydrocodone in the sample letters")
    found = similar_to_text(PASTED, limit=5)
    opioids = r"|".join(names_of(g) for g in ("hydrocodone", "oxycodone", "tramadol"))
    assert re.search(opioids, found.hits[0].request, re.IGNORECASE)
    assert not {"10", "325", "120", "pain", "request", "medically"} & set(found.terms)


def test_prothrombin_time_is_never_physical_therapy(corpus):
    if not requests_naming(r"\bPT\s*/\s*(?:PTT|INR)"):
        pytest.skip("no PT/PTT lab request in the sample letters")
    for hit in run_search(SearchRequest(q="physical therapy")).hits:
        assert not re.search(r"\bPT\s*/\s*(?:PTT|INR)", hit.request, re.IGNORECASE), hit.request
