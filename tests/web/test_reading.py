"""Reading and citing a letter, and the search page's markup, server side: what the browser tests
(test_browser.py) rely on, checked without a browser, over the sample letters stored through the
real ingest path. Letters are keyed by case number and item ordinal, never by their text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from search.models import Determination, Letter
from search.searching import similar_to_text
from tests.web.test_views import body, hostile_letter

# A modified request whose remaining portion is a fragment ("with ..."), in the sample letters.
FRAGMENT_ITEM = ("CM17-0015218", 1)
# A denial pasted into the search box; written here, not taken from a letter.
PASTED = (
    "The request for 12 sessions of physical therapy was non-certified under the MTUS guidelines,"
    " because the patient already had 24 sessions of therapy without functional improvement and"
    " was not under a home exercise program."
)
LAB_TEST = re.compile(r"\bPT\s*/\s*(?:PTT|INR)", re.IGNORECASE)
MARK = re.compile(r"<mark>(.*?)</mark>", re.IGNORECASE | re.DOTALL)


@pytest.fixture
def sample(isolated_corpus) -> int:
    return isolated_corpus.letters


class Elements(HTMLParser):
    """Every start tag with its attributes and the ids of its open ancestors."""

    VOID = {"meta", "link", "input", "br", "img", "hr", "source", "path", "use"}

    def __init__(self, html: str):
        super().__init__()
        self.open: list[tuple[str, dict]] = []
        self.found: list[tuple[str, dict, list[tuple[str, dict]]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.found.append((tag, attributes, list(self.open)))
        if tag not in self.VOID:
            self.open.append((tag, attributes))

    def handle_startendtag(self, tag, attrs):
        self.found.append((tag, dict(attrs), list(self.open)))

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                break


def pages(letter: Letter) -> list[str]:
    return [
        "/?q=therapy",
        f"/letters/{letter.public_id}/?q=therapy",
        f"/letters/{letter.public_id}/items/1/similar/",
        "/precedents/?text=physical+therapy",
    ]


def test_pages_use_only_data_hx_attributes_and_have_a_description(client, sample):
    letter = Letter.objects.filter(case_number__startswith="CM").first()
    fragment = body(
        client.get("/", {"q": "therapy"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    )
    assert "data-hx-get" in fragment
    for path in pages(letter):
        html = body(client.get(path))
        elements = Elements(html).found
        bare = {name for _, attrs, _ in elements for name in attrs if name.startswith("hx-")}
        assert bare == set(), path
        descriptions = [
            a for tag, a, _ in elements if tag == "meta" and a.get("name") == "description"
        ]
        assert len(descriptions) == 1 and len(descriptions[0]["content"]) > 40, path
    for _, attrs, _ in Elements(fragment).found:
        assert not any(name.startswith("hx-") for name in attrs)
    letter_page = body(client.get(f"/letters/{letter.public_id}/"))
    assert f'content="IMR final determination {letter.case_number}, decided' in letter_page


def test_the_synthetic_banner_is_inside_the_header_landmark(client, db):
    hostile_letter("Plain rationale.", case_number="SY16-0000002")
    for path in ("/", "/precedents/"):
        banners = [
            ancestors
            for tag, attrs, ancestors in Elements(body(client.get(path))).found
            if "banner-synthetic" in attrs.get("class", "")
        ]
        assert len(banners) == 1
        assert "header" in [tag for tag, _ in banners[0]], path


def test_one_live_region_outside_the_results_and_the_filters_sent_folded(client, sample):
    elements = Elements(body(client.get("/", {"q": "therapy"}))).found
    live = [
        (attrs, ancestors)
        for _, attrs, ancestors in elements
        if "aria-live" in attrs or attrs.get("role") in ("status", "alert")
    ]
    assert len(live) == 1
    attrs, ancestors = live[0]
    assert attrs["id"] == "announcer" and attrs["aria-live"] == "polite"
    assert "results" not in [a.get("id") for _, a in ancestors]
    filters = [
        attrs
        for tag, attrs, _ in elements
        if tag == "details" and "filters" in attrs.get("class", "").split()
    ]
    assert len(filters) == 1 and "open" not in filters[0]
    # The skip link is the page's first link and leads to the results.
    first_link = next(attrs for tag, attrs, _ in elements if tag == "a")
    assert first_link["href"] == "#results-pane"
    assert any(a.get("id") == "results-pane" for _, a, _ in elements)


def test_a_hit_links_with_the_whole_search_and_the_letter_links_back_to_it(client, sample):
    search = {"q": "therapy", "outcome": "upheld", "sort": "newest", "category": "Rehabilitation"}
    html = body(client.get("/", search))
    hrefs = re.findall(r'<h3 class="hit-title">.*?<a href="([^"]+)"', html, re.DOTALL)
    assert hrefs
    for href in hrefs:
        url = urlsplit(href.replace("&amp;", "&"))
        assert parse_qs(url.query) == {key: [value] for key, value in search.items()}
        assert url.fragment.startswith("item-")
    letter_html = body(client.get(urlsplit(hrefs[0].replace("&amp;", "&")).path, search))
    back = re.search(r'<p class="crumbs"><a href="([^"]+)">← Back to the search', letter_html)
    assert back
    url = urlsplit(back.group(1).replace("&amp;", "&"))
    assert url.path == "/" and parse_qs(url.query) == {k: [v] for k, v in search.items()}
    assert "<mark>" in letter_html


def test_a_letter_opened_without_a_search_links_to_the_search_page(client, sample):
    letter = Letter.objects.filter(case_number__startswith="CM").first()
    html = body(client.get(f"/letters/{letter.public_id}/"))
    assert "Back to the search" not in html and "← Search decisions" in html


def test_a_fragment_heading_is_shown_with_its_request(client, sample):
    case, ordinal = FRAGMENT_ITEM
    item = Determination.objects.filter(letter__case_number=case, ordinal=ordinal).first()
    if item is None or not item.original_request:
        pytest.skip(
            f"{case} item {ordinal} (a fragment of a modified request) is not in the samples"
        )
    assert item.request.startswith("with ")
    html = body(client.get(f"/letters/{item.letter.public_id}/"))
    heading = re.search(rf'<h2 id="item-{ordinal}-title">(.*?)</h2>', html, re.DOTALL).group(1)
    assert item.original_request in heading and heading.rstrip().endswith(item.request)
    # No item heading is "#item-N" text; the permalink is an icon with a name.
    assert f">#item-{ordinal}<" not in html
    assert f'aria-label="Link to item {ordinal}"' in html


def test_a_pasted_text_marks_only_the_finders_words(client, sample):
    html = body(client.get("/", {"q": PASTED}))
    assert "pasted request or denial" in html
    marked = {m.lower() for m in MARK.findall(html)}
    assert marked, "nothing marked"
    assert not marked & {"12", "24", "was", "under", "had", "the", "request", "patient"}
    finder = similar_to_text(PASTED)
    finder_marked = {m.lower() for h in finder.hits for m in MARK.findall(h.snippet_html)}
    assert not finder_marked & {"12", "24", "was", "under", "had", "the"}


def test_prothrombin_time_is_not_listed_for_physical_therapy_on_the_page(client, sample):
    lab = next((d for d in Determination.objects.all() if LAB_TEST.search(d.request)), None)
    if lab is None:
        pytest.skip("no PT/PTT lab request in the sample letters")
    html = body(client.get("/", {"q": "physical therapy"}))
    titles = re.findall(r'<h3 class="hit-title">.*?<a href="[^"]+">(.*?)</a>', html, re.DOTALL)
    assert titles
    assert not any(LAB_TEST.search(title) for title in titles)
    # The lab request itself is found by its own words.
    found = body(client.get("/", {"q": "PT/PTT"}))
    assert f"/letters/{lab.letter.public_id}/" in found
