"""Decision reasons, request sizes and the outcome bar over the sample letters, through the real
ingest, index and pages."""

from __future__ import annotations

import csv
import io
import re

import pytest

from search.letters.reasons import REASONS_BY_CODE
from search.letters.request_size import SIZE_FIELDS, session_bucket
from search.models import Determination


def reason_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in Determination.objects.all():
        for code in item.reason_codes:
            counts[code] = counts.get(code, 0) + 1
    return counts


def items_with_any(codes) -> int:
    return sum(1 for item in Determination.objects.all() if set(item.reason_codes) & set(codes))


def test_items_are_stored_with_their_reasons_and_sizes(corpus):
    items = list(Determination.objects.all())
    with_reasons = [item for item in items if item.reasons]
    assert len(with_reasons) >= 0.8 * len(items)
    for item in with_reasons:
        for reason in item.reasons:
            assert reason["reason"] in REASONS_BY_CODE
            evidence_words = reason["evidence"].split()
            assert " ".join(evidence_words) in " ".join(item.rationale.split())
    assert any(item.request_size.get("sessions") for item in items)


def test_the_reason_facet_counts_the_stored_reasons(client, corpus):
    facets = client.get("/api/search").json()["facets"]
    listed = {v["value"]: v["count"] for v in facets["reason"]}
    assert listed == reason_counts()
    labels = {v["value"]: v["label"] for v in facets["reason"]}
    assert labels["no_red_flags"] == REASONS_BY_CODE["no_red_flags"].label


def test_reasons_are_multi_select_within_and_and_across(client, corpus):
    both = ["no_red_flags", "conservative_care_not_tried"]
    data = client.get("/api/search", {"reason": both}).json()
    assert data["total"] == items_with_any(both)
    for hit in data["results"]:
        assert {r["reason"] for r in hit["reasons"]} & set(both)
    narrowed = client.get("/api/search", {"reason": both, "outcome": "upheld"}).json()
    assert narrowed["total"] <= data["total"]


def test_an_unknown_reason_is_a_notice_not_an_error(client, corpus):
    response = client.get("/api/search", {"reason": "because"})
    assert response.status_code == 200
    assert response.json()["notice"]


def test_each_hit_carries_its_reasons_and_request_size(client, corpus):
    data = client.get("/api/search", {"q": "physical therapy", "sessions": ["1-6", "7-12"]}).json()
    assert data["total"] > 0
    for hit in data["results"]:
        stored = Determination.objects.get(letter__public_id=hit["letter_id"],
                                           ordinal=hit["ordinal"])
        assert [r["reason"] for r in hit["reasons"]] == stored.reason_codes
        assert all(r["label"] and r["evidence"] for r in hit["reasons"])
        assert hit["request_size"] == stored.request_size
        assert session_bucket(hit["request_size"]["sessions"]) in ("1-6", "7-12")


def test_the_letter_api_has_reasons_and_request_size(client, corpus):
    item = Determination.objects.exclude(request_size={}).select_related("letter").first()
    data = client.get(f"/api/letters/{item.letter.public_id}").json()
    shown = data["determinations"][item.ordinal - 1]
    assert shown["request_size"] == item.request_size
    assert [r["reason"] for r in shown["reasons"]] == item.reason_codes


def test_the_csv_and_feed_carry_the_reasons(client, corpus):
    response = client.get("/export/search.csv", {"reason": "short_term_only"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
    assert rows and all("Not for long-term use" in row["reason_labels"] for row in rows)
    assert {f"request_{name}" for name in SIZE_FIELDS} <= set(rows[0])
    assert any(row["request_strength"] for row in rows)
    feed = client.get("/feeds/search/", {"reason": "short_term_only"}).content.decode()
    assert "Reasons given: " in feed and "Not for long-term use" in feed


def test_the_page_lists_the_reason_facet_and_each_hits_evidence(client, corpus):
    html = client.get("/", {"reason": "no_red_flags"}).content.decode()
    assert "Decision reason" in html and "Sessions asked for" in html
    assert "Reasons given:" in html
    marked = re.findall(r"<q><mark>(.*?)</mark></q>", html, re.S)
    assert marked


def test_the_letter_page_marks_each_reasons_evidence(client, corpus):
    item = Determination.objects.exclude(reasons=[]).select_related("letter").first()
    html = client.get(f"/letters/{item.letter.public_id}/").content.decode()
    assert "Reasons given" in html
    assert html.count("<q><mark>") >= len(item.reasons)


def _item_section(html: str, ordinal: int) -> str:
    start = html.index(f'<section class="item" id="item-{ordinal}"')
    return html[start:html.index("</section>", start)]


def test_the_letter_page_shows_each_items_request_size_beside_its_request(client, corpus):
    items = Determination.objects.select_related("letter").order_by("letter_id", "ordinal")
    sized = next(item for item in items if len(item.request_size) >= 2)
    html = client.get(f"/letters/{sized.letter.public_id}/").content.decode()
    section = _item_section(html, sized.ordinal)
    shown = re.findall(r"<div><dt>(\w+)</dt><dd>([^<]*)</dd></div>", section)
    expected = [(name.capitalize(), str(sized.request_size[name]))
                for name in SIZE_FIELDS if name in sized.request_size]
    assert shown == expected
    assert section.index('class="request-size"') < section.index('class="guidelines"')
    unsized = next(item for item in items if not item.request_size)
    page = client.get(f"/letters/{unsized.letter.public_id}/").content.decode()
    assert 'class="request-size"' not in _item_section(page, unsized.ordinal)


@pytest.mark.parametrize("ticked", ["overturned", "upheld"])
def test_the_outcome_bar_keeps_the_rate_before_the_outcome_selection(client, corpus, ticked):
    whole = client.get("/api/search", {"q": "therapy"}).json()["breakdown"]
    html = client.get("/", {"q": "therapy", "outcome": ticked}).content.decode()
    total = whole["upheld"] + whole["overturned"]
    rate = 100 * whole["overturned"] / total
    shown = f"{rate:.1f}%" if 0 < rate < 10 else f"{rate:.0f}%"
    assert f'<span class="rate">{shown} overturned</span>' in html
    listed = whole[ticked]
    assert f"Of the {total} items before the Outcome filter; {listed} listed below." in html
    plain = client.get("/", {"q": "therapy"}).content.decode()
    assert "before the Outcome filter" not in plain
    api = client.get("/api/search", {"q": "therapy", "outcome": ticked}).json()
    assert api["breakdown_before_outcome"] == whole
    assert client.get("/api/search", {"q": "therapy"}).json()["breakdown_before_outcome"] is None


def test_an_evidence_sentence_is_escaped_before_it_is_marked():
    from search.highlighting import mark_evidence

    marked = mark_evidence('No <script>alert(1)</script> "red flags" & more.')
    assert marked.startswith("<mark>No &lt;script&gt;alert(1)&lt;/script&gt; ")
    assert marked.endswith(" &amp; more.</mark>") and "<script" not in marked
