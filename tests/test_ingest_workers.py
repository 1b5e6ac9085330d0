"""Letters read in worker processes: a file that crashes, hangs or exhausts its worker costs that
file alone, results are stored in input order, and a killed parallel run reruns clean.

Every test runs the real `ingest` command in a child process with its own data folder. The
faults come from files the worker acts on when the test's environment sets
IMR_INGEST_TEST_FAULTS=1 (search/ingest_workers.py): a real segfault, a real sleep past the time
limit, a real allocation past the memory limit.
"""

import io
import json
import random
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from pypdf import PdfWriter

from search.ingest_workers import FAULT_MARKER, FAULTS_ENV
from search.models import Letter
from tests.manage_process import (
    clean_run_export,
    migrated_data_dir,
    run_manage,
    start_manage,
    synthetic_folder,
)
from tests.test_crash_safety import alive, child_pids, stored_letters


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def stored_ids(data_dir: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(data_dir / "imr.sqlite3", timeout=30) as connection:
        return connection.execute("select id, public_id from search_letter order by id").fetchall()


@pytest.fixture(scope="module")
def good_letters(tmp_path_factory) -> Path:
    return synthetic_folder(tmp_path_factory, "good-letters", 6, seed=21)


def test_a_file_that_crashes_hangs_or_exhausts_its_worker_is_rejected_alone(
    tmp_path, good_letters
):
    folder = tmp_path / "letters"
    folder.mkdir()
    for letter in sorted(good_letters.iterdir()):
        (folder / letter.name).write_bytes(letter.read_bytes())
    faults = {"crash": "a-crash.txt", "hang": "b-hang.txt", "allocate": "c-allocate.txt"}
    for kind, name in faults.items():
        (folder / name).write_bytes(FAULT_MARKER + kind.encode())
    pdf = blank_pdf()
    (folder / "d-truncated.pdf").write_bytes(pdf[: len(pdf) // 2])
    (folder / "e-no-text.pdf").write_bytes(pdf)
    (folder / "f-random.pdf").write_bytes(random.Random(3).randbytes(4096))
    data_dir = migrated_data_dir(tmp_path / "data")

    result = run_manage(
        data_dir, "ingest", "--json", "--workers", "2", "--timeout", "3",
        "--memory-limit", "1024", str(folder), **{FAULTS_ENV: "1"},
    )  # fmt: skip

    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    reasons = {Path(r["path"]).name: r["reason"] for r in report["rejected"]}
    assert reasons["a-crash.txt"] == "the PDF reader crashed on it (SIGSEGV)"
    assert reasons["b-hang.txt"] == "reading it took longer than 3 seconds, so it was stopped"
    assert reasons["c-allocate.txt"] == (
        "reading it needed more than the 1,024 MB of memory a file may use"
    )
    assert "damaged" in reasons["d-truncated.pdf"]
    assert "no text layer" in reasons["e-no-text.pdf"]
    assert reasons["f-random.pdf"] == "The file is named .pdf but is not a PDF."
    assert len(reasons) == 6
    # The good letters all went in, in the order given.
    assert report["ingested"] == 6
    assert [Path(row["path"]).name for row in report["letters"]] == sorted(
        p.name for p in good_letters.iterdir()
    )


def test_the_fault_files_are_plain_bad_letters_without_the_test_switch(tmp_path):
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "crash.txt").write_bytes(FAULT_MARKER + b"crash")
    data_dir = migrated_data_dir(tmp_path / "data")
    result = run_manage(data_dir, "ingest", "--json", str(folder))
    assert result.returncode == 1
    (rejected,) = json.loads(result.stdout)["rejected"]
    assert "does not look like an IMR final determination letter" in rejected["reason"]


def test_a_run_of_rejected_files_starts_no_reader_process():
    from search.ingest_workers import LetterReaders
    from search.letters.sources import Rejected

    rejected = Rejected("notes.doc", "unsupported file type .doc: use .pdf, .txt or .zip")
    with LetterReaders(2) as readers:
        results = list(readers.read([(0, rejected)]))
    assert results == [(0, rejected, None)]
    assert readers.pool is None


def test_the_reader_server_preloads_every_module_reading_a_letter_imports(letters_dir):
    """Workers fork from the server: a module the parser imports on first use and the server
    did not preload would be imported again in every new worker, on its first letter."""
    import subprocess
    import sys

    script = f"""
import sys
from multiprocessing import forkserver
import search.ingest_workers
for name in forkserver._forkserver._preload_modules:
    __import__(name)
before = set(sys.modules)
from search.ingest_workers import read_letter
from search.letters.sources import LetterFile
for path in {sorted(str(p) for p in (letters_dir / "pdf").glob("*.pdf"))[:5]!r}:
    read_letter(LetterFile(path, open(path, "rb").read()))
print(sorted(m for m in set(sys.modules) - before if m.startswith("search")))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"


def test_one_worker_and_two_store_the_same_database_with_the_same_ids(tmp_path, good_letters):
    runs = []
    for workers in ("1", "2"):
        data_dir = migrated_data_dir(tmp_path / f"data-{workers}")
        result = run_manage(data_dir, "ingest", "--json", "--workers", workers, str(good_letters))
        assert result.returncode == 0, result.stderr
        export = run_manage(data_dir, "export", "--jsonl").stdout
        runs.append((stored_ids(data_dir), export))
    assert runs[0] == runs[1]
    assert [public_id for _, public_id in runs[0][0]] == sorted(
        p.stem for p in good_letters.iterdir()
    )


@pytest.mark.slow
def test_kill_during_a_parallel_ingest_then_rerun_gives_one_clean_run(tmp_path_factory):
    letters = 600
    corpus = synthetic_folder(tmp_path_factory, "kill-letters", letters, seed=23)
    clean_dir = tmp_path_factory.mktemp("clean")
    clean_export = clean_run_export(clean_dir, corpus)
    data_dir = migrated_data_dir(tmp_path_factory.mktemp("killed") / "data")

    process = start_manage(data_dir, "ingest", "--json", "--workers", "2", str(corpus))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if stored_letters(data_dir) >= letters // 3:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < stored_letters(data_dir) < letters, "the kill did not land mid-run"

    rerun = run_manage(data_dir, "ingest", "--json", "--workers", "2", str(corpus))
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["ingested"] + report["unchanged"] == letters and report["replaced"] == 0
    assert run_manage(data_dir, "check_index").returncode == 0
    assert run_manage(data_dir, "export", "--jsonl").stdout == clean_export
    assert stored_ids(data_dir) == stored_ids(clean_dir)


@pytest.mark.slow
def test_killed_ingest_takes_its_reader_processes_with_it(tmp_path):
    """Even a worker stuck on a file (which reads nothing more from the pool) ends with the
    ingest, and so does the forkserver it came from."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to find the reader processes")
    (tmp_path / "hang.txt").write_bytes(FAULT_MARKER + b"hang")
    data_dir = migrated_data_dir(tmp_path / "data")
    process = start_manage(data_dir, "ingest", str(tmp_path / "hang.txt"), **{FAULTS_ENV: "1"})
    readers: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None and not readers:
        # the ingest's children (forkserver, resource tracker), and the forkserver's: a worker
        readers = [
            grandchild for child in child_pids(process.pid) for grandchild in child_pids(child)
        ]
        time.sleep(0.1)
    assert readers, "no reader process was seen"
    servers = child_pids(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in readers + servers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in readers + servers)


@pytest.mark.slow
@pytest.mark.django_db
def test_every_sample_letter_exports_as_it_did_when_pypdf_read_it(letters_dir, pdf_paths):
    """`export --jsonl` after the real ingest (PDFium, worker processes) equals, field by field,
    the export of the same letters stored from pypdf's text in this process, as ingest did."""
    from search.ingest import ingest_paths, store_letter
    from search.letters.extract import clean_text, decode_text, pypdf_text
    from search.letters.parser import parse_letter
    from tests.test_ingest import export_lines

    report = ingest_paths([letters_dir / "seeds", letters_dir / "pdf"])
    assert not report.rejected and report.ingested == len(pdf_paths) + 5
    by_workers = export_lines()

    Letter.objects.all().delete()
    for path in sorted(letters_dir.glob("*/*")):
        data = path.read_bytes()
        raw = pypdf_text(data) if path.suffix == ".pdf" else decode_text(data)
        text = clean_text(raw)
        store_letter(parse_letter(text), text, source_name=path.name)
    by_pypdf = export_lines()

    assert [line["id"] for line in by_workers] == [line["id"] for line in by_pypdf]
    for ours, before in zip(by_workers, by_pypdf, strict=True):
        for name in before:
            assert ours[name] == before[name], (before["id"], name)

