"""The attorney's pages in a real browser: Debian's chromium driven by Playwright for Python.

Skipped with a reason when /usr/bin/chromium is missing, unless IMR_REQUIRE_BROWSER=1 (CI),
which turns the skip into a failure. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from search.models import Determination, Letter
from tests.web.test_views import hostile_letter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("IMR_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (IMR_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop running in this thread; the test's own
    # database work (fixtures, flushes) is still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(live_server, live_corpus):
    return live_server.url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" else None,
    )
    yield page
    context.close()
    # A CSP violation or a script error shows up here.
    assert not errors, errors


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def total(page) -> int:
    text = page.locator("#results .results-total strong").inner_text()
    return int(text.replace(",", ""))


def hit_titles(page) -> list[str]:
    return page.locator("#results .hit-title a").all_inner_texts()


def wait_for_url(page, pattern: str) -> None:
    page.wait_for_url(re.compile(pattern))
    page.wait_for_load_state("networkidle")


def test_typing_updates_results_and_the_url(site, page):
    page.goto(site + "/")
    everything = total(page)
    page.locator("#q").press_sequentially("therapy", delay=40)
    wait_for_url(page, r"\?q=therapy$")
    assert page.locator("#q").input_value() == "therapy"
    assert 0 < total(page) < everything
    assert page.locator("#results mark").count() > 0
    # Typing never lost the focus to the swap.
    assert page.evaluate("document.activeElement.id") == "q"


def test_ticking_two_facets_updates_counts_and_the_url(site, page):
    page.goto(site + "/?q=therapy")
    before = total(page)
    page.locator("#facet-outcome-upheld").check()
    wait_for_url(page, r"outcome=upheld")
    after_one = total(page)
    assert after_one < before
    assert page.evaluate("document.activeElement.id") == "facet-outcome-upheld"
    # The other outcome stays listed with its count (a facet is counted without itself).
    assert page.locator("#facet-outcome-overturned").is_visible()

    specialty = page.locator("#facet-specialty input[type=checkbox]").first
    specialty_id = specialty.get_attribute("id")
    specialty.check()
    wait_for_url(page, r"outcome=upheld.*specialty=|specialty=.*outcome=upheld")
    assert total(page) <= after_one
    assert page.locator(f"#{specialty_id}").is_checked()
    assert page.locator("#facet-outcome-upheld").is_checked()


def test_the_copied_url_shows_the_same_results_in_a_fresh_browser(site, page, browser):
    page.goto(site + "/")
    page.locator("#q").fill("cognitive behavioral")
    wait_for_url(page, r"q=cognitive")
    page.locator("#facet-outcome-upheld").check()
    wait_for_url(page, r"outcome=upheld")
    url, titles, count = page.url, hit_titles(page), total(page)

    fresh = browser.new_context(viewport=DESKTOP)
    try:
        other = fresh.new_page()
        other.goto(url)
        assert other.locator("#q").input_value() == "cognitive behavioral"
        assert other.locator("#facet-outcome-upheld").is_checked()
        assert total(other) == count
        assert hit_titles(other) == titles
    finally:
        fresh.close()


def test_back_restores_the_previous_search_with_the_query_box_filled(site, page):
    page.goto(site + "/")
    page.locator("#q").fill("therapy")
    page.locator("#q").press("Enter")
    wait_for_url(page, r"\?q=therapy$")
    therapy_titles = hit_titles(page)
    page.locator("#q").fill("mri")
    page.locator("#q").press("Enter")
    wait_for_url(page, r"\?q=mri$")
    assert hit_titles(page) != therapy_titles

    page.go_back()
    wait_for_url(page, r"\?q=therapy$")
    expect(page.locator("#q")).to_have_value("therapy")
    assert hit_titles(page) == therapy_titles

    page.go_forward()
    wait_for_url(page, r"\?q=mri$")
    expect(page.locator("#q")).to_have_value("mri")


def test_without_javascript_one_can_search_and_filter(site, browser):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site + "/")
        page.locator("#q").fill("therapy")
        page.get_by_role("button", name="Search", exact=True).click()
        page.wait_for_url(re.compile(r"q=therapy"))
        with_query = total(page)
        page.locator("#facet-outcome-overturned").check()
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url(re.compile(r"outcome=overturned"))
        assert total(page) < with_query
        assert page.locator("#q").input_value() == "therapy"
        assert page.locator("#facet-outcome-overturned").is_checked()
    finally:
        context.close()


def test_an_item_link_lands_on_the_item(site, page):
    letter = next(letter for letter in Letter.objects.all() if letter.determinations.count() >= 4)
    page.goto(f"{site}/letters/{letter.public_id}/#item-2")
    item = page.locator("#item-2")
    assert item.is_visible()
    box = item.bounding_box()
    assert box is not None and 0 <= box["y"] < DESKTOP["height"] / 2
    assert page.evaluate("document.querySelector(':target').id") == "item-2"


def test_similar_precedents_load_when_an_item_is_opened(site, page):
    letter = next(letter for letter in Letter.objects.all() if letter.determinations.count() >= 2)
    fetched: list[str] = []
    page.on(
        "request",
        lambda request: fetched.append(request.url) if "/similar/" in request.url else None,
    )
    page.goto(f"{site}/letters/{letter.public_id}/")
    page.wait_for_load_state("networkidle")
    assert fetched == []  # the letter renders without them
    similar = page.locator("#item-1 details.similar")
    summary = similar.locator("summary")
    assert summary.inner_text() == "Similar precedents"
    summary.click()
    expect(similar.locator(".similar-list li").first).to_be_visible()
    assert similar.locator(".similar-list a[href*='#item-']").count() > 0
    # Closed and opened again, the list is still there and is not fetched twice.
    summary.click()
    summary.click()
    page.wait_for_load_state("networkidle")
    expect(similar.locator(".similar-list li").first).to_be_visible()
    assert fetched == [f"{site}/letters/{letter.public_id}/items/1/similar/"]
    assert page.locator("#item-2 .similar-list").count() == 0  # other items wait their turn
    # The page fixture fails the test on any console error or CSP violation.


def test_similar_precedents_without_javascript(site, browser):
    letter = next(letter for letter in Letter.objects.all() if letter.determinations.count() >= 2)
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{site}/letters/{letter.public_id}/")
        page.locator("#item-1 details.similar summary").click()
        page.get_by_role("link", name="Similar precedents for item 1 on their own page").click()
        page.wait_for_url(re.compile(r"/items/1/similar/$"))
        assert page.locator(".similar-list li").count() > 0
        page.get_by_role("link", name=re.compile(r"Back to item 1")).click()
        page.wait_for_url(re.compile(rf"/letters/{re.escape(letter.public_id)}/#item-1$"))
    finally:
        context.close()


def test_a_letter_holding_a_script_runs_nothing(site, page):
    letter = hostile_letter("Denied as written. <script>window.__pwned=1</script> End.")
    page.goto(f"{site}/letters/{letter.public_id}/?q=denied")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert "<script>window.__pwned=1</script>" in page.locator("#item-2").inner_text()
    assert page.locator("#item-2 img").count() == 0


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_the_pages(site, browser, viewport):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = "desktop" if viewport == DESKTOP else "phone"
    letter = Letter.objects.filter(case_number__startswith="CM").order_by("public_id").first()
    # An item whose request states how much: its size shows under the request.
    sized = next(item for item in Determination.objects.order_by("letter__public_id", "ordinal")
                 if len(item.request_size) >= 3)
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        for label, path in [
            ("search", "/?q=cognitive+behavioral+therapy"),
            ("search-empty", "/"),
            ("letter", f"/letters/{letter.public_id}/?q=therapy#item-1"),
            ("letter-request-size", f"/letters/{sized.letter.public_id}/#item-{sized.ordinal}"),
            ("item-similar", f"/letters/{letter.public_id}/items/1/similar/"),
            ("precedents", "/precedents/?text=12+sessions+cognitive+behavioral+therapy"),
        ]:
            page.goto(site + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(SCREENSHOTS / f"{label}-{name}.png"))
        if name == "phone":
            # The filters fold above the results on a phone.
            page.goto(site + "/?q=therapy")
            assert not page.locator("details.filters").evaluate("d => d.open")
    finally:
        context.close()


def test_more_filters_dates_and_chips(site, page):
    page.goto(site + "/?q=therapy")
    everything = total(page)
    more = page.locator("#more-filters")
    assert not more.evaluate("d => d.open")
    more.locator("summary").click()
    assert more.evaluate("d => d.open")
    date_from = page.get_by_label("Decision date From")
    date_from.click(position={"x": 12, "y": 10})  # the month, the first part
    # Typing a date part by part sends one search, when the field is left.
    date_from.press_sequentially("01012017", delay=30)
    page.wait_for_timeout(400)
    assert "decided_from" not in page.url
    page.locator("#q").focus()
    wait_for_url(page, r"decided_from=2017-01-01")
    assert page.get_by_label("Decision date From").input_value() == "2017-01-01"
    assert total(page) < everything
    # The section stays open across the swap; a chip names the filter and removes it.
    assert page.locator("#more-filters").evaluate("d => d.open")
    page.locator("#facet-case_outcome-upheld").check()
    wait_for_url(page, r"case_outcome=Upheld")
    chip = page.get_by_role("link", name=re.compile(r"Remove filter Decision date"))
    expect(chip).to_be_visible()
    chip.click()
    wait_for_url(page, r"^(?!.*decided_from).*case_outcome=Upheld")
    assert page.get_by_label("Decision date From").input_value() == ""
    assert page.locator("#facet-case_outcome-upheld").is_checked()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_more_filters(site, browser, viewport):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = "desktop" if viewport == DESKTOP else "phone"
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        # Opened by the reader, nothing set yet.
        page.goto(site + "/?q=therapy")
        page.wait_for_load_state("networkidle")
        if name == "phone":
            page.locator("details.filters > summary").click()
        page.locator("#more-filters > summary").click()
        page.screenshot(path=str(SCREENSHOTS / f"search-more-open-{name}.png"))
        # Some filters set: the section opens by itself and the chips list them.
        page.goto(
            site + "/?q=therapy&decided_from=2016-12-01&decided_to=2017-03-31"
            "&case_outcome=Upheld&days_to_decision=15-30&outcome=upheld"
        )
        page.wait_for_load_state("networkidle")
        assert page.locator("#more-filters").evaluate("d => d.open")
        assert page.locator(".active-filters a").count() == 5
        page.screenshot(path=str(SCREENSHOTS / f"search-more-active-{name}.png"))
        if name == "phone":
            # On a phone the filters fold above the results and their chips; opened:
            page.locator("details.filters > summary").click()
            page.screenshot(path=str(SCREENSHOTS / f"search-more-active-open-{name}.png"))
    finally:
        context.close()


def test_more_filters_without_javascript(site, browser):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site + "/?q=therapy")
        page.locator("#more-filters > summary").click()
        page.locator("#received_from").fill("2016-11-15")
        page.locator("#facet-days_to_decision-15-30").check()
        page.locator("#more-filters").get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"(?=.*days_to_decision=15-30)(?=.*received_from=2016-11-15)"))
        assert page.locator("#received_from").input_value() == "2016-11-15"
        assert page.locator("#facet-days_to_decision-15-30").is_checked()
    finally:
        context.close()


# --- reading, printing and citing a letter; the search page on every device ---------------------

# The one sample letter with nine disputed items (tests key letters by case number, never text).
NINE_ITEM_CASE = "CM17-0007142"
PRINTS = SCREENSHOTS.parent / "print"


def nine_item_letter() -> Letter:
    letter = Letter.objects.filter(case_number=NINE_ITEM_CASE).first()
    if letter is None or letter.determinations.count() != 9:
        pytest.skip(f"{NINE_ITEM_CASE} (nine items) is not among the sample letters")
    return letter


def test_a_letter_prints_as_a_clean_citation_copy(site, page):
    letter = nine_item_letter()
    page.goto(f"{site}/letters/{letter.public_id}/?q=therapy+request")
    assert page.locator(".letter-main mark").count() > 0  # marked on screen
    page.emulate_media(media="print")
    facts = page.locator(".facts-panel").bounding_box()
    summary = page.locator(".summary-prose")
    items = page.locator("section.item")
    assert items.count() == 9
    # The case facts come first, then the summary, then every item.
    assert facts["y"] < summary.bounding_box()["y"] < items.first.bounding_box()["y"]
    # The whole summary: no clipped box with a scroll of its own.
    assert summary.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
    assert summary.evaluate("e => getComputedStyle(e).overflowY") == "visible"
    # No heading is left without what it heads.
    assert not page.locator(".items-heading").is_visible()
    assert not page.locator(".item-index").is_visible()
    # The source's address is written out.
    after = page.locator(".source-link a").evaluate(
        "a => getComputedStyle(a, '::after').content"
    )
    assert f"caseno={letter.case_number}" in after
    # Quoted text prints as the letter has it: a searched word looks like its neighbours.
    mark = page.locator(".letter-main mark").first
    style = mark.evaluate(
        """m => { const s = getComputedStyle(m), p = getComputedStyle(m.parentElement);
        return [s.backgroundColor, s.fontWeight === p.fontWeight, s.textDecorationLine]; }"""
    )
    assert style == ["rgba(0, 0, 0, 0)", True, "none"]
    for selector in (".site-header", ".crumbs", ".similar", ".permalink", ".cite-line button"):
        assert not page.locator(selector).first.is_visible(), selector
    PRINTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 794, "height": 1123})  # an A4 page at 96 dpi
    page.screenshot(path=str(PRINTS / "letter-nine-items-print.png"), full_page=True)
    page.pdf(path=str(PRINTS / "letter-nine-items.pdf"), format="Letter")


def test_on_screen_the_summary_is_shown_whole(site, page):
    letter = nine_item_letter()
    page.goto(f"{site}/letters/{letter.public_id}/")
    summary = page.locator(".summary-prose")
    assert summary.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
    assert summary.evaluate("e => getComputedStyle(e).overflowY") == "visible"
    # The item's address is an icon, not "#item-N" text on every heading.
    assert "#item-" not in page.locator("#item-1 .item-title").inner_text()
    expect(page.get_by_role("link", name="Link to item 1")).to_have_attribute("href", "#item-1")


def test_a_hit_and_back_to_the_search_keep_the_whole_search(site, page):
    page.goto(site + "/?q=therapy&outcome=upheld&sort=newest")
    count, titles = total(page), hit_titles(page)
    link = page.locator("#results .hit-title a").first
    href = link.get_attribute("href")
    assert "q=therapy" in href and "outcome=upheld" in href and "sort=newest" in href
    link.click()
    page.wait_for_url(re.compile(r"/letters/"))
    back = page.get_by_role("link", name=re.compile("Back to the search"))
    back.click()
    wait_for_url(page, r"/\?(?=.*q=therapy)(?=.*outcome=upheld)(?=.*sort=newest)")
    assert page.locator("#facet-outcome-upheld").is_checked()
    assert page.locator("#sort").input_value() == "newest"
    assert total(page) == count and hit_titles(page) == titles


def history_length(page) -> int:
    return page.evaluate("history.length")


def test_typing_replaces_the_address_and_a_settled_search_adds_one_entry(site, page):
    page.goto(site + "/")
    start, everything = history_length(page), total(page)
    box = page.locator("#q")
    # Typed with pauses longer than the search's delay: a search after each pause.
    for part in ("physical", " thera", "py"):
        box.press_sequentially(part, delay=20)
        page.wait_for_timeout(600)
        page.wait_for_load_state("networkidle")
    wait_for_url(page, r"\?q=physical\+therapy$")
    assert history_length(page) == start + 1  # one entry for the whole typing
    with page.expect_response(lambda response: "q=physical" in response.url):
        box.press("Enter")  # settles the same search: no second entry for it
    page.wait_for_timeout(100)  # the swap after the response
    assert history_length(page) == start + 1
    page.locator("#facet-outcome-upheld").check()
    wait_for_url(page, r"outcome=upheld")
    assert history_length(page) == start + 2
    page.go_back()
    wait_for_url(page, r"\?q=physical\+therapy$")
    # Back asks the server for the page: wait until it is shown.
    expect(page.locator("#facet-outcome-upheld")).not_to_be_checked()
    expect(page.locator("#q")).to_have_value("physical therapy")
    page.go_back()
    wait_for_url(page, r"/$")
    expect(page.locator("#q")).to_have_value("")
    expect(page.locator("#results .results-total strong")).to_have_text(f"{everything:,}")


def announced(page) -> str:
    page.wait_for_function("document.getElementById('announcer').textContent.length > 0")
    return page.locator("#announcer").inner_text()


def test_one_live_region_outside_the_results_states_the_count_and_the_copies(site, page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(site + "/")
    region = page.locator("[aria-live], [role=status], [role=alert]")
    assert region.count() == 1
    assert region.get_attribute("id") == "announcer"
    assert region.get_attribute("aria-live") == "polite"
    assert page.locator("#results #announcer").count() == 0
    page.locator("#q").fill("therapy")
    page.locator("#q").press("Enter")
    wait_for_url(page, r"q=therapy")
    expect(page.locator("#announcer")).to_have_text(
        page.locator("#results .results-total").inner_text()
    )
    assert str(total(page)) in announced(page)
    # Still the one region after the swap.
    assert page.locator("[aria-live], [role=status], [role=alert]").count() == 1
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#announcer")).to_have_text("Link to this page copied")

    letter = nine_item_letter()
    page.goto(f"{site}/letters/{letter.public_id}/")
    page.locator("#item-2").get_by_role("button", name="Copy citation").click()
    citation = page.locator("#cite-2").inner_text()
    expect(page.locator("#announcer")).to_have_text(f"Citation copied: {citation}")


CLS_OBSERVER = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 500);
})"""


def test_on_a_phone_the_filters_come_folded_and_the_new_count_shows_where_one_is(site, browser):
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        sent = page.request.get(site + "/?q=therapy").text()
        assert '<details class="filters">' in sent  # folded by the server, not after load
        for _ in range(3):
            page.goto(site + "/?q=therapy")
            page.wait_for_load_state("networkidle")
            assert page.evaluate(CLS_OBSERVER) == 0
            assert not page.locator("details.filters").evaluate("d => d.open")
        # Opened and a value ticked: the results are far below, so the new count comes here.
        page.locator("details.filters > summary").click()
        page.locator("#facet-outcome-overturned").check()
        wait_for_url(page, r"outcome=overturned")
        jump = page.locator("#results-jump")
        expect(jump).to_be_visible()
        assert jump.inner_text().startswith(f"{total(page)} disputed item")
        box = jump.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]
        page.screenshot(path=str(SCREENSHOTS / "search-new-count-phone.png"))
        jump.click()
        expect(jump).to_be_hidden()
        pane = page.locator("#results-pane").bounding_box()
        assert -2 <= pane["y"] < PHONE["height"] / 2
        # The filters stayed open for the reader through the swap.
        assert page.locator("details.filters").evaluate("d => d.open")
    finally:
        context.close()


def test_on_a_wide_screen_the_filters_show_beside_the_results(site, browser):
    for javascript in (True, False):
        context = browser.new_context(viewport=DESKTOP, java_script_enabled=javascript)
        try:
            page = context.new_page()
            page.goto(site + "/?q=therapy")
            # Shown though sent folded, with and without the script.
            expect(page.locator("#facet-outcome-upheld")).to_be_visible()
            if javascript:
                assert page.evaluate(CLS_OBSERVER) == 0
                assert page.locator("details.filters").evaluate("d => d.open")
        finally:
            context.close()


def test_the_skip_link_reaches_the_results_first(site, page):
    page.goto(site + "/?q=therapy")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to the results"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The next stop is in the results, not in the query box or the filters.
    assert page.evaluate("!!document.activeElement.closest('#results-pane')")


def axe_violations(page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_violation_on_the_main_pages(site, browser, viewport):
    pytest.importorskip("axe_playwright_python")
    letter = nine_item_letter()
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        found = {}
        for path in [
            "/",
            "/?q=therapy&outcome=upheld",
            "/?q=nothing+matches+zzzqx",
            f"/letters/{letter.public_id}/?q=therapy",
            f"/letters/{letter.public_id}/items/1/similar/",
            "/precedents/",
            "/precedents/?text=12+sessions+cognitive+behavioral+therapy",
            "/letters/no-such-letter/",
        ]:
            page.goto(site + path)
            page.wait_for_load_state("networkidle")
            violations = axe_violations(page)
            if violations:
                found[path] = violations
        assert found == {}
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_a_nine_item_letter(site, browser, viewport):
    letter = nine_item_letter()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = "desktop" if viewport == DESKTOP else "phone"
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        page.goto(f"{site}/letters/{letter.public_id}/?q=therapy")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SCREENSHOTS / f"letter-nine-items-{name}.png"))
        full = SCREENSHOTS / f"letter-nine-items-full-{name}.png"
        page.screenshot(path=str(full), full_page=True)
    finally:
        context.close()
