"""Ingest through the real path: extraction, parsing, storage, identity and bad files."""

import dataclasses
import io
import json
import os
import re
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from search import ingest
from search.indexing import check_index
from search.ingest import INGESTED, REPLACED, UNCHANGED, IngestReport, LetterBatch, ingest_paths
from search.letters.extract import extract_letter_text
from search.letters.parser import parse_letter
from search.letters.synthetic import generate_letters, write_corpus
from search.models import Citation, Determination, Letter
from tests.letters.test_sources import make_zip
from tests.manage_process import migrated_data_dir, run_manage, start_manage


def export_lines() -> list[dict]:
    out = io.StringIO()
    call_command("export", "--jsonl", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def hostile_folder(tmp_path, pdf_paths):
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "random.pdf").write_bytes(os.urandom(4096))
    (folder / "random.txt").write_bytes(os.urandom(4096))
    real = pdf_paths[0].read_bytes()
    (folder / "truncated.pdf").write_bytes(real[: len(real) // 2])
    (folder / "prose.txt").write_text("Minutes of the garden club. We discussed roses.\n" * 40)
    (folder / "page.txt").write_text("<html><body><script>alert(1)</script>Hello</body></html>")
    from pypdf import PdfWriter

    blank = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.write(blank)
    (folder / "scanned.pdf").write_bytes(blank.getvalue())
    (folder / "climb.zip").write_bytes(make_zip({"../../outside.txt": b"x"}))
    return folder


@pytest.mark.django_db
def test_every_sample_letter_ingests_without_rejection(letters_dir, pdf_paths, seed_paths):
    report = ingest_paths([letters_dir / "seeds", letters_dir / "pdf"])
    assert report.rejected == []
    assert report.ingested == len(pdf_paths) + len(seed_paths) == Letter.objects.count()
    assert Letter.objects.filter(index_pending=True).count() == 0
    # Every posted letter is identified by its case number, which is its file name.
    assert set(Letter.objects.exclude(case_number=None).values_list("case_number", flat=True)) == {
        p.stem for p in pdf_paths
    }
    # The seeds have no header: their identity is a hash of their text.
    seeds = Letter.objects.filter(case_number=None)
    assert seeds.count() == len(seed_paths)
    assert all(letter.public_id.startswith("t-") for letter in seeds)
    assert Determination.objects.filter(outcome__in=["upheld", "overturned"]).count() == (
        Determination.objects.count()
    )
    assert not Determination.objects.filter(request="").exists()


@pytest.mark.django_db
def test_stored_letter_keeps_header_items_and_citations(letters_dir):
    path = letters_dir / "pdf" / "CM16-0219557.pdf"
    if not path.exists():
        pytest.skip("CM16-0219557.pdf not among the samples")
    ingest_paths([path])
    letter = Letter.objects.get(case_number="CM16-0219557")
    assert letter.public_id == "CM16-0219557"
    assert letter.decision_date.isoformat() == "2016-12-19"
    assert letter.date_assigned.isoformat() == "2016-11-18"
    assert letter.application_received.isoformat() == "2016-11-14"
    assert letter.ur_denial_date.isoformat() == "2016-11-09"
    assert letter.priority == "Standard"
    assert letter.licensure == ["Texas", "New York", "California"]
    assert "Occupational Medicine" in letter.specialties
    assert "Preventive Medicine" in letter.specialties
    assert (letter.patient_age, letter.patient_sex) == (34, "male")
    item = letter.determinations.get(ordinal=1)
    assert item.outcome == "upheld"
    assert "Facet joint injections" in item.request
    sources = set(item.citations.filter(party=Citation.IMR).values_list("source", flat=True))
    assert {"MTUS", "ACOEM"} <= sources
    # Metadata such as the PDF's author never reaches the database.
    assert "Author" not in letter.text and "/Author" not in letter.reviewer_raw


@pytest.mark.django_db
def test_same_letters_twice_change_nothing(letters_dir):
    folders = [letters_dir / "seeds", letters_dir / "pdf"]
    ingest_paths(folders)
    first = export_lines()
    stamps = dict(Letter.objects.values_list("public_id", "updated_at"))
    report = ingest_paths(folders)
    assert report.ingested == report.replaced == 0
    assert report.unchanged == len(first)
    assert {row["status"] for row in report.letters} == {UNCHANGED}
    assert export_lines() == first
    assert dict(Letter.objects.values_list("public_id", "updated_at")) == stamps


@pytest.mark.django_db
def test_reextracted_letter_with_same_case_number_replaces_the_old(tmp_path, letters_dir):
    pdf = letters_dir / "pdf" / "CM16-0219557.pdf"
    if not pdf.exists():
        pytest.skip("CM16-0219557.pdf not among the samples")
    assert ingest_paths([pdf]).letters[0]["status"] == INGESTED
    before = Letter.objects.get(case_number="CM16-0219557")
    items_before = before.determinations.count()
    text = extract_letter_text(pdf.read_bytes(), pdf.name)
    altered = tmp_path / "CM16-0219557.txt"
    altered.write_text(text.replace("Decision rationale:", "Decision rationale: Re-extracted.", 1))
    report = ingest_paths([altered])
    assert [row["status"] for row in report.letters] == [REPLACED]
    assert Letter.objects.count() == 1
    after = Letter.objects.get(case_number="CM16-0219557")
    assert after.pk == before.pk and after.text_hash != before.text_hash
    assert after.determinations.count() == items_before
    assert after.determinations.get(ordinal=1).rationale.startswith("Re-extracted.")


@pytest.mark.django_db
def test_hostile_files_are_rejected_with_reasons_while_good_ones_go_in(
    hostile_folder, letters_dir, settings
):
    good = sorted((letters_dir / "seeds").glob("*.txt"))[:2]
    huge = hostile_folder / "huge.txt"
    huge.write_bytes(b"a" * 30_000)
    settings.IMR_MAX_LETTER_BYTES = 20_000
    report = ingest_paths([hostile_folder, *good])
    reasons = {Path(r["path"].split(":")[0]).name: r["reason"] for r in report.rejected}
    assert set(reasons) == {
        "empty.txt",
        "random.pdf",
        "random.txt",
        "truncated.pdf",
        "prose.txt",
        "page.txt",
        "scanned.pdf",
        "climb.zip",
        "huge.txt",
    }
    assert all(reason.strip() for reason in reasons.values())
    assert "climbs out" in reasons["climb.zip"]
    assert "too large" in reasons["huge.txt"]
    assert report.ingested == 2 == Letter.objects.count()


@pytest.mark.django_db
def test_letter_holding_markup_is_stored_as_text(tmp_path):
    synthetic = next(generate_letters(1, seed=7))
    payload = "<script>alert('x')</script><b>bold</b>"
    text = synthetic.text.replace("Decision rationale:", f"Decision rationale: {payload}", 1)
    path = tmp_path / "markup.txt"
    path.write_text(text)
    report = ingest_paths([path])
    assert report.rejected == []
    item = Letter.objects.get().determinations.get(ordinal=1)
    assert item.rationale.startswith(payload)


@pytest.mark.django_db
def test_cp1252_text_file_is_decoded(tmp_path):
    synthetic = next(generate_letters(1, seed=3))
    text = synthetic.text.replace("Decision rationale:", "Decision rationale: Café § 9792.20", 1)
    path = tmp_path / "cp1252.txt"
    path.write_bytes(text.encode("cp1252"))
    ingest_paths([path])
    assert "Café § 9792.20" in Letter.objects.get().determinations.get(ordinal=1).rationale


# Bulk ingest: letters are stored a batch at a time, each in a savepoint of its own.


def _with_duplicate_item(parsed):
    """A letter the database refuses: two items with the same ordinal."""
    parsed.items.append(dataclasses.replace(parsed.items[0]))
    return parsed


@pytest.mark.django_db
def test_a_letter_the_database_refuses_is_reported_while_its_batch_goes_in(tmp_path, monkeypatch):
    write_corpus(tmp_path, 30, seed=5)
    (tmp_path / "SY99-prose.txt").write_text("Minutes of the garden club.\n" * 40)
    paths = sorted(tmp_path.glob("*.txt"))
    refused = paths[12]
    real_store_result = ingest._store_result

    # Letters are parsed in worker processes: the refused one is spoilt here, where it is stored.
    def store_result(entry, result, batch):
        if result is not None and refused.stem in getattr(result, "text", ""):
            _with_duplicate_item(result.parsed)
        real_store_result(entry, result, batch)

    monkeypatch.setattr(ingest, "_store_result", store_result)
    report = ingest_paths([tmp_path])
    reasons = {Path(r["path"]).name: r["reason"] for r in report.rejected}
    assert reasons == {
        refused.name: "could not be stored (IntegrityError)",
        "SY99-prose.txt": reasons["SY99-prose.txt"],
    }
    assert report.ingested == 29 == Letter.objects.count()
    assert not Letter.objects.filter(public_id=refused.stem).exists()
    # The others are stored whole and indexed.
    assert Determination.objects.filter(letter__public_id=refused.stem).count() == 0
    assert report.indexed == Determination.objects.count()
    assert check_index().clean
    assert [row["path"] for row in report.letters] == [
        str(p) for p in paths if p not in (refused, tmp_path / "SY99-prose.txt")
    ]


@pytest.mark.django_db
def test_a_batch_of_new_letters_is_stored_in_a_few_statements(django_assert_max_num_queries):
    letters = [(parse_letter(s.text), s.text) for s in generate_letters(60, seed=8)]
    report = IngestReport()
    # SQLite takes 999 parameters a statement: the items' INSERT is split by their columns.
    with django_assert_max_num_queries(16), LetterBatch(report, size=1000) as batch:
        for n, (parsed, text) in enumerate(letters):
            batch.add(f"letter-{n}", parsed, text)
        # The same letter twice in one batch is stored once, as one at a time would.
        batch.add("again", *letters[0])
    assert report.ingested == 60 and report.unchanged == 1
    assert report.letters[-1]["id"] == report.letters[0]["id"]
    assert Letter.objects.filter(index_pending=True).count() == 60
    assert Determination.objects.count() == sum(len(p.items) for p, _ in letters)


@pytest.mark.django_db
def test_batches_store_what_one_at_a_time_stores():
    letters = [(parse_letter(s.text), s.text) for s in generate_letters(40, seed=9)]
    replaced = letters[3][1].replace("Decision rationale:", "Decision rationale: Again.", 1)
    letters.append((parse_letter(replaced), replaced))
    exports = []
    for size in (1, 100):
        Letter.objects.all().delete()
        report = IngestReport()
        with LetterBatch(report, size=size) as batch:
            for n, (parsed, text) in enumerate(letters):
                batch.add(f"letter-{n}", parsed, text, source_name=f"{n}.txt")
        assert (report.ingested, report.replaced) == (40, 1)
        exports.append(export_lines())
    assert exports[0] == exports[1]


def test_text_hash_normalises_whitespace_as_before():
    import hashlib
    import re

    for text in ["", "  a  b ", "a\u00a0b\u2028c\x1cd\te\r\n", "\u200b x", "Dr.\x0bSmith\x0c"]:
        before = re.sub(r"\s+", " ", text).strip()
        assert ingest.text_hash(text) == hashlib.sha256(before.encode("utf-8")).hexdigest()


# Command-line behaviour: exit codes and --json, in a separate process with its own data folder.


@pytest.fixture
def command_data_dir(tmp_path):
    return migrated_data_dir(tmp_path / "data")


def test_ingest_command_json_and_exit_codes(command_data_dir, letters_dir, hostile_folder):
    seeds = str(letters_dir / "seeds")
    ok = run_manage(command_data_dir, "ingest", "--json", seeds)
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert set(report) == {"ingested", "unchanged", "replaced", "rejected", "letters", "embedding"}
    # The step after storing: the new items' vectors, with the embedding rate apart.
    assert set(report["embedding"]) == {
        "embedded", "seconds", "items_per_second", "remaining", "unavailable"
    }
    assert report["embedding"]["remaining"] == 0 and not report["embedding"]["unavailable"]
    assert report["ingested"] == len(list((letters_dir / "seeds").glob("*.txt")))
    assert set(report["letters"][0]) == {"path", "id", "case_number", "status"}

    again = run_manage(command_data_dir, "ingest", "--json", seeds, str(hostile_folder))
    assert again.returncode == 1
    report = json.loads(again.stdout)
    assert report["unchanged"] == len(report["letters"]) and report["ingested"] == 0
    assert len(report["rejected"]) == 8

    usage = run_manage(command_data_dir, "ingest")
    assert usage.returncode == 2
    assert "paths" in usage.stderr


@pytest.mark.slow
def test_killed_ingest_then_rerun_equals_one_uninterrupted_run(tmp_path, letters_dir):
    folders = [str(letters_dir / "seeds"), str(letters_dir / "pdf")]
    clean_dir, killed_dir = tmp_path / "clean", tmp_path / "killed"
    for data_dir in (clean_dir, killed_dir):
        migrated_data_dir(data_dir)
    assert run_manage(clean_dir, "ingest", "--json", *folders).returncode == 0

    process = start_manage(killed_dir, "ingest", "--json", *folders)
    database = killed_dir / "imr.sqlite3"
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and process.poll() is None:
        with sqlite3.connect(database, timeout=30) as connection:
            stored = connection.execute("select count(*) from search_letter").fetchone()[0]
        if stored >= 20:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert stored >= 20, "ingest finished before it could be killed"

    rerun = run_manage(killed_dir, "ingest", "--json", *folders)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["rejected"] == []
    exports = [run_manage(d, "export", "--jsonl").stdout for d in (clean_dir, killed_dir)]
    assert exports[0] and exports[0] == exports[1]
    check = run_manage(killed_dir, "check_index")
    assert check.returncode == 0, check.stdout + check.stderr


def test_folder_ingest_reads_nothing_through_links_and_reports_what_it_skipped(
    command_data_dir, tmp_path
):
    inside, outside = (letter.text for letter in generate_letters(2, seed=12))
    folder, elsewhere = tmp_path / "incoming", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "inside.txt").write_text(inside)
    (elsewhere / "outside.txt").write_text(outside)  # a valid letter, but out of the folder
    (folder / "link.txt").symlink_to(elsewhere / "outside.txt")
    (folder / "folder-link").symlink_to(elsewhere, target_is_directory=True)
    (folder / "dangling.txt").symlink_to(tmp_path / "removed.txt")
    os.mkfifo(folder / "pipe.txt")

    result = run_manage(command_data_dir, "ingest", "--json", str(folder), timeout=120)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [Path(row["path"]).name for row in report["letters"]] == ["inside.txt"]
    reasons = {Path(row["path"]).name: row["reason"] for row in report["rejected"]}
    link = "skipped: a symbolic link (links inside a folder are not followed)"
    assert reasons == {
        "link.txt": link,
        "folder-link": link,
        "dangling.txt": link,
        "pipe.txt": "skipped: a FIFO (named pipe), not a regular file",
    }


def test_ingest_summary_says_it_indexed_items_not_letters(command_data_dir, tmp_path):
    letters = list(generate_letters(3, seed=14))
    for letter in letters:
        (tmp_path / f"{letter.case_number}.txt").write_text(letter.text)
    result = run_manage(command_data_dir, "ingest", "--no-progress", str(tmp_path))
    assert result.returncode == 0, result.stderr
    items = sum(len(parse_letter(letter.text).items) for letter in letters)
    assert items != len(letters)
    summary, embedded = result.stdout.strip().splitlines()
    assert summary == (
        f"3 ingested, 0 unchanged, 0 replaced, 0 rejected; "
        f"{items} items indexed (one per disputed treatment)"
    )
    # The embedding step's own line, its rate apart from the ingest's.
    assert re.fullmatch(
        rf"{items} items embedded for ranking by meaning in [\d.]+ s \([\d.]+ items/s\)", embedded
    )
