"""A search hit written out: as the API's JSON, as a row of the CSV export and as an Atom entry.

Each field is read from a `Hit` once, in HIT_FIELDS; the JSON and the CSV pick their fields from
it by name. All three are contracts with the people and programs reading them: the JSON field
names, the CSV columns in their order, and the feed's wording stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable

from search.letters.domain import outcome_label
from search.letters.request_size import SIZE_FIELDS
from search.searching import Hit

# Every field of a hit that is written out: its name and its value, ready for JSON.
HIT_FIELDS: dict[str, Callable[[Hit], object]] = {
    "letter_id": lambda hit: hit.letter_id,
    "case_number": lambda hit: hit.case_number,
    "decision_date": lambda hit: hit.decision_date.isoformat() if hit.decision_date else None,
    "ordinal": lambda hit: hit.ordinal,
    "request": lambda hit: hit.request,
    "outcome": lambda hit: hit.outcome,
    "case_outcome": lambda hit: hit.case_outcome or None,
    "category": lambda hit: hit.category,
    "specialties": lambda hit: hit.specialties,
    "guidelines": lambda hit: hit.guidelines,
    "snippet_html": lambda hit: hit.snippet_html,
    "url": lambda hit: hit.url,
    # Why, in the reviewer's words, and how much was asked for (search.letters.reasons and
    # .request_size).
    "reasons": lambda hit: [r.as_json() for r in hit.reasons],
    "request_size": lambda hit: hit.request_size,
    "reason_labels": lambda hit: [r.label for r in hit.reasons],
    **{f"request_{name}": (lambda hit, n=name: hit.request_size.get(n)) for name in SIZE_FIELDS},
}

# Which item and how it was decided: both formats begin with these, in this order.
ITEM_FIELDS = ("letter_id", "case_number", "decision_date", "ordinal", "request", "outcome")
JSON_FIELDS = (*ITEM_FIELDS, "case_outcome", "specialties", "guidelines", "snippet_html", "url",
               "reasons", "request_size")
# The CSV has no passages but has the category; its columns stay in this order.
CSV_COLUMNS = (*ITEM_FIELDS, "category", "specialties", "guidelines", "url", "case_outcome",
               "reason_labels", *(f"request_{name}" for name in SIZE_FIELDS))


def hit_as_json(hit: Hit) -> dict:
    return {name: HIT_FIELDS[name](hit) for name in JSON_FIELDS}


# --- CSV

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A value as a spreadsheet cell: None is empty, a list is joined with "; ", and text that a
    spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if isinstance(value, list):
        value = "; ".join(value)
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def hit_as_csv_row(hit: Hit, site_url: str) -> list[str]:
    """The CSV_COLUMNS cells of a hit; its URL made absolute with `site_url` (no final slash)."""
    cells = {name: HIT_FIELDS[name](hit) for name in CSV_COLUMNS}
    cells["url"] = site_url + hit.url
    return [csv_cell(value) for value in cells.values()]


# --- Atom feed entries (plain text: the feed generator escapes it)


def feed_title(hit: Hit) -> str:
    outcome = outcome_label(hit.outcome)
    return f"{outcome}: {hit.request} ({hit.case_number or hit.letter_id}, item {hit.ordinal})"


def feed_description(hit: Hit) -> str:
    case = f"Case {hit.case_number}" if hit.case_number else f"Letter {hit.letter_id}"
    day = hit.decision_date
    parts = [f"{case}, decided {day:%b} {day.day}, {day.year}" if day else case]
    if hit.specialties:
        parts.append("Reviewer: " + ", ".join(hit.specialties))
    if hit.guidelines:
        parts.append("Guidelines: " + "; ".join(hit.guidelines))
    if hit.reasons:
        parts.append("Reasons given: " + "; ".join(r.label for r in hit.reasons))
    return ". ".join(parts) + "."


def feed_categories(hit: Hit) -> list[str]:
    return [hit.outcome, *(hit.specialties or [])]
