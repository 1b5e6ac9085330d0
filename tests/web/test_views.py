"""The attorney's pages, server side: search page (full and fragment), letter, precedent finder,
Atom feed and CSV export, over the sample letters stored through the real ingest path."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date
from urllib.parse import quote

import pytest
from django.template import Context, Template

from search.ingest import ingest_paths, store_letter, sync_index
from search.letters import domain
from search.letters.synthetic import write_corpus
from search.models import Citation, Determination, Letter
from search.searching import SearchRequest, SearchResult, similar_to_item
from search.web.views import SIMILAR_PER_ITEM, pagination

ATOM = "{http://www.w3.org/2005/Atom}"

@pytest.fixture
def sample(isolated_corpus) -> int:
    """The sample letters, stored and indexed (see tests/search_support.py); their count."""
    return isolated_corpus.letters


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def hostile_letter(rationale: str, case_number: str = "CM16-0999999") -> Letter:
    """A letter stored through the ingest service whose text tries to inject markup."""
    parsed = domain.ParsedLetter(
        layout=domain.LAYOUT_POSTED,
        header=domain.Header(case_number=case_number, decision_date=date(2016, 12, 19)),
        summary="The patient <b>reported</b> pain.",
        items=[
            domain.Item(
                ordinal=1,
                heading="Cognitive behavioral therapy x 12 sessions",
                request="Cognitive behavioral therapy x 12 sessions",
                outcome=domain.UPHELD,
                rationale="Not indicated.",
            ),
            domain.Item(
                ordinal=2,
                heading="Acupuncture <img src=x onerror=alert(1)>",
                request="Acupuncture <img src=x onerror=alert(1)>",
                outcome=domain.OVERTURNED,
                rationale=rationale,
            ),
        ],
    )
    letter, _ = store_letter(parsed, f"letter text {case_number} {rationale}")
    sync_index()
    return letter


# --- the search page ---------------------------------------------------------------------------


def test_search_page_lists_hits_with_facets_and_outcome_bar(client, sample):
    response = client.get("/", {"q": "therapy"})
    assert response.status_code == 200
    html = body(response)
    assert 'id="results"' in html and 'id="q"' in html and 'value="therapy"' in html
    assert 'hx-get="/"' in html and 'hx-push-url="true"' in html and 'hx-target="#results"' in html
    assert 'hx-sync="this:replace"' in html and "hx-indicator" in html
    assert 'id="facet-outcome-upheld"' in html and 'id="facet-outcome-overturned"' in html
    assert "disputed item" in html and "overturned</span>" in html
    assert '<svg viewBox="0 0 1000 10"' in html  # the outcome bar
    assert "<mark>" in html  # highlighted passages
    assert "/static/django_htmx/htmx-2.min.js" in html and "unpkg" not in html
    assert "/feeds/search/?q=therapy" in html and "/export/search.csv?q=therapy" in html
    assert response["Vary"].count("HX-Request") == 1 and "HX-Target" in response["Vary"]


def test_search_page_without_a_query_shows_examples_and_everything(client, sample):
    html = body(client.get("/"))
    assert "Search syntax" in html and "Examples" in html
    assert "disputed items" in html


def test_htmx_request_for_the_results_pane_gets_only_the_fragment(client, sample):
    response = client.get(
        "/", {"q": "therapy", "sort": ""}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    html = body(response)
    assert response.status_code == 200
    assert "<html" not in html and "<header" not in html and 'id="q"' not in html
    assert 'id="facet-outcome-upheld"' in html
    assert response["HX-Push-Url"] == "/?q=therapy"  # canonical, empty fields dropped
    assert "HX-Request" in response["Vary"] and "HX-Target" in response["Vary"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_HX_REQUEST": "true", "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"},
        {"HTTP_HX_REQUEST": "true", "HTTP_HX_BOOSTED": "true", "HTTP_HX_TARGET": "results"},
        {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "somewhere-else"},
        {"HTTP_HX_REQUEST": "true"},
    ],
    ids=["plain", "history-restore", "boosted", "other-target", "no-target"],
)
def test_every_other_request_gets_the_full_page(client, sample, headers):
    response = client.get("/", {"q": "therapy"}, **headers)
    html = body(response)
    assert response.status_code == 200
    assert "<html" in html and 'id="q"' in html and 'id="results"' in html
    assert "HX-Push-Url" not in response


def test_ticking_facets_narrows_and_keeps_other_values_counted(client, sample):
    everything = body(client.get("/", {"q": "therapy"}))
    narrowed = body(client.get("/", {"q": "therapy", "outcome": "overturned"}))
    assert 'id="facet-outcome-overturned" name="outcome" value="overturned" checked' in narrowed
    # The unticked value of the same facet keeps its count (facets count without themselves).
    assert 'id="facet-outcome-upheld"' in narrowed
    assert "Outcome: Overturned" in narrowed  # the active filter, removable
    assert everything != narrowed


def test_paging_links_carry_the_search(client, sample):
    html = body(client.get("/", {"q": "", "sort": "newest"}))
    assert 'href="/?sort=newest&amp;page=2"' in html
    second = client.get("/", {"sort": "newest", "page": "2"})
    assert second.status_code == 200 and 'aria-current="page">2<' in body(second)


def shown_links(context: dict) -> list:
    return ["…" if link.get("gap") else link["number"] for link in context["page_links"]]


@pytest.mark.parametrize(
    "total, page, links, previous, following",
    [
        (0, 1, [], "", ""),
        (20, 1, [], "", ""),
        (21, 2, [1, 2], "q=knee", ""),
        (200, 1, [1, 2, 3, "…", 10], "", "q=knee&page=2"),
        (200, 5, [1, 2, 3, 4, 5, 6, 7, "…", 10], "q=knee&page=4", "q=knee&page=6"),
        (200, 8, [1, "…", 6, 7, 8, 9, 10], "q=knee&page=7", "q=knee&page=9"),
        # A page past the end (a stale link): links to the last pages, none of them current.
        (200, 50, [1, "…", 8, 9, 10], "q=knee&page=9", ""),
    ],
)
def test_page_links_are_elided_around_the_current_page(total, page, links, previous, following):
    search_request = SearchRequest(q="knee", page=page)
    result = SearchResult(request=search_request, total=total, page=page)
    context = pagination(search_request, result)
    assert shown_links(context) == links
    current = [link["number"] for link in context["page_links"] if link.get("current")]
    assert current == ([page] if page in links else [])
    assert (context["previous_page"], context["next_page"]) == (previous, following)
    assert context["pages"] == max(1, -(-total // 20))
    if total and page <= context["pages"]:
        assert context["first_rank"] == (page - 1) * 20 + 1


@pytest.mark.parametrize(
    "params",
    [
        {"q": "<script>alert(1)</script>"},
        {"q": '"unbalanced (quote OR'},
        {"q": "*"},
        {"q": "a" * 20000},
        {"q": "\x00\x1f\u202e"},
        {"q": "request:"},
        {"page": "-1"},
        {"page": "99999999999999999999"},
        {"page": "abc"},
        {"sort": "'; DROP TABLE search_letter; --"},
        {"outcome": "maybe"},
        {"year": "20x6"},
        {"specialty": "<b>x</b>" * 100},
        {"guideline": "MTUS > Chronic Pain", "section": "\u0000"},
    ],
)
def test_hostile_parameters_never_fail(client, sample, params):
    for url in ("/", "/feeds/search/", "/export/search.csv"):
        response = client.get(url, params)
        assert response.status_code == 200, url
        assert "<script>alert(1)</script>" not in body(response)
    fragment = client.get("/", params, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert fragment.status_code == 200


def test_search_query_is_escaped_in_the_page(client, sample):
    html = body(client.get("/", {"q": '"><script>alert(1)</script>'}))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


# --- what every page has, and the methods each answers -----------------------------------------

PAGES = [
    "/",
    "/?q=therapy",
    "/letters/CM17-0015957/",
    "/letters/CM17-0015957/items/1/similar/",
    "/precedents/?text=knee",
    "/feeds/search/?q=mri",
    "/export/search.csv?q=mri",
    "/api/search?q=mri",
    "/api/letters/CM17-0015957",
    "/api/letters/CM17-0015957/items/1/similar",
]


@pytest.mark.parametrize("url", PAGES)
def test_pages_answer_get_and_head_and_refuse_other_methods(client, sample, url):
    assert client.get(url).status_code == 200
    head = client.head(url)
    assert head.status_code == 200 and body(head) == ""
    for method in ("post", "put", "delete", "options", "trace"):
        response = getattr(client, method)(url)
        assert response.status_code == 405, method
        assert set(response["Allow"].split(", ")) == {"GET", "HEAD"}


@pytest.mark.parametrize(
    "url, current",
    [
        ("/", "Search decisions"),
        ("/precedents/", "Precedent finder"),
        ("/letters/CM17-0015957/", None),
        ("/no/such/page/", None),
    ],
)
def test_the_header_marks_the_current_section(client, sample, url, current):
    html = body(client.get(url))
    marked = re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', html)
    assert marked == ([current] if current else [])


def test_a_results_fragment_asks_the_database_nothing(
    client, sample, django_assert_num_queries
):
    # The synthetic-data banner is in the page around the fragment: only the full page asks.
    with django_assert_num_queries(0):
        client.get("/", {"q": "therapy"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    with django_assert_num_queries(1):  # a real letter exists: the first question answers it
        client.get("/", {"q": "therapy"})


# --- the letter page ---------------------------------------------------------------------------


def test_letter_page_shows_facts_items_and_links(client, sample):
    letter = Letter.objects.filter(case_number__startswith="CM").first()
    first = letter.determinations.order_by("ordinal").first()
    response = client.get(f"/letters/{letter.public_id}/")
    html = body(response)
    assert response.status_code == 200
    assert f"Case {letter.case_number}" in html
    assert 'id="item-1"' in html and 'href="#item-1"' in html
    assert "Copy citation" in html
    assert f"IMR Final Determination, Case No. {letter.case_number} (" in html
    assert f"item 1: {'Overturned' if first.outcome == 'overturned' else 'Upheld'}" in html
    assert f"IMRDecisionSearch.asp?caseno={letter.case_number}" in html
    # Never the source file name (nor anything from PDF metadata).
    assert letter.source_name and letter.source_name not in html


def test_letter_page_links_guidelines_to_their_pages(client, sample):
    """Each guideline and section label opens its guideline page, which links the search
    filtered by it (tests/web/test_guideline_page.py)."""
    cited = Citation.objects.filter(party=Citation.IMR).exclude(guideline="").first()
    letter = cited.determination.letter
    html = body(client.get(f"/letters/{letter.public_id}/"))
    assert f"/guidelines/?label={quote(cited.label)}" in html
    for section in cited.sections:
        assert f"/guidelines/?label={quote(f'{cited.label} > {section}')}" in html


def test_letter_without_case_number_has_no_state_link(client, sample):
    letter = Letter.objects.filter(case_number__isnull=True).first()
    html = body(client.get(f"/letters/{letter.public_id}/"))
    assert "IMRDecisionSearch.asp" not in html
    assert f"Letter {letter.public_id}" in html


def test_searched_words_are_highlighted_on_the_letter(client, sample):
    letter = Letter.objects.filter(determinations__rationale__icontains="therapy").first()
    html = body(client.get(f"/letters/{letter.public_id}/", {"q": "therapy"}))
    assert "<mark>therapy</mark>" in html.lower()
    assert "Back to the search" in html


def test_letter_page_links_each_item_to_its_similar_precedents(client, sample):
    letter = Letter.objects.get(public_id="CM17-0015957")
    html = body(client.get(f"/letters/{letter.public_id}/"))
    for ordinal in letter.determinations.values_list("ordinal", flat=True):
        url = f"/letters/CM17-0015957/items/{ordinal}/similar/"
        # A plain link (no JavaScript needed) and the container htmx fills on first opening.
        assert f'<a href="{url}">' in html
        assert f'id="similar-{ordinal}"' in html and f'hx-get="{url}"' in html
    assert "<summary>Similar precedents</summary>" in html
    assert 'hx-trigger="toggle once from:closest details"' in html
    assert 'class="similar-list"' not in html  # nothing searched while rendering
    assert "{#" not in html and "comment %}" not in html  # template comments stay comments


def test_letter_page_runs_no_similar_search(client, sample, monkeypatch):
    def no_search(*args, **kwargs):
        raise AssertionError("the letter page must not search for similar items")

    monkeypatch.setattr("search.web.views.similar_to_item", no_search)
    monkeypatch.setattr("search.searching.similar_to_item", no_search)
    response = client.get("/letters/CM17-0015957/", {"q": "therapy"})
    assert response.status_code == 200
    assert "Similar precedents" in body(response)


def test_unknown_letter_gets_the_404_page(client, db):
    response = client.get("/letters/CM99-0000000/")
    assert response.status_code == 404
    html = body(response)
    assert "We could not find that page" in html and "CM99-0000000" in html
    assert client.get("/letters/%3Cscript%3E/").status_code == 404
    assert "<script>" not in body(client.get("/letters/%3Cscript%3E/"))


def test_lower_case_case_number_redirects_to_the_letter(client, sample):
    response = client.get("/letters/cm17-0015957/")
    assert response.status_code == 302 and response["Location"] == "/letters/CM17-0015957/"


def test_letter_text_with_markup_is_escaped(client, db):
    letter = hostile_letter("Denied. <script>window.__pwned=1</script> See MTUS.")
    html = body(client.get(f"/letters/{letter.public_id}/", {"q": "script denied"}))
    assert "<script>window.__pwned" not in html
    assert (
        "&lt;script&gt;window.__pwned=1&lt;/script&gt;"
        in html.replace("<mark>", "").replace("</mark>", "")
        or "&lt;<mark>script</mark>&gt;" in html
    )
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>reported</b>" not in html


def test_synthetic_letters_are_labelled_and_the_site_says_so(client, db):
    letter = hostile_letter("Plain rationale.", case_number="SY16-0000001")
    assert letter.synthetic
    html = body(client.get(f"/letters/{letter.public_id}/"))
    assert "Synthetic" in html and "Synthetic sample data" in html
    assert "IMRDecisionSearch.asp" not in html  # not a real case number
    search = body(client.get("/", {"q": "acupuncture"}))
    assert "Synthetic sample data" in search and "badge-synthetic" in search


def test_real_data_has_no_synthetic_banner(client, sample):
    assert "Synthetic sample data" not in body(client.get("/"))


@pytest.mark.parametrize(
    "outcome, badge",
    [
        ("upheld", '<span class="badge badge-upheld">Upheld</span>'),
        ("overturned", '<span class="badge badge-overturned">Overturned</span>'),
        ("Upheld", '<span class="badge badge-upheld">Upheld</span>'),
        ("Partial Overturn", '<span class="badge badge-partial">Partial Overturn</span>'),
        ("Overturned", '<span class="badge badge-overturned">Overturned</span>'),
        ("", ""),
        ("<b>sideways</b>", ""),
    ],
)
def test_outcome_badges_for_items_and_cases(outcome, badge):
    template = Template("{% load outcomes %}{% outcome_badge outcome %}")
    assert template.render(Context({"outcome": outcome})) == badge


# --- an item's similar precedents --------------------------------------------------------------


def similar_links(html: str) -> list[tuple[str, int]]:
    """(letter id, ordinal) of every precedent listed in a similar-precedents list."""
    listed = html[html.index('<ol class="similar-list">') :]
    listed = listed[: listed.index("</ol>")]
    return [(lid, int(n)) for lid, n in re.findall(r'href="/letters/([^/"]+)/#item-(\d+)"', listed)]


def test_item_similar_page_lists_precedents_from_other_letters(client, sample):
    response = client.get("/letters/CM17-0015957/items/1/similar/")
    html = body(response)
    assert response.status_code == 200
    assert "<html" in html and "<header" in html  # a page of its own
    assert "<title>Similar precedents · item 1 of CM17-0015957 ·" in html
    assert 'href="/letters/CM17-0015957/#item-1"' in html and "Back to item 1" in html
    listed = similar_links(html)
    expected = similar_to_item("CM17-0015957", 1, limit=SIMILAR_PER_ITEM).hits
    assert listed and listed == [(hit.letter_id, hit.ordinal) for hit in expected]
    assert all(letter_id != "CM17-0015957" for letter_id, _ in listed)
    assert "Outcomes among the" in html and '<svg viewBox="0 0 1000 10"' in html
    assert "HX-Request" in response["Vary"] and "HX-Target" in response["Vary"]


def test_item_similar_page_over_a_synthetic_corpus(client, db, tmp_path):
    write_corpus(tmp_path / "letters", 30, seed=5)
    report = ingest_paths([tmp_path / "letters"])
    assert not report.rejected and report.ingested == 30
    letter = Letter.objects.order_by("public_id").first()
    for determination in letter.determinations.all():
        url = f"/letters/{letter.public_id}/items/{determination.ordinal}/similar/"
        response = client.get(url)
        html = body(response)
        assert response.status_code == 200
        listed = similar_links(html)
        assert 0 < len(listed) <= SIMILAR_PER_ITEM
        assert all(letter_id != letter.public_id for letter_id, _ in listed)
        assert all(Letter.objects.filter(public_id=letter_id).exists() for letter_id, _ in listed)
        assert 'class="badge badge-synthetic">Synthetic</span></li>' in html
        assert "Synthetic sample data" in html


def test_item_similar_for_unknown_letter_or_item_is_the_404_page(client, sample):
    unknown_letter = client.get("/letters/CM99-0000000/items/1/similar/")
    assert unknown_letter.status_code == 404
    html = body(unknown_letter)
    assert "We could not find that page" in html and "CM99-0000000" in html
    items = Letter.objects.get(public_id="CM17-0015957").determinations.count()
    for ordinal in (items + 1, 0, 99999999999999999999):
        response = client.get(f"/letters/CM17-0015957/items/{ordinal}/similar/")
        assert response.status_code == 404, ordinal
        assert "We could not find that page" in body(response)
    assert client.get("/letters/CM17-0015957/items/x/similar/").status_code == 404
    hostile = client.get("/letters/%3Cscript%3E/items/1/similar/")
    assert hostile.status_code == 404 and "<script>" not in body(hostile)


def test_htmx_request_for_the_similar_container_gets_only_the_list(client, sample):
    response = client.get(
        "/letters/CM17-0015957/items/2/similar/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="similar-2",
    )
    html = body(response)
    assert response.status_code == 200
    assert "<html" not in html and "<header" not in html and "<h1" not in html
    assert html.lstrip().startswith(("<ol", "<p"))
    assert similar_links(html)
    assert "HX-Request" in response["Vary"] and "HX-Target" in response["Vary"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_HX_REQUEST": "true", "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"},
        {"HTTP_HX_REQUEST": "true", "HTTP_HX_BOOSTED": "true", "HTTP_HX_TARGET": "similar-2"},
        {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "similar-1"},  # another item's container
        {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"},
        {"HTTP_HX_REQUEST": "true"},
    ],
    ids=["plain", "history-restore", "boosted", "other-item", "other-target", "no-target"],
)
def test_every_other_similar_request_gets_the_full_page(client, sample, headers):
    response = client.get("/letters/CM17-0015957/items/2/similar/", **headers)
    html = body(response)
    assert response.status_code == 200
    assert "<html" in html and "<h1>Precedents similar to item 2 of case CM17-0015957</h1>" in html
    assert "HX-Request" in response["Vary"]


def test_item_similar_escapes_letter_text(client, db):
    hostile_letter("Denied. <script>window.__pwned=1</script> See MTUS.")
    other = hostile_letter("Denied. <script>window.__pwned=2</script>", case_number="CM16-0999998")
    url = f"/letters/{other.public_id}/items/2/similar/"
    fragment = body(client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="similar-2"))
    page = body(client.get(url))
    for html in (fragment, page):
        # The other hostile letter's item is listed, its request escaped.
        assert ("CM16-0999999", 2) in similar_links(html)
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "<script>window.__pwned" not in html


# --- the precedent finder ----------------------------------------------------------------------


def test_precedent_finder_ranks_items_and_compares_sections(client, sample):
    response = client.get(
        "/precedents/", {"text": "cognitive behavioral therapy 12 sessions for chronic pain"}
    )
    html = body(response)
    assert response.status_code == 200
    assert "Closest" in html and "/letters/" in html and "#item-" in html
    assert "overturned" in html and "Guideline sections cited" in html
    assert 'name="text"' in html and "cognitive behavioral therapy 12 sessions" in html


def test_precedent_finder_empty_and_hostile_inputs(client, sample):
    assert client.get("/precedents/").status_code == 200
    for params in (
        {"text": "<script>alert(1)</script>"},
        {"text": "x" * 100_000, "category": "\x00", "specialty": "<b>"},
        {"text": "   ", "category": "Nope"},
    ):
        response = client.get("/precedents/", params)
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in body(response)


# --- feed and CSV ------------------------------------------------------------------------------


def test_search_feed_is_atom_with_entries(client, sample):
    response = client.get("/feeds/search/", {"q": "mri", "outcome": "upheld"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text.startswith("IMR decisions")
    entries = root.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        assert entry.find(f"{ATOM}id").text.startswith("http://testserver/letters/")
        assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver/letters/")
        assert entry.find(f"{ATOM}title").text.startswith("Upheld: ")
    dates = [e.find(f"{ATOM}updated").text for e in entries]
    assert dates == sorted(dates, reverse=True)  # newest first


def test_csv_export_has_cap_line_header_and_rows(client, sample):
    response = client.get("/export/search.csv", {"q": "therapy"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = body(response).splitlines()
    assert lines[0].startswith("# ") and "capped at 5000 rows" in lines[0]
    rows = list(csv.reader(io.StringIO("\n".join(lines[1:]))))
    assert rows[0] == [
        "letter_id",
        "case_number",
        "decision_date",
        "ordinal",
        "request",
        "outcome",
        "category",
        "specialties",
        "guidelines",
        "url",
        "case_outcome",
        "reason_labels",
        "request_sessions",
        "request_quantity",
        "request_frequency",
        "request_duration",
        "request_strength",
    ]
    total = body(client.get("/", {"q": "therapy"}))
    assert len(rows) > 1 and f"<strong>{len(rows) - 1}</strong>" in total
    assert all(row[9].startswith("http://testserver/letters/") for row in rows[1:])
    assert {row[5] for row in rows[1:]} <= {"upheld", "overturned"}


def test_csv_export_guards_against_formula_injection(client, db):
    hostile_letter('=HYPERLINK("http://evil")', case_number="CM16-0888888")
    Determination.objects.filter(ordinal=1).update(request="=cmd|' /C calc'!A0")
    from search.indexing import rebuild_index

    rebuild_index()
    text = body(client.get("/export/search.csv"))
    rows = list(csv.reader(io.StringIO("\n".join(text.splitlines()[1:]))))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells and not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'=cmd|' /C calc'!A0" in cells
