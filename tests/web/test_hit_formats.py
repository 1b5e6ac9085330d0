"""search.web.hit_formats: a hit as JSON, as a CSV row and as an Atom entry. These are contracts
with their readers, so the tests spell every field out."""

from __future__ import annotations

import csv
import io
from datetime import date

from search.letters.reasons import FoundReason
from search.searching import Hit
from search.web.hit_formats import (
    csv_cell,
    feed_categories,
    feed_description,
    feed_title,
    hit_as_csv_row,
    hit_as_json,
)


def a_hit(**changes) -> Hit:
    fields = dict(
        letter_id="CM16-0213037",
        case_number="CM16-0213037",
        decision_date=date(2016, 12, 19),
        ordinal=2,
        request="Tramadol 50mg #60",
        outcome="overturned",
        specialties=["Psychiatry", "Internal Medicine"],
        guidelines=["MTUS > Chronic Pain", "ODG > Pain"],
        category="Pharmaceuticals > Opioids",
        snippet_html="not <mark>indicated</mark>",
        url="/letters/CM16-0213037/#item-2",
        case_outcome="Partial Overturn",
        reasons=[FoundReason("criteria_met", "The guideline criteria have been met.")],
        request_size={"quantity": 60, "strength": "50 mg"},
    )
    return Hit(**(fields | changes))


def test_json_has_the_documented_fields():
    assert hit_as_json(a_hit()) == {
        "letter_id": "CM16-0213037",
        "case_number": "CM16-0213037",
        "decision_date": "2016-12-19",
        "ordinal": 2,
        "request": "Tramadol 50mg #60",
        "outcome": "overturned",
        "case_outcome": "Partial Overturn",
        "specialties": ["Psychiatry", "Internal Medicine"],
        "guidelines": ["MTUS > Chronic Pain", "ODG > Pain"],
        "snippet_html": "not <mark>indicated</mark>",
        "url": "/letters/CM16-0213037/#item-2",
        "reasons": [{"reason": "criteria_met", "label": "Guideline criteria met",
                     "evidence": "The guideline criteria have been met."}],
        "request_size": {"quantity": 60, "strength": "50 mg"},
    }
    unstated = hit_as_json(a_hit(case_number=None, decision_date=None, case_outcome=""))
    assert (unstated["case_number"], unstated["decision_date"], unstated["case_outcome"]) == (
        None,
        None,
        None,
    )


def test_csv_row_has_the_columns_in_order():
    # The header (CSV_COLUMNS) is checked through the export itself, in test_views.
    assert hit_as_csv_row(a_hit(), "https://imr.example.org") == [
        "CM16-0213037",
        "CM16-0213037",
        "2016-12-19",
        "2",
        "Tramadol 50mg #60",
        "overturned",
        "Pharmaceuticals > Opioids",
        "Psychiatry; Internal Medicine",
        "MTUS > Chronic Pain; ODG > Pain",
        "https://imr.example.org/letters/CM16-0213037/#item-2",
        "Partial Overturn",
        "Guideline criteria met",
        "",
        "60",
        "",
        "",
        "50 mg",
    ]
    row = hit_as_csv_row(a_hit(case_number=None, decision_date=None, case_outcome=""), "")
    assert (row[1], row[2], row[10]) == ("", "", "")


def test_csv_cells_never_start_a_formula():
    for text in ("=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(text) == f"'{text}"
    assert csv_cell(["=a", "b"]) == "'=a; b"
    hostile = hit_as_csv_row(a_hit(request='=HYPERLINK("http://evil")'), "")
    written = io.StringIO()
    csv.writer(written).writerow(hostile)
    assert next(csv.reader(io.StringIO(written.getvalue())))[4] == "'=HYPERLINK(\"http://evil\")"


def test_feed_entry_text():
    hit = a_hit()
    assert feed_title(hit) == "Overturned: Tramadol 50mg #60 (CM16-0213037, item 2)"
    assert feed_description(hit) == (
        "Case CM16-0213037, decided Dec 19, 2016. Reviewer: Psychiatry, Internal Medicine. "
        "Guidelines: MTUS > Chronic Pain; ODG > Pain. Reasons given: Guideline criteria met."
    )
    assert feed_categories(hit) == ["overturned", "Psychiatry", "Internal Medicine"]
    bare = a_hit(
        letter_id="t-0123456789abcdef",
        case_number=None,
        decision_date=None,
        outcome="upheld",
        specialties=[],
        guidelines=[],
        reasons=[],
    )
    assert feed_title(bare) == "Upheld: Tramadol 50mg #60 (t-0123456789abcdef, item 2)"
    assert feed_description(bare) == "Letter t-0123456789abcdef."
    assert feed_categories(bare) == ["upheld"]
