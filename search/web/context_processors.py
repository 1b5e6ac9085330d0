"""What every page's template may use, added by Django to each render that has a request
(settings.TEMPLATES "context_processors"), so views pass only what is theirs."""

from __future__ import annotations

from django.http import HttpRequest

from search.models import Letter

# The header marks the section a page belongs to; the URL name says which that is.
NAV_SECTIONS = {
    "search": "search",
    "precedents": "precedents",
    "letter": "letter",
    "item-similar": "letter",
}


def data_is_synthetic() -> bool:
    """True when letters are loaded and none of them is real: the site-wide banner says so."""
    if Letter.objects.filter(synthetic=False).exists():
        return False
    return Letter.objects.exists()


def site(request: HttpRequest) -> dict:
    match = request.resolver_match
    return {
        # The function, not its answer: a template calls it when it reads the value, so only
        # pages that show the banner query for it (not fragments, not the admin).
        "data_is_synthetic": data_is_synthetic,
        "nav": NAV_SECTIONS.get(match.url_name, "") if match else "",
    }
