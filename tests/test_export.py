"""Exports: the JSON Lines of every letter (manage.py export) and the CSV of a search
(/export/search.csv), and the log line of a request with too many parameters."""

import csv
import dataclasses
import io
import json
import logging

import pytest
from django.core.management import CommandError, call_command

from search import searching
from search.letters.request_size import SIZE_FIELDS
from search.searching import run_search
from search.web import hit_formats, views
from search.web.forms import SearchForm


@pytest.mark.django_db
def test_export_jsonl_has_the_documented_fields(corpus, pdf_paths, seed_paths):
    out = io.StringIO()
    call_command("export", "--jsonl", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == len(pdf_paths) + len(seed_paths) == corpus.letters
    for field in (
        "id",
        "case_number",
        "decision_date",
        "date_of_injury",
        "priority",
        "specialties",
        "licensure",
        "patient",
        "summary",
        "truncated",
        "warnings",
        "determinations",
    ):
        assert all(field in row for row in rows), field
    row = next(r for r in rows if r["determinations"] and r["decision_date"])
    assert row["decision_date"][4] == "-" and len(row["decision_date"]) == 10  # ISO 8601
    assert set(row["patient"]) == {"age", "sex"}
    item = row["determinations"][0]
    assert item["ordinal"] == 1
    assert item["outcome"] in ("upheld", "overturned")
    for party in ("claims_administrator_guideline", "imr_guideline"):
        assert set(item[party]) >= {"raw", "citations"}
        for citation in item[party]["citations"]:
            assert set(citation) >= {"source", "guideline", "sections", "pages"}
    ordinals = [d["ordinal"] for r in rows for d in r["determinations"][:1]]
    assert set(ordinals) == {1}


@pytest.mark.django_db
def test_export_requires_the_format_flag():
    with pytest.raises(CommandError):
        call_command("export")


# --- The CSV export of a search (/export/search.csv) ------------------------------------------


def csv_export(client, params) -> tuple[str, list[list[str]]]:
    """(the comment line, the rows after the header) of an export."""
    response = client.get("/export/search.csv", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="imr-search.csv"'
    text = b"".join(response.streaming_content).decode()
    first, _, rest = text.partition("\r\n")
    rows = list(csv.reader(io.StringIO(rest, newline="")))
    assert rows[0] == list(hit_formats.CSV_COLUMNS)
    return first, rows[1:]


def paged_items(params: dict, limit: int) -> list[tuple[str, str]]:
    """(letter id, ordinal) of the first `limit` hits, read page by page as the search page
    lists them."""
    search = SearchForm(params).search_request()
    items: list[tuple[str, str]] = []
    page = 1
    while len(items) < limit:
        result = run_search(dataclasses.replace(search, page=page))
        items += [(hit.letter_id, str(hit.ordinal)) for hit in result.hits]
        if not result.hits or page >= result.pages:
            break
        page += 1
    return items[:limit]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "therapy"},
        {"q": "therapy", "sort": "newest"},
        {"q": "therapy", "sort": "oldest"},
        {},
        {"q": "ther* OR knee -injection"},
        {"q": "pain", "outcome": "upheld"},
    ],
    ids=["relevance", "newest", "oldest", "everything", "prefix-or-not", "filtered"],
)
def test_csv_rows_are_the_search_pages_in_order_up_to_the_cap(client, corpus, monkeypatch, params):
    # A cap that ends mid-page (pages hold 20), with more matches than the cap.
    monkeypatch.setattr(views, "CSV_CAP", 47)
    total = run_search(SearchForm(params).search_request()).total
    assert total > 47, "the sample should match more items than the cap"
    first, rows = csv_export(client, params)
    assert first == (
        f"# IMR precedent search export: 47 of {total} matching items; capped at 47 rows per "
        f"file; search /?{SearchForm(params).search_request().querystring()}"
    )
    assert [(row[0], row[3]) for row in rows] == paged_items(params, 47)


def test_csv_under_the_cap_lists_every_match_in_page_order(client, corpus):
    params = {"q": "therapy", "sort": "newest"}
    total = run_search(SearchForm(params).search_request()).total
    assert 0 < total < views.CSV_CAP
    first, rows = csv_export(client, params)
    assert first.startswith(f"# IMR precedent search export: {total} of {total} matching items;")
    assert [(row[0], row[3]) for row in rows] == paged_items(params, total)


def test_csv_cells_are_the_hit_fields(client, corpus):
    params = {"q": "therapy"}
    _, rows = csv_export(client, params)
    hits = run_search(SearchForm(params).search_request()).hits
    for row, hit in zip(rows, hits, strict=False):
        assert row == [
            hit_formats.csv_cell(value)
            for value in (
                hit.letter_id,
                hit.case_number or "",
                hit.decision_date.isoformat() if hit.decision_date else "",
                hit.ordinal,
                hit.request,
                hit.outcome,
                hit.category,
                "; ".join(hit.specialties),
                "; ".join(hit.guidelines),
                "http://testserver" + hit.url,
                hit.case_outcome,
                "; ".join(r.label for r in hit.reasons),
                *(hit.request_size.get(name) for name in SIZE_FIELDS),
            )
        ]


def test_csv_export_runs_one_search_without_passages(client, corpus, monkeypatch):
    calls = []
    snippets = []

    def counting_run_search(search, **options):
        calls.append((search, options))
        return run_search(search, **options)

    def counting_snippet(*args, **kwargs):
        snippets.append(args)
        return ""

    monkeypatch.setattr(views, "run_search", counting_run_search)
    monkeypatch.setattr(searching, "make_snippet", counting_snippet)
    monkeypatch.setattr(views, "CSV_CAP", 60)
    _, rows = csv_export(client, {"q": "therapy", "page": "3"})
    assert len(rows) == 60
    # One search for the total, the facets and every row, from the first row on whatever page
    # the link was on; the CSV has no passage column, so no passage is made.
    assert len(calls) == 1
    search, options = calls[0]
    assert search.page == 1 and options == {"per_page": 60, "passages": False}
    assert snippets == []


def test_a_larger_page_is_the_pages_joined(corpus):
    search = SearchForm({"q": "pain"}).search_request()
    joined = []
    for page in (1, 2, 3):
        joined += run_search(dataclasses.replace(search, page=page)).hits
    big = run_search(search, per_page=60, passages=False)
    assert big.per_page == 60 and big.pages == -(-big.total // 60)
    assert [h.item_id for h in big.hits] == [h.item_id for h in joined]
    assert all(h.snippet_html == "" for h in big.hits)
    assert any(h.snippet_html for h in joined)


# --- Too many parameters: a 400 on purpose, logged as one warning line -------------------------


def test_too_many_parameters_is_a_one_line_warning(client, db, caplog):
    query = "&".join(["outcome=upheld"] * 10_001)
    with caplog.at_level(logging.INFO):
        response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    records = [r for r in caplog.records if r.name == "django.security.TooManyFieldsSent"]
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and record.exc_text is None
    message = record.getMessage()
    assert "\n" not in message
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in message
    assert "GET /api/search" in message and "400" in message
    # The line as the console handler writes it: one line, no traceback.
    formatted = logging.Formatter().format(record)
    assert "\n" not in formatted and "Traceback" not in formatted
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_other_security_errors_are_still_logged_as_errors(client, db, caplog):
    with caplog.at_level(logging.INFO):
        response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    records = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR and records[0].exc_info
