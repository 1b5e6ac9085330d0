"""Every facet and date range, declared once (engine-neutral: no Django, no Whoosh).

A facet's `name` is its URL parameter, its index field and its key in an ItemDocument's
`facets`; from FACETS derive the Whoosh schema's facet fields, the documents the service hands
to a backend (`search.indexing`), the benchmark peers' documents, and the search form's fields
and their validation (`search.searching`, `search.web`). FACETS is in display order.

Adding a facet: one `Facet(...)` here, and its values in `search.indexing.document_for_item`;
then `manage.py rebuild_index` (a new index field).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from search.letters import domain
from search.letters.categories import official_category_value
from search.letters.reasons import REASON_CODES, REASONS_BY_CODE
from search.letters.request_size import SESSION_BUCKET_LABELS, SESSION_BUCKET_VALUES
from search.letters.specialties import official_specialty
from search.letters.timeliness import BUCKET_LABELS, BUCKET_VALUES

MAX_VALUE_CHARS = 300  # a longer value is never a facet value

# How a facet lists its values under the search box.
BY_COUNT = "count"  # most items first (then by label), at most MAX_LISTED values
NEWEST_FIRST = "newest"  # by value, descending (years)
KNOWN_FIRST = "known"  # the known values first, in their order, then the others by value
FIXED = "fixed"  # exactly `values`, in their order, zero counts included
MAX_LISTED = 50


def _same(value: str) -> str | None:
    return value


@dataclass(frozen=True)
class Facet:
    name: str  # URL parameter, index field and ItemDocument.facets key
    label: str
    more: bool = False  # shown under the folded "More filters"
    multi: bool = False  # an item may have several values
    listing: str = BY_COUNT  # how the values are listed (BY_COUNT, NEWEST_FIRST, ...)
    values: tuple[str, ...] = ()  # the known values (all of them for FIXED), in order
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    normalise: Callable[[str], str | None] = _same  # canonical form; None: never valid

    def accept(self, value: str) -> str | None:
        """The canonical form of a value typed or sent for this facet, or None when it can
        never be one of its values."""
        if len(value) > MAX_VALUE_CHARS:
            return None
        return self.normalise(value)

    def label_of(self, value: str) -> str:
        return self.labels.get(value, value)

    @property
    def fixed(self) -> bool:
        """Lists all its values, in their order, zero counts included."""
        return self.listing == FIXED


OUTCOME_LABELS = MappingProxyType(domain.OUTCOME_LABELS)
PRIORITIES = ("Standard", "Expedited")
# The state's search says Uphold / Overturn / Partial Overturn; letters say Upheld / Overturned.
_CASE_OUTCOME_FORMS = {
    "upheld": domain.CASE_UPHELD,
    "uphold": domain.CASE_UPHELD,
    "overturned": domain.CASE_OVERTURNED,
    "overturn": domain.CASE_OVERTURNED,
    "partial overturn": domain.CASE_PARTIAL,
    "partial-overturn": domain.CASE_PARTIAL,
    "partially overturned": domain.CASE_PARTIAL,
    "partial": domain.CASE_PARTIAL,
}


def _outcome(value: str) -> str | None:
    value = value.lower()
    return value if value in OUTCOME_LABELS else None


def _year(value: str) -> str | None:
    return value if value.isdigit() and len(value) == 4 else None


def _priority(value: str) -> str | None:
    return next((p for p in PRIORITIES if p.lower() == value.lower()), None)


def _case_outcome(value: str) -> str | None:
    return _CASE_OUTCOME_FORMS.get(" ".join(value.lower().replace("_", " ").split()))


def _bucket(value: str) -> str | None:
    return value if value in BUCKET_VALUES else None


def _reason(value: str) -> str | None:
    value = value.strip().lower()
    return value if value in REASONS_BY_CODE else None


def _sessions(value: str) -> str | None:
    return value if value in SESSION_BUCKET_VALUES else None


def _category(value: str) -> str | None:
    return official_category_value(value) or value


def _bucket_facet(name: str, label: str) -> Facet:
    return Facet(
        name, label, more=True, listing=FIXED, values=BUCKET_VALUES,
        labels=MappingProxyType(dict(BUCKET_LABELS)), normalise=_bucket,
    )


FACETS: tuple[Facet, ...] = (
    Facet("outcome", "Outcome", listing=FIXED, values=tuple(OUTCOME_LABELS),
          labels=OUTCOME_LABELS, normalise=_outcome),
    Facet("category", "Treatment category", multi=True, normalise=_category),
    Facet("specialty", "Reviewer specialty", multi=True, normalise=official_specialty),
    Facet("source", "Guideline source", multi=True),
    Facet("guideline", "Guideline", multi=True),
    Facet("section", "Section or topic", multi=True),
    Facet("page_cited", "Page cited", multi=True),
    # Why: the reasons the reviewer gave (search.letters.reasons), most items first.
    Facet("reason", "Decision reason", multi=True, values=REASON_CODES,
          labels=MappingProxyType({c: r.label for c, r in REASONS_BY_CODE.items()}),
          normalise=_reason),
    Facet("year", "Decision year", listing=NEWEST_FIRST, normalise=_year),
    Facet("priority", "Priority", listing=KNOWN_FIRST, values=PRIORITIES, normalise=_priority),
    Facet("case_outcome", "Case outcome", more=True, listing=FIXED,
          values=domain.CASE_OUTCOMES, normalise=_case_outcome),
    # How many sessions a therapy request asked for (search.letters.request_size).
    Facet("sessions", "Sessions asked for", more=True, listing=FIXED,
          values=SESSION_BUCKET_VALUES, labels=MappingProxyType(dict(SESSION_BUCKET_LABELS)),
          normalise=_sessions),
    _bucket_facet("days_to_decision", "Days from application received to decision"),
    _bucket_facet("days_assigned_to_decision", "Days from assignment to decision"),
    _bucket_facet("days_denial_to_application", "Days from UR denial to application"),
)
FACET_NAMES: tuple[str, ...] = tuple(f.name for f in FACETS)
FACETS_BY_NAME: Mapping[str, Facet] = MappingProxyType({f.name: f for f in FACETS})


@dataclass(frozen=True)
class DateRange:
    prefix: str  # the URL parameters are <prefix>_from and <prefix>_to
    field: str  # the ItemDocument attribute and index field (a day number in Whoosh)
    label: str


DATE_RANGES: tuple[DateRange, ...] = (
    DateRange("decided", "decision_date", "Decision date"),
    DateRange("injured", "injury_date", "Date of injury"),
    DateRange("received", "received_date", "Application received"),
)
DATE_FIELDS: tuple[str, ...] = tuple(r.field for r in DATE_RANGES)
