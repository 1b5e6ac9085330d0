"""SIGKILL at the worst moments: the database and the index must agree after a rerun.

Each test runs the real commands in child processes, on synthetic letters written to a temporary
folder, with their own data folder.
"""

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.manage_process import (
    PROJECT,
    clean_run_export,
    manage_env,
    migrated_data_dir,
    run_manage,
    start_manage,
    synthetic_folder,
)

LETTERS = 400

pytestmark = pytest.mark.slow


def stored_letters(data_dir: Path) -> int:
    try:
        with sqlite3.connect(data_dir / "imr.sqlite3", timeout=30) as connection:
            return connection.execute("select count(*) from search_letter").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def search_total(data_dir: Path, query: str = "") -> int:
    script = (
        "import django, json; django.setup();"
        "from search.searching import SearchRequest, run_search;"
        f"print(json.dumps(run_search(SearchRequest(q={query!r})).total))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**manage_env(data_dir), "DJANGO_SETTINGS_MODULE": "imrsite.settings"},
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    return synthetic_folder(tmp_path_factory, "synthetic-letters", LETTERS, seed=11)


@pytest.fixture(scope="module")
def clean_export(corpus_dir, tmp_path_factory) -> str:
    return clean_run_export(tmp_path_factory.mktemp("clean"), corpus_dir)


def fresh_data_dir(tmp_path: Path) -> Path:
    return migrated_data_dir(tmp_path / "data")


def test_kill_during_the_index_commit_then_rerun(tmp_path, corpus_dir, clean_export):
    data_dir = fresh_data_dir(tmp_path)
    process = start_manage(data_dir, "ingest", "--json", str(corpus_dir))
    deadline = time.monotonic() + 300
    # Every letter is in the database before the index is written: kill as soon as they are.
    while time.monotonic() < deadline and process.poll() is None:
        if stored_letters(data_dir) >= LETTERS:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()

    rerun = run_manage(data_dir, "ingest", "--json", str(corpus_dir))
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["rejected"] == [] and report["replaced"] == 0
    assert report["ingested"] + report["unchanged"] == LETTERS
    check = run_manage(data_dir, "check_index")
    assert check.returncode == 0, check.stdout + check.stderr
    assert run_manage(data_dir, "export", "--jsonl").stdout == clean_export


def test_kill_during_rebuild_keeps_the_old_index_searchable(tmp_path, corpus_dir):
    data_dir = fresh_data_dir(tmp_path)
    assert run_manage(data_dir, "ingest", str(corpus_dir)).returncode == 0
    total = search_total(data_dir)
    assert total > LETTERS  # more than one item a letter on average

    for delay in (0.5, 1.5):
        process = start_manage(data_dir, "rebuild_index")
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert search_total(data_dir) == total
        assert run_manage(data_dir, "check_index").returncode == 0

    rebuilt = run_manage(data_dir, "rebuild_index")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert search_total(data_dir) == total
    assert run_manage(data_dir, "check_index").returncode == 0
    # Generations left by the killed rebuilds are cleaned up: the live one and its predecessor.
    generations = [p for p in (data_dir / "index").iterdir() if p.is_dir()]
    assert len(generations) <= 2, generations


def child_pids(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def test_kill_during_a_parallel_index_write_then_rerun(tmp_path, corpus_dir, clean_export):
    """A large sync writes with several processes, forked while the parent holds the index's
    write lock: killed with the parent they must not keep the lock from the next run."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to find the writer processes")
    data_dir = fresh_data_dir(tmp_path)
    process = start_manage(
        data_dir, "ingest", "--json", str(corpus_dir), IMR_PARALLEL_SYNC_ITEMS="1"
    )
    deadline = time.monotonic() + 300
    writers: list[int] = []
    while time.monotonic() < deadline and process.poll() is None and not writers:
        if stored_letters(data_dir) >= LETTERS:
            writers = child_pids(process.pid)
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert writers, "the ingest finished before its writer processes could be seen"
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in writers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in writers)

    started = time.monotonic()
    rerun = run_manage(data_dir, "ingest", "--json", str(corpus_dir), IMR_PARALLEL_SYNC_ITEMS="1")
    assert rerun.returncode == 0, rerun.stderr
    assert time.monotonic() - started < 50  # not waiting out a lock (60 s) held by orphans
    assert run_manage(data_dir, "check_index").returncode == 0
    assert run_manage(data_dir, "export", "--jsonl").stdout == clean_export
