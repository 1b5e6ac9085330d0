"""Ingest onto a really full disk: a small tmpfs holds the data folder.

The run must end with a clear message, the JSON report (what was stored, what was not and why)
and exit code 3, never a bare traceback; a rerun once space is freed gives what one clean run
gives, and the index matches the database.
"""

import json
import shutil
from pathlib import Path

import pytest

from tests.manage_process import (
    clean_run_export,
    migrated_data_dir,
    run_manage,
    synthetic_folder,
)
from tests.small_disk import mounted_tmpfs

LETTERS = 150  # about 2.3 MB of database and 3 MB of index
pytestmark = pytest.mark.slow  # about a minute: five ingests of 150 letters


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return synthetic_folder(tmp_path_factory, "full-disk-letters", LETTERS, seed=41)


@pytest.fixture(scope="module")
def clean_export(corpus, tmp_path_factory) -> str:
    return clean_run_export(tmp_path_factory.mktemp("roomy") / "data", corpus)


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs, unmounted after the test."""
    with mounted_tmpfs(tmp_path, 16) as disk:
        yield disk


def fill(disk: Path, leave_kb: int) -> Path:
    """Fill `disk` but for `leave_kb` KB; returns the filler file, to delete to free the space."""
    filler = disk / "filler"
    free_kb = shutil.disk_usage(disk).free // 1024
    with filler.open("wb") as out:
        out.truncate(0)
        for _ in range((free_kb - leave_kb) // 64):
            out.write(b"\0" * 65536)  # written, not sparse, so tmpfs counts it
    return filler


@pytest.mark.parametrize(
    ("leave_kb", "stopped_in"),
    [(1200, "the database could not store letters"), (4500, "the search index was not updated")],
    ids=["while-storing", "while-indexing"],
)
def test_ingest_on_a_full_disk_reports_and_a_rerun_completes(
    small_disk, corpus, clean_export, leave_kb, stopped_in
):
    data_dir = migrated_data_dir(small_disk / "data")
    filler = fill(small_disk, leave_kb)

    full = run_manage(data_dir, "ingest", "--json", str(corpus))
    assert full.returncode == 3, full.stderr[-3000:]
    assert "Traceback" not in full.stderr
    assert f"ingest stopped: {stopped_in}" in full.stderr
    report = json.loads(full.stdout)
    assert report["error"].startswith(stopped_in)
    assert "full" in report["error"] or "No space left" in report["error"]
    assert report["rejected"] == []
    # Every letter is either stored or listed as not stored, with the reason.
    stored = {row["path"] for row in report["letters"]}
    not_stored = {row["path"] for row in report["not_stored"]}
    assert stored.isdisjoint(not_stored)
    assert stored | not_stored == {str(p) for p in corpus.glob("*.txt")}
    assert all(row["reason"] for row in report["not_stored"])
    assert report["ingested"] == len(stored)

    filler.unlink()
    rerun = run_manage(data_dir, "ingest", "--json", str(corpus))
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    again = json.loads(rerun.stdout)
    assert (again["ingested"], again["unchanged"]) == (len(not_stored), len(stored))
    check = run_manage(data_dir, "check_index")
    assert check.returncode == 0, check.stdout + check.stderr
    assert run_manage(data_dir, "export", "--jsonl").stdout == clean_export
