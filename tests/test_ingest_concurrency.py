"""Two ingests at once (a cron ingest and a second run, or an upload): the second one waits, and
no valid letter is ever reported rejected because another ingest is running.

Two real `manage.py ingest` processes on one database: SQLite in a data folder of their own, and
PostgreSQL too when the suite runs on it (the test database, emptied after the test).
"""

import json
import os
import time
from pathlib import Path

import pytest

from search.letters.synthetic import write_corpus
from tests.manage_process import migrated_data_dir, run_manage, start_manage

LETTERS = 160  # two batches of STORE_BATCH_LETTERS and more in each run: their stores overlap

pytestmark = pytest.mark.slow  # about 40 s: four ingests of 80-160 letters


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("concurrent-letters")
    write_corpus(folder / "all", LETTERS, seed=31)
    for half in ("even", "odd"):
        (folder / half).mkdir()
    for n, path in enumerate(sorted((folder / "all").glob("*.txt"))):
        (folder / ("even" if n % 2 == 0 else "odd") / path.name).write_bytes(path.read_bytes())
    return folder


def _postgres_url(settings_dict: dict) -> str:
    user, password = settings_dict["USER"], settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{password}" if password else user
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.django_db(transaction=True))]
)
def database(request, tmp_path) -> tuple[Path, str]:
    """(data folder, DATABASE_URL or "" for SQLite in the data folder), migrated."""
    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        return migrated_data_dir(data_dir), ""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("PostgreSQL runs with DATABASE_URL set (scripts/ci-postgres)")
    from django.db import connection  # the test database, set up by the django_db mark

    data_dir.mkdir()
    return data_dir, _postgres_url(connection.settings_dict)


def ingest_both(database, first: Path, second: Path) -> list[dict]:
    data_dir, url = database
    processes = [
        start_manage(data_dir, "ingest", "--json", str(folder), database_url=url, capture=True)
        for folder in (first, second)
    ]
    deadline = time.monotonic() + 300
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=max(1, deadline - time.monotonic()))
        assert out, err
        report = json.loads(out)
        assert (process.returncode, report["rejected"]) == (0, []), err[-2000:]
        reports.append(report)
    return reports


def assert_index_matches(database) -> None:
    data_dir, url = database
    check = run_manage(data_dir, "check_index", database_url=url)
    assert check.returncode == 0, check.stdout + check.stderr


def test_two_ingests_of_different_letters_both_store_everything(database, corpus):
    reports = ingest_both(database, corpus / "even", corpus / "odd")
    assert [r["ingested"] for r in reports] == [LETTERS // 2, LETTERS // 2]
    assert_index_matches(database)


def test_two_ingests_of_the_same_letters_store_each_once(database, corpus):
    reports = ingest_both(database, corpus / "all", corpus / "all")
    assert reports[0]["replaced"] == reports[1]["replaced"] == 0
    # Each letter is new to exactly one of the two runs and unchanged to the other.
    for id_ in {row["id"] for row in reports[0]["letters"]}:
        statuses = sorted(
            row["status"] for report in reports for row in report["letters"] if row["id"] == id_
        )
        assert statuses == ["ingested", "unchanged"], id_
    assert sum(r["ingested"] for r in reports) == LETTERS
    assert_index_matches(database)
