"""Ranking: our block-at-a-time BM25F scorer ranks the way Whoosh's matchers do, and phrases
checked from positions match what Whoosh's phrase matcher finds."""

from __future__ import annotations

import pytest
from django.test import override_settings
from whoosh import query as Q

from search import indexing
from search.engine.query import parse_user_query
from search.engine.query_nodes import key_terms_query
from search.engine.whoosh import schema
from search.engine.whoosh.bits import docnums_from_bits
from search.engine.whoosh.compiler import to_whoosh
from search.engine.whoosh.documents import whoosh_fields
from search.engine.whoosh.snapshot import snapshot
from search.indexing import sync_pending
from search.ingest import store_letter
from search.letters.parser import parse_letter
from search.letters.synthetic import generate_letters
from search.models import Letter

pytestmark = pytest.mark.django_db

QUERIES = [
    "pain",
    "physical therapy",
    '"physical therapy"',
    "acupuncture OR chiropractic",
    "opioid -oxycodone",
    "(mri OR ultrasound) knee",
    "epidur*",
    "request:acupuncture",
    "rationale:guidelines",
    "CBT",
    "medical treatment guidelines",
]


@pytest.fixture(scope="module")
def ranking_corpus(django_db_setup, django_db_blocker, tmp_path_factory):
    """120 synthetic letters through the real ingest path, stored once for the module, in two
    syncs: the index has several segments, so document numbers start at several offsets."""
    index_dir = tmp_path_factory.mktemp("ranking-index")
    with django_db_blocker.unblock(), override_settings(SEARCH_INDEX_DIR=index_dir):
        Letter.objects.all().delete()
        letters = list(generate_letters(120, seed=11))
        for batch in (letters[:70], letters[70:]):
            for synthetic in batch:
                store_letter(parse_letter(synthetic.text), synthetic.text)
            sync_pending()
        assert len(snapshot(index_dir).searcher.reader().leaf_readers()) >= 2
    yield index_dir
    with django_db_blocker.unblock():
        Letter.objects.all().delete()


@pytest.fixture
def synthetic_index(ranking_corpus, settings):
    settings.SEARCH_INDEX_DIR = ranking_corpus
    return snapshot(ranking_corpus)


def _whoosh_ranking(snap, q, allowed, limit):
    import time

    return snap.scorer.top_scored_by_whoosh(q, allowed, limit, time.monotonic() + 30, True)


@pytest.mark.parametrize("text", QUERIES)
def test_our_scores_equal_whooshs_for_every_match(synthetic_index, text):
    snap = synthetic_index
    parsed = parse_user_query(text, schema.analyze)
    matches, finished = snap.evaluator.docs_bits(to_whoosh(parsed.match_query))
    assert finished and matches, text
    q = to_whoosh(parsed.query)
    # The ranking query scores the item's own words (`item_text`), so it matches the items
    # whose own words hold the query's, a part of the matches; the others (the words only in
    # their letter's case summary) are compared apart below.
    theirs, _ = _whoosh_ranking(snap, q, matches, 10_000)
    ranked = sum(1 << docnum for docnum, _ in theirs)
    assert ranked & ~matches == 0, text
    every, _ = snap.scorer.top_scored(q, matches, 10_000, 30)
    assert len(every) == matches.bit_count()  # every match is listed, ranked or not
    if not ranked:  # no item holds all the words in its own text: nothing to compare
        return
    ours, timed_out = snap.scorer.top_scored(q, ranked, 10_000, 30, matched_only=True)
    assert not timed_out
    assert len(ours) == len(theirs) > 0
    their_scores = dict(theirs)
    for docnum, score in ours:
        assert score == pytest.approx(their_scores[docnum], rel=1e-4), (text, docnum)
    # The same order wherever scores differ (ties may fall either way).
    ours_by_score = [round(s, 4) for _, s in ours]
    assert ours_by_score == sorted(ours_by_score, reverse=True)
    assert ours_by_score == [round(s, 4) for _, s in theirs]


def test_filtered_candidates_and_unscored_matches(synthetic_index):
    snap = synthetic_index
    parsed = parse_user_query("therapy", schema.analyze)
    matches, _ = snap.evaluator.docs_bits(to_whoosh(parsed.match_query))
    upheld = matches & snap.facets.value_bits("outcome", "upheld")
    hits, _ = snap.scorer.top_scored(to_whoosh(parsed.query), upheld, 5, 30)
    assert hits and all(upheld >> docnum & 1 for docnum, _ in hits)
    # A query whose words do not score (only a negation) still lists its matches, unscored.
    hits, _ = snap.scorer.top_scored(Q.Not(Q.Term("text", "therapi")), None, 3, 30)
    assert len(hits) == 3 and all(score == 0.0 for _, score in hits)
    assert [d for d, _ in hits] == sorted(d for d, _ in hits)


def test_key_terms_query_for_similar_items(synthetic_index):
    snap = synthetic_index
    q = to_whoosh(key_terms_query(["knee", "arthroscopi", "physic", "therapi", "pain"]))
    ours, _ = snap.scorer.top_scored(q, None, 20, 30, matched_only=True)
    theirs, _ = _whoosh_ranking(snap, q, None, 20)
    assert [round(s, 4) for _, s in ours] == [round(s, 4) for _, s in theirs]
    assert all(score > 0 for _, score in ours)


def _holds(tokens: list[str], words: list[str]) -> bool:
    n = len(words)
    return any(tokens[i : i + n] == words for i in range(len(tokens) - n + 1))


@pytest.mark.parametrize(
    "phrase",
    ['"physical therapy"', '"functional restoration program"', '"pain management"',
     '"therapy physical"', '"request:physical therapy"', '"rationale:medically necessary"'],
)
def test_phrases_match_the_items_whose_words_stand_together(synthetic_index, phrase):
    snap = synthetic_index
    field, _, text = phrase.strip('"').rpartition(":")
    words = schema.analyze(text)
    # The phrase query itself: the parser would add abbreviations ("physical therapy" ~ PT).
    bits, _ = snap.evaluator.docs_bits(Q.Phrase(field or "text", words))
    found = {snap.stored(d)["id"] for d in docnums_from_bits(bits)}
    expected = set()
    rows = list(Letter.objects.values(*indexing._LETTER_FIELDS))
    for document in indexing.documents_for_letters(rows):
        fields = whoosh_fields(document)
        in_field = field and set(words) <= set(schema.analyze(fields[field]))
        if _holds(schema.text_tokens(document.text), words) and (not field or in_field):
            expected.add(document.item_id)
    assert found == expected
    if phrase != '"therapy physical"':
        assert expected, phrase
