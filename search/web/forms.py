"""The search's URL schema: every GET parameter that the search page, the API, the Atom feed and
the CSV export take, as one Django form, and the `SearchRequest` it gives the search service.

A search link is typed, pasted, shortened and edited by hand, so this form is never invalid: a
value it cannot use is dropped, or reset to its default, and `notices` says what was ignored, in
plain English, for the page to show beside the results. Nothing here raises on user input.

Facet parameters may repeat (OR within a facet, AND across facets); of any other parameter given
twice, the first counts (the date parameters: the first that is not blank).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django import forms

from search.searching import (
    DATE_PARAMS,
    DATE_RANGES,
    DEFAULT_SORT,
    FACETS,
    SORTS,
    SearchRequest,
)

MAX_QUERY_CHARS = 10_000
MAX_PAGE = 10_000


def parse_date(text: str) -> date | None:
    """ "2017-01-31" (what a date input sends) or "01/31/2017" (as the letters write dates)."""
    text = text.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    parts = text.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
        try:
            return date(int(parts[2]), int(parts[0]), int(parts[1]))
        except ValueError:
            return None
    return None


def printable_words(value: str) -> str:
    """The value without control or format characters, its whitespace collapsed."""
    return " ".join("".join(ch for ch in value if ch.isprintable()).split())


# --- Fields: each reads every value of its parameter and never fails


class RepeatableInput(forms.MultipleHiddenInput):
    """Every value of a parameter, from a QueryDict or a plain dict of lists or single values."""

    def value_from_datadict(self, data, files, name) -> list[str]:
        if hasattr(data, "getlist"):
            values = data.getlist(name)
        else:
            values = data.get(name, [])
            if isinstance(values, str | int):
                values = [values]
        return [str(value) for value in values if value is not None]


class FirstValueField(forms.Field):
    """A parameter that takes one value: the first given ("" when there is none); with
    `skip_blank`, the first that is not blank."""

    widget = RepeatableInput

    def __init__(self, *, skip_blank: bool = False, **kwargs):
        self.skip_blank = skip_blank
        super().__init__(required=False, **kwargs)

    def to_python(self, value: list[str]) -> str:
        if self.skip_blank:
            value = [v for v in value if v.strip()]
        return value[0] if value else ""


@dataclass(frozen=True)
class Selection:
    """A facet's values as the search takes them, and those it set aside as it read them."""

    values: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()


class FacetField(forms.Field):
    """A facet parameter, repeatable. Like a MultipleChoiceField whose choices are the values
    `canonical` accepts (the facet's rule in the registry, Facet.accept), except that a value
    outside them is set aside in `Selection.ignored`
    instead of failing the form. Accepted values come back canonical, once each, sorted."""

    widget = RepeatableInput

    def __init__(self, *, canonical: Callable[[str], str | None] = str, **kwargs):
        self.canonical = canonical
        super().__init__(required=False, **kwargs)

    def to_python(self, value: list[str]) -> Selection:
        chosen: list[str] = []
        ignored: list[str] = []
        for raw in value:
            typed = printable_words(raw)
            if not typed:
                continue
            accepted = self.canonical(typed)
            if accepted is None:
                ignored.append(typed)
            elif accepted not in chosen:
                chosen.append(accepted)
        return Selection(tuple(sorted(chosen)), tuple(ignored))


# --- The form


def _range_label(prefix: str) -> str:
    return next(r.label for r in DATE_RANGES if r.prefix == prefix)


class SearchForm(forms.Form):
    """Bind it to request.GET (or a dict of lists); `search_request()` is what to search."""

    q = FirstValueField()
    # One field per facet of searching.FACETS is added in __init__, in FACETS order.
    decided_from = FirstValueField(skip_blank=True)
    decided_to = FirstValueField(skip_blank=True)
    injured_from = FirstValueField(skip_blank=True)
    injured_to = FirstValueField(skip_blank=True)
    received_from = FirstValueField(skip_blank=True)
    received_to = FirstValueField(skip_blank=True)
    sort = FirstValueField()
    page = FirstValueField()

    def __init__(self, data=None):
        super().__init__(data if data is not None else {})
        for facet in FACETS:
            self.fields[facet.name] = FacetField(label=facet.label, canonical=facet.accept)
        # Notices are listed in this order, whichever step found them.
        self.order_fields(["q", *(facet.name for facet in FACETS), *DATE_PARAMS, "sort", "page"])
        self._ignored: dict[str, list[str]] = {}

    def search_request(self) -> SearchRequest:
        self.is_valid()  # always true: what cannot be used is ignored, with a notice
        data = self.cleaned_data
        return SearchRequest(
            q=data["q"],
            selections={f.name: data[f.name] for f in FACETS if data[f.name]},
            **{name: data[name] for name in DATE_PARAMS},
            sort=data["sort"],
            page=data["page"],
            notices=tuple(self.notices),
        )

    @property
    def notices(self) -> list[str]:
        """What was ignored or changed, in parameter order."""
        self.is_valid()
        return [message for name in self.fields for message in self._ignored.get(name, [])]

    def _ignore(self, name: str, message: str) -> None:
        self._ignored.setdefault(name, []).append(message)

    # -- one parameter at a time

    def clean_q(self) -> str:
        return self.cleaned_data["q"][:MAX_QUERY_CHARS]

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"].strip().lower() or DEFAULT_SORT
        if sort not in SORTS:
            self._ignore("sort", f'Unknown sort "{sort[:30]}": sorted by relevance.')
            return DEFAULT_SORT
        return sort

    def clean_page(self) -> int:
        typed = self.cleaned_data["page"]
        if not typed.strip():
            return 1
        try:
            page = int(typed.strip())
        except ValueError:
            page = 0
        if not 1 <= page <= MAX_PAGE:
            self._ignore("page", f'"{typed[:20]}" is not a page number: showing page 1.')
            return 1
        return page

    def clean_decided_from(self) -> date | None:
        return self._day("decided_from")

    def clean_decided_to(self) -> date | None:
        return self._day("decided_to")

    def clean_injured_from(self) -> date | None:
        return self._day("injured_from")

    def clean_injured_to(self) -> date | None:
        return self._day("injured_to")

    def clean_received_from(self) -> date | None:
        return self._day("received_from")

    def clean_received_to(self) -> date | None:
        return self._day("received_to")

    def _day(self, name: str) -> date | None:
        typed = self.cleaned_data[name]
        day = parse_date(typed) if typed else None
        if typed and day is None:
            prefix, end = name.rsplit("_", 1)
            self._ignore(
                name,
                f'Ignored "{printable_words(typed)[:30]}" as the {_range_label(prefix).lower()} '
                f"{end}: use a date such as 2017-01-31.",
            )
        return day

    # -- across parameters

    def clean(self) -> dict:
        data = self.cleaned_data
        for facet in FACETS:
            selection: Selection = data[facet.name]
            for value in selection.ignored:
                self._ignore(
                    facet.name, f'Ignored the unknown {facet.label.lower()} "{value[:60]}".'
                )
            data[facet.name] = selection.values
        for r in DATE_RANGES:
            start, end = f"{r.prefix}_from", f"{r.prefix}_to"
            if data[start] and data[end] and data[start] > data[end]:
                self._ignore(
                    end,
                    f"The {r.label.lower()} range ended before it began: the two dates were "
                    "swapped.",
                )
                data[start], data[end] = data[end], data[start]
        return data
