"""Run `manage.py` commands in child processes, each with a data folder of its own.

The real commands, as cron or an operator runs them: tests of crashes, concurrency and full disks
need separate processes, not `call_command` inside the test's own database connection.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from search.letters.synthetic import write_corpus

PROJECT = Path(__file__).resolve().parent.parent


def manage_env(data_dir: Path, database_url: str = "", **extra: str) -> dict:
    """The environment of a command on `data_dir`: SQLite there unless `database_url` is given."""
    env = {**os.environ, "IMR_DATA_DIR": str(data_dir), **extra}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def manage_command(*args: str) -> list[str]:
    return [sys.executable, str(PROJECT / "manage.py"), *args]


def run_manage(
    data_dir: Path, *args: str, database_url: str = "", timeout: float = 600, **extra: str
) -> subprocess.CompletedProcess:
    env = manage_env(data_dir, database_url, **extra)
    return subprocess.run(
        manage_command(*args), env=env, capture_output=True, text=True, timeout=timeout
    )


def start_manage(
    data_dir: Path, *args: str, database_url: str = "", capture: bool = False, **extra: str
) -> subprocess.Popen:
    """A command running in the background; with `capture`, its output is kept for reading."""
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    env = manage_env(data_dir, database_url, **extra)
    return subprocess.Popen(manage_command(*args), env=env, stdout=output, stderr=output, text=True)


def migrated_data_dir(data_dir: Path) -> Path:
    result = run_manage(data_dir, "migrate", "--noinput", "-v", "0")
    assert result.returncode == 0, result.stderr
    return data_dir


def synthetic_folder(tmp_path_factory, name: str, count: int, seed: int) -> Path:
    """A folder of `count` synthetic letters, as files for the ingest command."""
    folder = tmp_path_factory.mktemp(name)
    write_corpus(folder, count, seed=seed)
    return folder


def clean_run_export(data_dir: Path, folder: Path) -> str:
    """`export --jsonl` after one uninterrupted ingest of `folder` into a new data folder: what
    an interrupted run and its rerun must end up with."""
    migrated_data_dir(data_dir)
    ingested = run_manage(data_dir, "ingest", "--json", str(folder))
    assert ingested.returncode == 0, ingested.stderr
    return run_manage(data_dir, "export", "--jsonl").stdout
