"""The attorney's pages in a real browser: Debian's chromium driven by Playwright for Python.

Skipped with a reason when /usr/bin/chromium is missing, unless IMR_REQUIRE_BROWSER=1 (CI),
which turns the skip into a failure. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from search.models import Letter
from tests.web.test_views import hostile_letter, load_sample_letters

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
def site(live_server, letters_dir, settings, tmp_path_factory):
    load_sample_letters(letters_dir, settings, tmp_path_factory)
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
    wait_for_url(page, r"\?q=therapy$")
    therapy_titles = hit_titles(page)
    page.locator("#q").fill("mri")
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
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        for label, path in [
            ("search", "/?q=cognitive+behavioral+therapy"),
            ("search-empty", "/"),
            ("letter", f"/letters/{letter.public_id}/?q=therapy#item-1"),
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
