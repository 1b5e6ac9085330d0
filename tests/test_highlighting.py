"""search.highlighting: the query's words in <mark>, in hit passages and on whole letter pages,
and never any other markup, whatever the letter text holds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from search.highlighting import highlight_terms, highlight_text, make_snippet, make_snippets

OTHER_TAGS = re.compile(r"<(?!/?mark>)[^>]*>")
HOSTILE = 'Opioids <script>alert(1)</script> <img src=x onerror=alert(2)> & "quotes" \'too\''


def test_terms_leave_out_operators_and_negated_words():
    assert highlight_terms('"knee brace" OR lumbar* -acupuncture') == ["knee brace", "lumbar*"]
    # An abbreviation highlights what it stands for, and the other way round.
    assert {"pt", "physical therapy"} <= set(highlight_terms("physical therapy"))
    assert highlight_terms("   ") == []


def test_whole_text_is_escaped_and_marked_by_stem_and_prefix():
    html = highlight_text(HOSTILE + "\nOpioid therapy.", ["opioid", "the*"])
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html and "&amp;" in html
    assert "<mark>Opioids</mark>" in html and "<mark>Opioid</mark>" in html  # one stem
    assert "<mark>therapy</mark>" in html  # the* is a prefix
    assert "\n" in html  # line breaks kept: the letter page shows the text as written
    assert not OTHER_TAGS.search(html)


def test_whole_text_without_terms_is_only_escaped():
    assert highlight_text(HOSTILE, []) == highlight_text(HOSTILE, ["nothing-here"])
    assert "<mark>" not in highlight_text(HOSTILE, [])
    assert highlight_text("", ["opioid"]) == ""


def test_a_snippet_is_the_best_passage_of_the_first_source_with_matches():
    request = "Tramadol 50mg #60"
    rationale = "Background. " * 40 + "The guidelines do not support opioids for chronic pain."
    snippet = make_snippet([rationale, request], ["opioids", "pain"])
    assert "<mark>opioids</mark>" in snippet and "<mark>pain</mark>" in snippet
    assert snippet.startswith("\u2026") and len(snippet) < 400
    # No match anywhere: the start of the first source that has text.
    assert make_snippet(["", request], ["knee"]) == request


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.lists(st.sampled_from(["script", "img", "a*", "x", "é"])))
def test_no_text_ever_becomes_markup(text, terms):
    for html in (highlight_text(text, terms), make_snippet([text], terms)):
        assert "<" not in html.replace("<mark>", "").replace("</mark>", ""), html


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.text(max_size=200), min_size=2, max_size=6),
    st.lists(st.sampled_from(["script", "hr", "mark", "a*", "x", "pain"])),
)
def test_a_page_of_passages_cleaned_together_equals_each_cleaned_alone(texts, terms):
    hostile = [*texts, HOSTILE, "<hr><mark>x</mark></hr> &lt;hr&gt; <HR/>"]
    together = make_snippets([[t] for t in hostile], terms)
    assert together == [make_snippet([t], terms) for t in hostile]
    for html in together:
        assert "<" not in html.replace("<mark>", "").replace("</mark>", ""), html
