import io
import json

import pytest
from django.core.management import CommandError, call_command

from search.ingest import ingest_paths


@pytest.mark.django_db
def test_export_jsonl_has_the_documented_fields(letters_dir):
    ingest_paths([letters_dir / "pdf"])
    out = io.StringIO()
    call_command("export", "--jsonl", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == len(list((letters_dir / "pdf").glob("*.pdf")))
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
    row = next(r for r in rows if r["determinations"])
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
