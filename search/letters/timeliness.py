"""Timeliness facts of a letter, from its header dates, and the day buckets the facets use.

Three spans, each in whole calendar days and only when both dates are in the header:

    days_to_decision            application received -> decision date
    days_assigned_to_decision   date assigned -> decision date
    days_denial_to_application  UR denial date -> application received

These are numbers only: whether a span meets any deadline is for the reader to judge. A span
that comes out negative (a misread date) is kept as a number but falls in no bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# (facet value, label, lowest day, highest day or None)
BUCKETS: list[tuple[str, str, int, int | None]] = [
    ("0-7", "0–7 days", 0, 7),
    ("8-14", "8–14 days", 8, 14),
    ("15-30", "15–30 days", 15, 30),
    ("31-60", "31–60 days", 31, 60),
    ("over-60", "Over 60 days", 61, None),
]
BUCKET_VALUES = tuple(value for value, _, _, _ in BUCKETS)
BUCKET_LABELS = {value: label for value, label, _, _ in BUCKETS}

# (request parameter and index field, what the span measures)
SPANS: list[tuple[str, str]] = [
    ("days_to_decision", "Application received to decision"),
    ("days_assigned_to_decision", "Assigned to decision"),
    ("days_denial_to_application", "UR denial to application"),
]
SPAN_NAMES = tuple(name for name, _ in SPANS)


def days_between(start: date | None, end: date | None) -> int | None:
    if start is None or end is None:
        return None
    return (end - start).days


def bucket_for(days: int | None) -> str:
    """The facet value for a number of days; "" when unknown or negative."""
    return bucket_of(days, BUCKETS)


def bucket_of(number: int | None, buckets: list[tuple[str, str, int, int | None]]) -> str:
    """The value of the bucket (value, label, lowest, highest or None) that holds `number`;
    "" when unknown or in none of them."""
    if number is None:
        return ""
    for value, _, low, high in buckets:
        if number >= low and (high is None or number <= high):
            return value
    return ""


@dataclass(frozen=True)
class Timeliness:
    days_to_decision: int | None = None
    days_assigned_to_decision: int | None = None
    days_denial_to_application: int | None = None

    @classmethod
    def of(
        cls,
        *,
        decision_date: date | None,
        application_received: date | None,
        date_assigned: date | None,
        ur_denial_date: date | None,
    ) -> Timeliness:
        return cls(
            days_to_decision=days_between(application_received, decision_date),
            days_assigned_to_decision=days_between(date_assigned, decision_date),
            days_denial_to_application=days_between(ur_denial_date, application_received),
        )

    @classmethod
    def of_letter(cls, letter) -> Timeliness:
        """From a Letter or a dict with the same field names."""
        get = letter.get if isinstance(letter, dict) else lambda name: getattr(letter, name, None)
        return cls.of(
            decision_date=get("decision_date"),
            application_received=get("application_received"),
            date_assigned=get("date_assigned"),
            ur_denial_date=get("ur_denial_date"),
        )

    def rows(self) -> list[tuple[str, str, int]]:
        """(name, label, days) for the spans that are known, in SPANS order."""
        return [
            (name, label, getattr(self, name))
            for name, label in SPANS
            if getattr(self, name) is not None
        ]

    def buckets(self) -> dict[str, str]:
        return {name: bucket_for(getattr(self, name)) for name in SPAN_NAMES}
