"""Read the header table of a letter: case number, priority and the dates of the process.

Posted letters carry the table at the top; pypdf and pdfminer lay its labels and values out in
different orders, and both are read here.
"""

from __future__ import annotations

import re
from datetime import date

from search.letters.domain import Header

_CASE_NUMBER = re.compile(r"\b(?:CM|SY)\d{2}-\d{7}\b")
_HEADER_DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")
_PRIORITY = re.compile(r"\b(?:Standard|Expedited)\b", re.I)
# (Header attribute, label, kind of value). pypdf puts each value after its label (with
# "Application Received" split around the priority's value); pdfminer lists labels, then values.
_HEADER_FIELDS = (
    ("case_number", r"Case\s+Number", "case"),
    ("date_assigned", r"Date\s+Assigned", "date"),
    ("date_of_injury", r"Date\s+of\s+Injury", "date"),
    ("decision_date", r"Decision\s+Date", "date"),
    ("ur_denial_date", r"UR\s+Denial\s+Date", "date"),
    ("priority", r"Priority", "priority"),
    ("application_received", r"Application\s+Received", "date"),
)
_HEADER_LABEL = re.compile(
    "|".join(f"(?P<{name}>\\b{label}\\s*:)" for name, label, _ in _HEADER_FIELDS), re.I
)
_HEADER_KIND = {name: kind for name, _, kind in _HEADER_FIELDS}
_HEADER_VALUE = re.compile(
    rf"(?P<case>{_CASE_NUMBER.pattern})|(?P<date>{_HEADER_DATE.pattern})|(?P<priority>{_PRIORITY.pattern})",
    re.I,
)
# pdfminer can put the application date inside its own label ("Application 12/14/2016 Received:").
_SPLIT_APPLICATION_LABEL = re.compile(
    r"Application\s+(?P<date>\d{2}/\d{2}/\d{4})\s+Received\s*:", re.I
)
_DATES_IN_TIME_ORDER = (
    "date_of_injury",
    "ur_denial_date",
    "application_received",
    "date_assigned",
    "decision_date",
)


def parse_header(region: str) -> Header:
    region = _SPLIT_APPLICATION_LABEL.sub(r"Application Received: \g<date>", region)
    labels = [(m.start(), "label", m.lastgroup) for m in _HEADER_LABEL.finditer(region)]
    header = Header()
    if not any(name == "case_number" for _, _, name in labels):
        return header
    values = [(m.start(), m.lastgroup, m.group()) for m in _HEADER_VALUE.finditer(region)]
    tokens = sorted(labels + values)
    pairs = list(zip(tokens[::2], tokens[1::2], strict=False))
    if len(tokens) % 2 == 0 and all(
        label[1] == "label" and value[1] == _HEADER_KIND[label[2]] for label, value in pairs
    ):
        # pypdf order: each label followed by its own value.
        for label, value in pairs:
            _set_header_value(header, label[2], value[2])
        return header
    # pdfminer order: labels and values in separate runs, sometimes a value before its label.
    # Case number and priority are told apart by their form; the dates by their order in time,
    # which the process fixes: injury, UR denial, application, assignment, decision.
    for name, kind in (("case_number", "case"), ("priority", "priority")):
        value = next((v for v in values if v[1] == kind), None)
        if value is not None:
            _set_header_value(header, name, value[2])
    date_labels = [name for name in _DATES_IN_TIME_ORDER if any(lb[2] == name for lb in labels)]
    dates = sorted((_header_date(v[2]) for v in values if v[1] == "date"), key=_date_sort_key)
    if len(dates) == len(date_labels):
        for name, value in zip(date_labels, dates, strict=True):
            setattr(header, name, value)
    return header


def _date_sort_key(value: date | None) -> date:
    return value or date.min


def _header_date(value: str) -> date | None:
    month, day, year = (int(part) for part in value.split("/"))
    return make_date(year, month, day)


def _set_header_value(header: Header, name: str, value: str) -> None:
    kind = _HEADER_KIND[name]
    if kind == "case":
        header.case_number = value.upper()
    elif kind == "priority":
        header.priority = value.capitalize()
    else:
        setattr(header, name, _header_date(value))


def make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
