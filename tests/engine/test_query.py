"""The query language: what each construct becomes, and hostile input that must never raise."""

from __future__ import annotations

import re

import pytest

from search.engine import nodes as Q
from search.engine.analysis import MAX_TERMS, normalise_case_number
from search.engine.nodes import iter_terms
from search.engine.query import MAX_CLAUSES, MAX_QUERY_CHARS
from search.engine.query import parse_user_query as parse_with
from search.engine.query_nodes import key_terms_query
from search.engine.whoosh.compiler import to_whoosh
from search.engine.whoosh.schema import analyze
from search.searching import run_search
from search.web.forms import SearchForm
from tests.search_support import assert_answered_from_the_index, search_total

ONLY_MARK_TAGS = re.compile(r"<(?!/?mark>)[^>]*>")


def parse_user_query(text):
    """Parsed as the search parses it: with the Whoosh backend's analyzer."""
    return parse_with(text, analyze)


def terms_of(q) -> set[tuple[str, str]]:
    return set(iter_terms(q))


def test_words_must_all_match():
    parsed = parse_user_query("lumbar fusion")
    assert isinstance(parsed.match_query, Q.And)
    assert {("text", "lumbar"), ("text", "fusion")} <= terms_of(parsed.match_query)
    # Ranked by the item's own words, request matches higher (the match set is match_query's).
    assert isinstance(parsed.query, Q.AndMaybe)
    assert {("item_text", "lumbar"), ("request", "fusion")} <= terms_of(parsed.query)


def test_phrase_or_not_and_parentheses():
    parsed = parse_user_query('"home exercise" OR (knee -brace)')
    assert not parsed.notices
    main = parsed.match_query
    assert isinstance(main, Q.Or)
    assert any(isinstance(p, Q.Phrase) for p in main.subqueries)
    assert any(isinstance(p, Q.AndNot) for p in main.subqueries)
    assert "brace" not in " ".join(parsed.highlight)


def test_not_keyword_and_minus_exclude():
    for text in ("knee NOT brace", "knee -brace"):
        q = parse_user_query(text).match_query
        assert isinstance(q, Q.AndNot)
        assert ("text", "brace") in terms_of(q.b)


def test_only_negative_query_excludes_from_everything():
    q = parse_user_query("-knee").query
    assert isinstance(q, Q.AndNot) and isinstance(q.a, Q.Every)


def test_prefix_and_fields():
    assert isinstance(parse_user_query("lumb*").match_query, Q.Prefix)
    q = parse_user_query("request:mri").query
    assert ("request", "mri") in terms_of(q)
    assert not any(f == "text" for f, _ in terms_of(parse_user_query("rationale:opioids").query))
    assert isinstance(parse_user_query('summary:"low back"').match_query, Q.Phrase)


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
    one = parse_user_query(abbreviation).match_query
    other = parse_user_query(spelled).match_query
    quoted = parse_user_query(f'"{spelled}"').match_query
    assert repr(one) == repr(other) == repr(quoted)
    assert isinstance(one, Q.Or)
    assert "Phrase(" in repr(one) and "Term(fieldname='text'" in repr(one)


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
    # Every parsed query compiles to a Whoosh query.
    assert parsed.query is None or hasattr(to_whoosh(parsed.query), "docs")
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
        (" ".join(f"w{n}" for n in range(MAX_TERMS + 5)), "left out"),
        (" ".join(f"w{n}" for n in range(MAX_TERMS + 5)) + " (", "left out"),
        (" ".join(f"(w{n % 7} OR w{n % 5})" for n in range(40)), "repeats"),
    ],
)
def test_fallbacks_say_what_happened(text, expected):
    parsed = parse_user_query(text)
    assert any(expected in notice for notice in parsed.notices), parsed.notices


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_searches_answer(corpus, text):
    result = run_search(SearchForm({"q": [text]}).search_request())
    assert_answered_from_the_index(text, result)
    for hit in result.hits:
        assert not ONLY_MARK_TAGS.search(hit.snippet_html), hit.snippet_html


@pytest.mark.parametrize(
    "params, searched_as",
    [
        ({"page": ["-1"]}, {}),
        ({"page": ["1e9"]}, {}),
        ({"page": ["\x00"]}, {}),
        ({"sort": ["'; DROP"]}, {}),
        ({"outcome": ["<script>"]}, {}),
        ({"year": ["20a7"]}, {}),
        ({"specialty": ["x" * 5000]}, {}),
        ({"section": ["\x00\x01"]}, {}),
        ({"category": ["Pharmaceuticals", "Nope"]}, {"category": ["Pharmaceuticals"]}),
        ({"priority": ["Urgent"]}, {}),
        ({"q": ["knee"], "q2": ["x"]}, {"q": ["knee"]}),
    ],
)
def test_hostile_parameters_answer(corpus, params, searched_as):
    # A bad value is dropped or reset: the answer is that of the search without it, which finds
    # items in the sample letters (a search that is down finds none).
    result = run_search(SearchForm(params).search_request())
    assert result.total == search_total(searched_as) > 0


def test_phrase_limited_to_a_field_matches_only_items_with_it_there(corpus):
    from search.models import Determination

    phrase = "medically necessary"
    result = run_search(SearchForm({"q": [f'rationale:"{phrase}"']}).search_request())
    expected = Determination.objects.filter(rationale__icontains=phrase).count()
    assert 0 < expected
    # Stemming may add near forms; every item with the exact phrase in its rationale is found.
    assert result.total >= expected
    for hit in result.hits:
        rationale = Determination.objects.get(
            letter__public_id=hit.letter_id, ordinal=hit.ordinal
        ).rationale
        assert "medical" in rationale.lower() and "necess" in rationale.lower()


# --- The work one query may ask for is bounded ------------------------------------------------


def leaf_queries(q) -> list:
    """Every Term, Phrase and Prefix in a query tree, repeats included."""
    children = getattr(q, "subqueries", None)
    if children is None:
        children = [c for c in (getattr(q, "a", None), getattr(q, "b", None)) if c is not None]
        if isinstance(q, Q.Not):
            children = [q.query]
    if not children:
        return [q]
    return [leaf for child in children for leaf in leaf_queries(child)]


@pytest.mark.parametrize("text", ["mri mri mri", "MRI mri MRIs mri", '"mri" mri (mri)'])
def test_a_repeated_word_is_one_word(text):
    once = parse_user_query("mri")
    parsed = parse_user_query(text)
    assert not parsed.notices
    assert repr(parsed.match_query) == repr(once.match_query)


def test_repeats_do_not_count_towards_the_limit():
    words = [f"w{n}" for n in range(MAX_TERMS)]
    parsed = parse_user_query(" ".join(words + words[:10] + ["W0", "w1"]))
    assert not parsed.notices
    assert {f"w{n}" for n in range(MAX_TERMS)} == {t for _, t in terms_of(parsed.match_query)}


def test_beyond_the_limit_the_first_words_are_kept_with_a_notice():
    words = [f"w{n}" for n in range(MAX_TERMS + 12)]
    parsed = parse_user_query(" ".join(words))
    assert not parsed.fallback
    kept = {t for _, t in terms_of(parsed.match_query)}
    assert kept == set(words[:MAX_TERMS])
    (notice,) = parsed.notices
    assert f"only the first {MAX_TERMS} were searched" in notice
    assert "12 more were left out" in notice and f"w{MAX_TERMS}" in notice


def test_the_limit_keeps_the_query_language_for_the_words_kept():
    words = [f"w{n}" for n in range(MAX_TERMS + 3)]
    parsed = parse_user_query('-knee ("w0 w1" OR (' + " ".join(words[2:]) + "))")
    assert not parsed.fallback
    assert any("3 more were left out" in n for n in parsed.notices)
    q = parsed.match_query
    assert isinstance(q, Q.AndNot) and terms_of(q.b) == {("text", "knee")}
    assert isinstance(q.a, Q.Or) and any(isinstance(p, Q.Phrase) for p in q.a.subqueries)
    # knee, the phrase and w2 .. w29 are the first 30; w30 on are left out.
    kept = {t for _, t in terms_of(q.a)}
    assert f"w{MAX_TERMS - 1}" in kept and f"w{MAX_TERMS}" not in kept


def test_a_word_repeated_in_many_places_runs_as_plain_words():
    text = " ".join(f"(w{a} OR w{b})" for a in range(9) for b in range(a + 1, 9))
    assert len(text) <= MAX_QUERY_CHARS
    parsed = parse_user_query(text)
    assert parsed.fallback
    assert any(str(MAX_CLAUSES) in n and "plain words" in n for n in parsed.notices)
    assert {t for _, t in terms_of(parsed.match_query)} == {f"w{n}" for n in range(9)}


def test_a_repeated_group_is_searched_once():
    parsed = parse_user_query("(knee OR brace) " * 30)
    assert not parsed.notices
    assert repr(parsed.match_query) == repr(parse_user_query("(knee OR brace)").match_query)


@pytest.mark.parametrize(
    "text",
    [
        "mri " * 2_000,
        "MRI mri Mri " * 500,
        " ".join(f"word{n}" for n in range(2_000)),
        "knee " * 2_000 + "brace",
    ],
)
def test_a_long_text_searches_at_most_the_first_different_words(text):
    parsed = parse_user_query(text)
    assert parsed.fallback and any("longer than" in n for n in parsed.notices)
    assert len({t for _, t in terms_of(parsed.match_query)}) <= 2 * MAX_TERMS
    assert len(parsed.highlight) == len(set(parsed.highlight))


def test_long_mri_text_is_the_one_word_mri():
    parsed = parse_user_query("mri " * 2_000)
    assert repr(parsed.match_query) == repr(parse_user_query("mri").match_query)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_asks_for_bounded_work(text):
    parsed = parse_user_query(text)
    if parsed.match_query is None:
        return
    distinct = {repr(leaf) for leaf in leaf_queries(parsed.match_query)}
    # Each word may widen to its abbreviation's spelled-out forms (at most three).
    assert len(distinct) <= 4 * MAX_TERMS
    assert len(leaf_queries(parsed.match_query)) <= 4 * MAX_CLAUSES


def test_deployment_notes_state_the_limits_the_app_enforces():
    """DEPLOYMENT.md sizes the servers' URL limits from these numbers: keep them true."""
    from pathlib import Path

    from search.web.views import PRECEDENT_TEXT_MAX

    root = Path(__file__).resolve().parents[2]
    notes = " ".join((root / "DEPLOYMENT.md").read_text().split())
    q_read = len(SearchForm({"q": ["x" * 20_000]}).search_request().q)
    assert f"`q` (page, API, feed, CSV): read up to {q_read:,} characters" in notes
    assert f"The query language reads up to {MAX_QUERY_CHARS};" in notes
    assert (
        f"at most its first {MAX_TERMS} different words within its first "
        f"{MAX_QUERY_CHARS * 4:,} characters" in notes
    )
    assert f"up to {PRECEDENT_TEXT_MAX:,} characters, a pasted denial" in notes
    template = (root / "templates" / "search" / "index.html").read_text()
    box = re.search(r'<input[^>]*name="q"[^>]*maxlength="(\d+)"', template)
    assert box and f"The search box itself sends at most {int(box.group(1)):,} characters" in notes
    assert "--limit-request-line 0 --limit-request-field_size 32768" in notes
    assert "large_client_header_buffers 4 32k;" in notes


def test_key_terms_query_counts_request_only_terms_in_the_request_alone():
    q = key_terms_query(["knee", "pain"], request_only=frozenset({"pain"}))
    fields = sorted((t.fieldname, t.text) for t in q.subqueries)
    assert fields == [("request", "knee"), ("request", "pain"), ("text", "knee")]


def test_a_drug_word_reaches_its_other_names_and_its_class_but_an_excluded_one_does_not():
    parsed = parse_user_query("norco")
    assert ("concepts", "hydrocodone") in terms_of(parsed.match_query)
    assert ("concepts", "class:opioid") in terms_of(parsed.match_query)  # related, ranked lower
    excluded = parse_user_query("opioid -oxycodone").match_query
    assert isinstance(excluded, Q.AndNot)
    assert ("concepts", "oxycodone") in terms_of(excluded.b)
    assert ("concepts", "class:opioid") not in terms_of(excluded.b)
