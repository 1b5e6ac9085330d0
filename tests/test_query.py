"""The query language: what each construct becomes, and hostile input that must never raise."""

from __future__ import annotations

import re

import pytest

from search.index import Q
from search.query import (
    MAX_QUERY_CHARS,
    normalise_case_number,
    parse_user_query,
)
from search.searching import SearchRequest, run_search
from tests import search_support

# Fixtures shared by the search tests.
sample_texts = search_support.sample_texts
sample_corpus = search_support.sample_corpus
corpus = search_support.corpus

ONLY_MARK_TAGS = re.compile(r"<(?!/?mark>)[^>]*>")


def terms_of(q) -> set[tuple[str, str]]:
    return {(f, t if isinstance(t, str) else t.decode()) for f, t in q.iter_all_terms()}


def test_words_must_all_match():
    q = parse_user_query("lumbar fusion").query
    assert isinstance(q, Q.AndMaybe)
    assert isinstance(q.a, Q.And)
    assert {("text", "lumbar"), ("text", "fusion")} <= terms_of(q.a)


def test_phrase_or_not_and_parentheses():
    parsed = parse_user_query('"home exercise" OR (knee -brace)')
    assert not parsed.notices
    main = parsed.query.a
    assert isinstance(main, Q.Or)
    assert any(isinstance(p, Q.Phrase) for p in main.subqueries)
    assert any(isinstance(p, Q.AndNot) for p in main.subqueries)
    assert "brace" not in " ".join(parsed.highlight)


def test_not_keyword_and_minus_exclude():
    for text in ("knee NOT brace", "knee -brace"):
        q = parse_user_query(text).query.a
        assert isinstance(q, Q.AndNot)
        assert ("text", "brace") in terms_of(q.b)


def test_only_negative_query_excludes_from_everything():
    q = parse_user_query("-knee").query
    assert isinstance(q, Q.AndNot) and isinstance(q.a, Q.Every)


def test_prefix_and_fields():
    assert isinstance(parse_user_query("lumb*").query, Q.Prefix)
    q = parse_user_query("request:mri").query
    assert ("request", "mri") in terms_of(q)
    assert not any(f == "text" for f, _ in terms_of(parse_user_query("rationale:opioids").query))
    assert isinstance(parse_user_query('summary:"low back"').query, Q.Phrase)


@pytest.mark.parametrize(
    "text", ["CM16-0213037", "cm16 0213037", "CM160213037", "cm16-0213037", "Cm16 - 0213037"]
)
def test_case_numbers_in_any_form(text):
    parsed = parse_user_query(text)
    assert parsed.case_numbers == ["CM16-0213037"]
    assert parsed.query is None
    assert terms_of(parsed.case_query) == {("case", "cm16-0213037")}


def test_synthetic_case_numbers():
    assert normalise_case_number("sy21 0000042") == "SY21-0000042"
    assert parse_user_query("SY21-0000042").case_numbers == ["SY21-0000042"]


@pytest.mark.parametrize(
    "abbreviation, spelled",
    [
        ("CBT", "cognitive behavioral therapy"),
        ("PT", "physical therapy"),
        ("OT", "occupational therapy"),
        ("ESI", "epidural steroid injection"),
        ("PPI", "proton pump inhibitor"),
        ("MRI", "magnetic resonance imaging"),
        ("FRP", "functional restoration program"),
        ("DME", "durable medical equipment"),
        ("TENS", "transcutaneous electrical nerve stimulation"),
    ],
)
def test_abbreviations_expand_both_ways(abbreviation, spelled):
    one = parse_user_query(abbreviation).query.a
    other = parse_user_query(spelled).query.a
    quoted = parse_user_query(f'"{spelled}"').query.a
    assert repr(one) == repr(other) == repr(quoted)
    assert isinstance(one, Q.Or)
    assert any(isinstance(p, Q.Phrase) for p in one.subqueries)


def test_h_wave_and_emg():
    assert "wave" in repr(parse_user_query("H-wave").query)
    assert "electromyographi" in repr(parse_user_query("EMG").query)


HOSTILE = [
    '"unbalanced',
    'two "quotes" and "one',
    "(unclosed",
    "closed)",
    ")(",
    "((((((((((((((((((((deep))))))))))))))))))))",
    "(" * 500,
    ")" * 500,
    "NOT",
    "NOT NOT NOT",
    "OR",
    "OR OR OR",
    "AND",
    "knee OR",
    "OR knee",
    "knee NOT",
    "-",
    "--",
    "- - -",
    "*",
    "**",
    "?",
    "?x",
    "a*",
    "ab*",
    "*ology",
    "kn?e",
    "k*e",
    "foo:bar",
    "request:",
    "request:(",
    ":",
    "::::",
    "case:",
    "case:nothing",
    "rationale:*",
    "x" * 10_000,
    "knee " * 2000,
    "word\x00word",
    "\x00",
    "\x01\x02\x03\x1b[31m",
    "knee\u200bbrace",
    "\u202eesrever\u202c",
    "\u200f\u200e\u2066\u2069",
    "\ufeffknee",
    "'; DROP TABLE search_letter; --",
    "1 OR 1=1",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "%00%27%22",
    "\\",
    "\\\\\\",
    "\ud800",
    "🙂🙂🙂",
    "ﾌｧｲﾙ",
    "the",
    "a an the of",
    "   ",
    "",
    "knee^100",
    "knee~2",
    "[a TO z]",
    "{a TO z}",
    "<>",
    "&&||",
    "NOT (NOT (NOT (x)))",
    '"" "" ""',
    "CM16-0213037 CM16-0213037 CM99-9999999",
    "physical therapy " * 40,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_never_raises(text):
    parsed = parse_user_query(text)
    assert parsed.query is None or hasattr(parsed.query, "docs")
    assert all(isinstance(n, str) and n for n in parsed.notices)


def test_catalogue_is_large_enough():
    assert len(HOSTILE) >= 50


@pytest.mark.parametrize(
    "text, expected",
    [
        ("(unclosed", "parenthesis"),
        ('"unbalanced', "quotation"),
        ("*ology", "*"),
        ("ab*", "3"),
        ("foo:bar", "field"),
        ("x" * (MAX_QUERY_CHARS + 1), "longer"),
        ("knee\u200bbrace", "Invisible"),
        ("NOT NOT NOT", "NOT"),
        ("((((((((((deep))))))))))", "nested"),
    ],
)
def test_fallbacks_say_what_happened(text, expected):
    parsed = parse_user_query(text)
    assert any(expected in notice for notice in parsed.notices), parsed.notices


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_searches_answer(corpus, text):
    result = run_search(SearchRequest.from_params({"q": [text]}))
    assert result.total >= 0
    for hit in result.hits:
        assert not ONLY_MARK_TAGS.search(hit.snippet_html), hit.snippet_html


@pytest.mark.parametrize(
    "params",
    [
        {"page": ["-1"]},
        {"page": ["1e9"]},
        {"page": ["\x00"]},
        {"sort": ["'; DROP"]},
        {"outcome": ["<script>"]},
        {"year": ["20a7"]},
        {"specialty": ["x" * 5000]},
        {"section": ["\x00\x01"]},
        {"category": ["Pharmaceuticals", "Nope"]},
        {"priority": ["Urgent"]},
        {"q": ["knee"], "q2": ["x"]},
    ],
)
def test_hostile_parameters_answer(corpus, params):
    result = run_search(SearchRequest.from_params(params))
    assert result.total >= 0


def test_phrase_limited_to_a_field_matches_only_items_with_it_there(corpus):
    from search.models import Determination

    phrase = "medically necessary"
    result = run_search(SearchRequest.from_params({"q": [f'rationale:"{phrase}"']}))
    expected = Determination.objects.filter(rationale__icontains=phrase).count()
    assert 0 < expected
    # Stemming may add near forms; every item with the exact phrase in its rationale is found.
    assert result.total >= expected
    for hit in result.hits:
        rationale = Determination.objects.get(
            letter__public_id=hit.letter_id, ordinal=hit.ordinal
        ).rationale
        assert "medical" in rationale.lower() and "necess" in rationale.lower()
