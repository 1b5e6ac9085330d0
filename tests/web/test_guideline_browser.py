"""The guideline page in a real browser, at desktop and phone widths, with and without
JavaScript (set-up and skips as in test_browser.py). Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.web.test_browser import (  # noqa: F401  (fixtures)
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    TIMEOUT_MS,
    browser,
    expect,
    site,
)
from tests.web.test_guideline_page import cited_section

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("scripts", [True, False], ids=["js", "no-js"])
def test_the_guideline_page_reads_at_both_widths(site, browser, viewport, scripts):  # noqa: F811
    section = cited_section()
    name = "desktop" if viewport == DESKTOP else "phone"
    context = browser.new_context(viewport=viewport, java_script_enabled=scripts)
    context.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{site}/guidelines/?{urlencode({'label': section})}")
        page.wait_for_load_state("networkidle")
        expect(page.locator("h1")).to_have_text(section)
        # The charts: one bar per year and per specialty, drawn without script.
        bars = page.locator(".rate-chart .rate-bar")
        assert bars.count() >= 2
        box = bars.first.bounding_box()
        assert box and box["width"] > 20 and box["height"] > 4
        # Nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        if scripts:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"guideline-{name}.png"))
            page.screenshot(path=str(SCREENSHOTS / f"guideline-{name}-full.png"), full_page=True)
        # Its link into the search lands on the search filtered by it.
        page.get_by_role("link", name="Search every one of them").click()
        page.wait_for_load_state("networkidle")
        assert "section=" in page.url
        chips = page.locator("body").inner_text()
        assert section.split(" > ")[-1] in chips
    finally:
        context.close()
    assert not errors, errors
