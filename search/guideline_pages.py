"""A page per guideline or guideline section (for example "MTUS > Chronic Pain > Opioids", or
"ODG > Low Back"): how the items citing it were decided, in numbers.

Everything comes from the search index's facet counts (each is a count of items, never a
prediction): the items citing the label split by outcome, then by decision year, reviewer
specialty and decision reason. The labels are those of search.letters.citations, as the
`guideline` and `section` facets hold them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from search.backends import get_backend
from search.engine.contract import SearchSpec
from search.engine.facets import FACETS_BY_NAME, MAX_VALUE_CHARS
from search.letters import domain
from search.letters.reasons import reason_label
from search.searching import Breakdown, Hit, SearchRequest, run_search

LABEL_SEPARATOR = " > "
ITEMS_LISTED = 20
TOP_REASONS = 5
COUNTED = ("year", "specialty", "reason", "section")


class UnknownGuideline(ValueError):
    """No item cites this label; the message says so, for the reader."""


@dataclass(frozen=True)
class RateRow(Breakdown):
    """One bar of a chart: a year, a specialty or a section, and its items' outcomes."""

    label: str = ""
    querystring: str = ""  # the search for exactly these items

    @property
    def percent(self) -> int:
        return round(100 * self.rate)

    def as_json(self) -> dict:
        return {"label": self.label, "upheld": self.upheld, "overturned": self.overturned,
                "overturn_rate": round(self.rate, 4)}


@dataclass(frozen=True)
class ReasonCount:
    code: str
    label: str
    count: int
    querystring: str

    def as_json(self) -> dict:
        return {"reason": self.code, "label": self.label, "count": self.count}


@dataclass
class GuidelinePage:
    label: str
    facet: str  # "guideline" or "section": the facet the label is a value of
    breakdown: Breakdown
    by_year: list[RateRow] = field(default_factory=list)
    by_specialty: list[RateRow] = field(default_factory=list)
    reasons_upheld: list[ReasonCount] = field(default_factory=list)
    reasons_overturned: list[ReasonCount] = field(default_factory=list)
    sections: list[RateRow] = field(default_factory=list)  # a guideline's sections
    items: list[Hit] = field(default_factory=list)  # the newest ITEMS_LISTED

    @property
    def parts(self) -> list[str]:
        return self.label.split(LABEL_SEPARATOR)

    @property
    def parent(self) -> str:
        """The guideline a section belongs to ("" for a guideline)."""
        return LABEL_SEPARATOR.join(self.parts[:2]) if self.facet == "section" else ""

    @property
    def querystring(self) -> str:
        """The search for every item citing the label."""
        return urlencode({self.facet: self.label})

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "facet": self.facet,
            "total": self.breakdown.total,
            "breakdown": {"upheld": self.breakdown.upheld,
                          "overturned": self.breakdown.overturned,
                          "overturn_rate": round(self.breakdown.rate, 4)},
            "by_year": [row.as_json() for row in self.by_year],
            "by_specialty": [row.as_json() for row in self.by_specialty],
            "reasons": {"upheld": [r.as_json() for r in self.reasons_upheld],
                        "overturned": [r.as_json() for r in self.reasons_overturned]},
            "sections": [row.as_json() for row in self.sections],
            "search": "/?" + self.querystring,
        }


def facet_of_label(label: str) -> str:
    """ "MTUS > Chronic Pain > Opioids" is a section, "MTUS > Chronic Pain" a guideline."""
    return "section" if label.count(LABEL_SEPARATOR) >= 2 else "guideline"


def guideline_page(label: str) -> GuidelinePage:
    label = " ".join(label.split())
    if not label or len(label) > MAX_VALUE_CHARS:
        raise UnknownGuideline("Name a guideline or section, e.g. MTUS > Chronic Pain > Opioids.")
    facet = facet_of_label(label)
    backend = get_backend()
    counts = {
        outcome: backend.search(SearchSpec(
            filters={facet: (label,), "outcome": (outcome,)}, limit=1, count_facets=COUNTED))
        for outcome in domain.OUTCOMES
    }
    upheld, overturned = counts[domain.UPHELD], counts[domain.OVERTURNED]
    # A value no item has is left out of a search (EngineResult.ignored_filters), which
    # would then count every item.
    if facet in upheld.ignored_filters or upheld.total + overturned.total == 0:
        raise UnknownGuideline(f"No decided item cites {label}.")
    page = GuidelinePage(label, facet, Breakdown(upheld=upheld.total,
                                                 overturned=overturned.total))
    base = {facet: label}
    page.by_year = sorted(_rows("year", upheld.facets, overturned.facets, base),
                          key=lambda row: row.label)
    page.by_specialty = sorted(_rows("specialty", upheld.facets, overturned.facets, base),
                               key=lambda row: (-row.total, row.label))
    page.reasons_upheld = _reasons(upheld.facets, base, domain.UPHELD)
    page.reasons_overturned = _reasons(overturned.facets, base, domain.OVERTURNED)
    if facet == "guideline":
        prefix = label + LABEL_SEPARATOR
        page.sections = sorted(
            (row for row in _rows("section", upheld.facets, overturned.facets, {})
             if row.label.startswith(prefix)),
            key=lambda row: (-row.total, row.label))
    listing = run_search(SearchRequest(selections={facet: (label,)}, sort="newest"),
                         per_page=ITEMS_LISTED, passages=False)
    page.items = listing.hits
    return page


def guideline_index() -> list[tuple[str, int]]:
    """Every guideline cited, with its number of items, most cited first."""
    counts = get_backend().search(SearchSpec(limit=1, count_facets=("guideline",))).facets
    return sorted(counts.get("guideline", []), key=lambda pair: (-pair[1], pair[0]))


def _rows(name: str, upheld: dict, overturned: dict, base: dict) -> list[RateRow]:
    up, over = dict(upheld.get(name, [])), dict(overturned.get(name, []))
    facet = FACETS_BY_NAME[name]
    return [
        RateRow(upheld=up.get(value, 0), overturned=over.get(value, 0),
                label=facet.label_of(value), querystring=urlencode({**base, name: value}))
        for value in set(up) | set(over)
    ]


def _reasons(counts: dict, base: dict, outcome: str) -> list[ReasonCount]:
    ranked = sorted(counts.get("reason", []), key=lambda pair: (-pair[1], pair[0]))
    return [
        ReasonCount(code, reason_label(code), count,
                    urlencode({**base, "outcome": outcome, "reason": code}))
        for code, count in ranked[:TOP_REASONS]
    ]
