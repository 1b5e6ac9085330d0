"""The indexer's fast tokens equal the query analyzer's, on any text.

The index is written from `schema.text_tokens` (a regex, a stop list and a stem cache, computed
once per line) but queried through TEXT_ANALYZER (Whoosh's StemmingAnalyzer(minsize=1)): if the
two ever differed, a word would be indexed under one term and searched under another.
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from search.engine.whoosh import schema

# Words, punctuation, digits, dots, stars and unicode: what letters and pasted text hold.
PIECES = st.sampled_from(
    [
        "MRI", "therapy", "injections", "H-wave", "vitamin D", "3.5", "#90", "x-ray", "L4-L5",
        "10mg", "ibuprofen*", "*", "**", ".", "..", "a.b", "e.g.", "U.S.", "the", "and", "of",
        "A", "d", "Café", "naïve", "ŞİŞLİ", "Straße", "ﬁle", "ǅ", "İstanbul", "ß", "日本語",
        "٣", "²", "½", "_", "__init__", "don't", "“quoted”", "—", "\u200b", "\t", " ", "\n",
        "\r\n", ",", ";", ":", "(", ")", "/", "\\", "-", "'", '"', "?", "!",
    ]
)
TEXTS = st.one_of(st.lists(PIECES, max_size=30).map("".join), st.text(max_size=80))


def analyzer_tokens(text: str) -> list[str]:
    return [token.text for token in schema.TEXT_ANALYZER(text)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
@example("Physical therapy 2x/week for 6 weeks (12 sessions).")
@example("ibuprofen 800mg #90 ... e.g. U.S.A. H-wave* vitamin D3")
def test_indexed_tokens_equal_the_query_analyzers(text):
    expected = analyzer_tokens(text)
    assert schema.text_tokens(text) == expected
    # Again, now from the stem and line caches.
    assert schema.text_tokens(text) == expected
    assert schema.analyze(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=5))
def test_text_of_several_lines_is_the_tokens_of_each_line(lines):
    text = "\n".join(lines)
    assert schema.text_tokens(text) == analyzer_tokens(text)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_word_pairs_are_neighbouring_tokens(text):
    tokens = schema.text_tokens(text)
    pairs = schema.word_pairs(tokens)
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == {f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)}
