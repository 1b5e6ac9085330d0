"""The speed line of a plain `ingest`: real-PDF letters a second end to end, against pypdf's
extraction alone over the same files in the same run."""

import io
import json
import re
import zipfile

import pytest
from django.core.management import call_command

from search.ingest_speed import PdfSpeed, pdf_files_of, time_pypdf

SPEED_LINE = re.compile(
    r"^3 letters \(3 from PDFs\) in [\d.]+ s end to end \(the index update [\d.]+ s of it\): "
    r"[\d.]+ letters/s; pypdf's extraction "
    r"alone over 2 of the same PDFs: [\d.]+ letters/s, so [\d.]+x pypdf alone; peak memory \d+ "
    r"MB storing and indexing, \d+ MB in a reader process$",
    re.M,
)


@pytest.fixture
def three_pdfs(tmp_path, pdf_paths):
    folder = tmp_path / "pdfs"
    folder.mkdir()
    for path in pdf_paths[:3]:
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


@pytest.mark.django_db
def test_a_plain_ingest_reports_its_speed_against_pypdf_alone(three_pdfs):
    out = io.StringIO()
    call_command("ingest", "--pypdf-sample", "2", str(three_pdfs), stdout=out)
    assert SPEED_LINE.search(out.getvalue()), out.getvalue()


@pytest.mark.django_db
def test_a_json_ingest_prints_the_report_alone(three_pdfs):
    out = io.StringIO()
    call_command("ingest", "--json", str(three_pdfs), stdout=out)
    # The report and the embedding step's, no speed line.
    assert set(json.loads(out.getvalue())) == {
        "ingested", "unchanged", "replaced", "rejected", "letters", "embedding",
    }  # fmt: skip


@pytest.mark.django_db
def test_an_ingest_of_text_letters_prints_no_pdf_speed(tmp_path):
    from search.letters.synthetic import write_corpus

    write_corpus(tmp_path, 2, seed=4)
    out = io.StringIO()
    call_command("ingest", str(tmp_path), stdout=out)
    assert "end to end" not in out.getvalue()
    assert out.getvalue().startswith("2 ingested")


def test_pypdf_is_timed_on_an_even_spread_of_the_files(pdf_paths):
    files, seconds = time_pypdf(pdf_paths[:4], 2)
    assert files == 2 and seconds > 0
    assert time_pypdf(pdf_paths[:4], 0)[0] == 0
    assert time_pypdf(pdf_paths[:2], 5)[0] == 2  # a sample larger than the run: all of them


def test_only_pdf_files_count_as_real_pdfs(tmp_path, pdf_paths):
    archive = tmp_path / "letters.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a.pdf", pdf_paths[0].read_bytes())
    text = tmp_path / "letter.txt"
    text.write_text("a letter")
    rows = [{"path": str(pdf_paths[0])}, {"path": f"{archive}:a.pdf"}, {"path": str(text)}]
    assert pdf_files_of(rows) == [pdf_paths[0]]


def test_the_ratio_is_end_to_end_speed_over_pypdf_speed():
    speed = PdfSpeed(letters=40, pdf_letters=40, seconds=2.0, pypdf_files=10, pypdf_seconds=5.0)
    assert (speed.letters_per_second, speed.pypdf_per_second, speed.ratio) == (20.0, 2.0, 10.0)
    assert "so 10.00x pypdf alone" in speed.summary()
