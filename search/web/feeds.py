"""An Atom feed of the newest decisions matching a search, so a user can follow the search.

`/feeds/search/?<search parameters>` takes the same parameters as the search page; the sort and
page are fixed (newest first, first page) because a feed reader wants what is new.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, time

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe

from search.searching import run_search
from search.web.forms import SearchForm
from search.web.hit_formats import feed_categories, feed_description, feed_title

FEED_ITEMS = 20
# XML 1.0 cannot carry most control characters; letters (form feeds) and URLs may hold them.
_NOT_XML = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def xml_text(value: str) -> str:
    return "".join(
        ch
        for ch in value.translate(_NOT_XML)
        if not 0xD800 <= ord(ch) <= 0xDFFF and ch not in "\ufffe\uffff"
    )


class SearchFeed(Feed):
    feed_type = Atom1Feed
    author_name = "IMR precedent search"

    @method_decorator(require_safe)
    def __call__(self, request, *args, **kwargs):
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, *args, **kwargs):
        search = SearchForm(request.GET).search_request()
        return dataclasses.replace(search, sort="newest", page=1)

    def title(self, search):
        what = f"“{search.q}”" if search.q else "all decisions"
        parts = [", ".join(v) for v in search.filters.values()]
        parts += [f"{r.label.lower()} {r.summary}" for r in search.date_ranges if r.is_set]
        filters = "; ".join(parts)
        return xml_text(f"IMR decisions: {what}" + (f" ({filters})" if filters else ""))

    def subtitle(self, search):
        return "The newest California IMR final determinations matching this search."

    def link(self, search):
        querystring = dataclasses.replace(search, sort="relevance").querystring()
        return reverse("search") + (f"?{querystring}" if querystring else "")

    def feed_url(self, search):
        querystring = search.querystring()
        return reverse("search-feed") + (f"?{querystring}" if querystring else "")

    def items(self, search):
        return run_search(search).hits[:FEED_ITEMS]

    def item_title(self, hit):
        return xml_text(feed_title(hit))

    def item_description(self, hit):
        return xml_text(feed_description(hit))

    def item_link(self, hit):
        return hit.url

    def item_pubdate(self, hit):
        return _as_datetime(hit.decision_date)

    def item_updateddate(self, hit):
        return _as_datetime(hit.decision_date)

    def item_categories(self, hit):
        return feed_categories(hit)


def _as_datetime(day):
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time(12, 0)))
