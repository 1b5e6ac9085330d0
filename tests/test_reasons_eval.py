"""`manage.py reasons_eval` over the sample letters and our hand labels."""

from io import StringIO

from django.core.management import call_command


def test_reasons_eval_prints_precision_and_recall(letters_dir):
    out = StringIO()
    call_command("reasons_eval", "--letters-dir", str(letters_dir), "--part", "tune", stdout=out)
    text = out.getvalue()
    assert "labelled items (tune)" in text
    assert "no_red_flags" in text and "precision" in text and "sessions" in text



def test_reasons_eval_measures_the_part_labelled_last(letters_dir):
    out = StringIO()
    call_command("reasons_eval", "--letters-dir", str(letters_dir), "--part", "held_out_2",
                 stdout=out)
    assert "73 labelled items (held_out_2)" in out.getvalue()
