"""The page per guideline or section, over the sample letters: its numbers are the search's."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from search.models import Citation
from tests.search_support import search_total


def cited_section() -> str:
    """The most cited IMR section label of the sample letters."""
    counts: dict[str, int] = {}
    for citation in Citation.objects.filter(party=Citation.IMR).exclude(guideline=""):
        for section in citation.sections:
            label = f"{citation.label} > {section}"
            counts[label] = counts.get(label, 0) + 1
    return max(counts, key=lambda label: (counts[label], label))


@pytest.fixture
def section(corpus) -> str:
    return cited_section()


def test_a_section_page_counts_what_the_search_counts(client, section):
    data = client.get("/api/guidelines", {"label": section}).json()
    assert data["facet"] == "section"
    assert data["total"] == search_total({"section": section}) > 0
    for outcome in ("upheld", "overturned"):
        assert data["breakdown"][outcome] == search_total({"section": section, "outcome": outcome})
    for row in data["by_year"]:
        both = row["upheld"] + row["overturned"]
        assert both == search_total({"section": section, "year": row["label"]})
    assert sum(r["upheld"] + r["overturned"] for r in data["by_year"]) <= data["total"]
    for row in data["by_specialty"]:
        assert row["overturned"] == search_total(
            {"section": section, "specialty": row["label"], "outcome": "overturned"})
    for outcome, reasons in data["reasons"].items():
        for reason in reasons:
            assert reason["count"] == search_total(
                {"section": section, "outcome": outcome, "reason": reason["reason"]})


def test_the_page_shows_the_same_numbers_as_the_json(client, section):
    data = client.get("/api/guidelines", {"label": section}).json()
    html = client.get("/guidelines/", {"label": section}).content.decode()
    assert f"{data['total']} decided item" in html
    for row in data["by_year"]:
        percent = round(100 * row["overturn_rate"])
        assert f'aria-label="{percent}% overturned"' in html
        assert f"{row['overturned']} of {row['upheld'] + row['overturned']}" in html
    # Links into the search filtered by it, and a bar chart drawn without script or style.
    assert f'href="/?section={quote(section, safe="")}' in html.replace("+", "%20")
    assert "<script" not in html.split("<main", 1)[1]
    assert 'style="' not in html


def test_a_guideline_page_lists_its_sections(client, section):
    guideline = " > ".join(section.split(" > ")[:2])
    data = client.get("/api/guidelines", {"label": guideline}).json()
    assert data["facet"] == "guideline"
    assert data["total"] == search_total({"guideline": guideline})
    assert section in [row["label"] for row in data["sections"]]
    html = client.get("/guidelines/", {"label": section}).content.decode()
    assert f'href="/guidelines/?label={quote(guideline)}"' in html


def test_hits_link_their_guideline_labels_to_the_pages(client, section):
    guideline = " > ".join(section.split(" > ")[:2])
    html = client.get("/", {"section": section}).content.decode()
    assert f'href="/guidelines/?label={quote(guideline)}"' in html


@pytest.mark.parametrize("label", ["No such guideline", "MTUS > Nowhere > Nothing", "x" * 400])
def test_an_unknown_label_is_a_clear_not_found(client, corpus, label):
    response = client.get("/guidelines/", {"label": label})
    assert response.status_code == 404
    assert "cite" in response.content.decode() or "Name a guideline" in response.content.decode()
    assert client.get("/api/guidelines", {"label": label}).json()["error"]


def test_the_index_lists_every_guideline_cited(client, corpus):
    html = client.get("/guidelines/").content.decode()
    labels = {c.label for c in Citation.objects.filter(party=Citation.IMR).exclude(guideline="")}
    for label in labels:
        assert f'href="/guidelines/?label={quote(label)}"' in html
