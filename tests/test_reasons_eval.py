"""`manage.py reasons_eval` over the sample letters and our hand labels."""

import json
from io import StringIO

from django.core.management import call_command


def test_reasons_eval_prints_precision_and_recall(letters_dir):
    out = StringIO()
    call_command("reasons_eval", "--letters-dir", str(letters_dir), "--part", "tune", stdout=out)
    text = out.getvalue()
    assert "labelled items (tune)" in text
    assert "no_red_flags" in text and "precision" in text and "sessions" in text


def test_reasons_eval_as_json(letters_dir):
    out = StringIO()
    call_command("reasons_eval", "--letters-dir", str(letters_dir), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["items"] >= 150 and data["missing"] == []
    tally = data["reasons"]["conservative_care_not_tried"]
    assert tally["labelled"] >= 10 and 0 <= tally["precision"] <= 1
