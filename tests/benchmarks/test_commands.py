"""`manage.py bench` and `loadtest` are thin commands over benchmarks/, a folder of the source
tree that the installed package does not ship: from the project root they run it, and without it
they say where to run them instead of failing with a traceback."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


def manage(project: Path, data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "IMR_DATA_DIR": str(data_dir)}
    env.pop("PYTHONPATH", None)
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, str(project / "manage.py"), *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def installed_tree(tmp_path_factory) -> Path:
    """What a production install has: the site and the app, no benchmarks/ beside manage.py."""
    tree = tmp_path_factory.mktemp("installed")
    shutil.copy(PROJECT / "manage.py", tree / "manage.py")
    for package in ("imrsite", "search"):
        (tree / package).symlink_to(PROJECT / package)
    return tree


@pytest.mark.parametrize("command", ["bench", "loadtest"])
def test_without_benchmarks_the_commands_say_where_to_run_them(installed_tree, tmp_path, command):
    result = manage(installed_tree, tmp_path, command, "--items", "10")
    assert result.returncode == 1, result.stderr
    assert "The benchmarks/ folder is not here" in result.stderr
    assert "source tree" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["bench", "loadtest"])
def test_without_benchmarks_help_still_lists_the_options(installed_tree, tmp_path, command):
    result = manage(installed_tree, tmp_path, command, "--help")
    assert result.returncode == 0, result.stderr
    assert "--items" in result.stdout


def test_from_the_project_root_the_command_reaches_the_benchmarks(tmp_path):
    # A refusal that only benchmarks/ can give: it read the folder's manifest.
    (tmp_path / "bench" / "app").mkdir(parents=True)
    result = manage(PROJECT, tmp_path / "data", "loadtest", "--items", "10",
                    "--data-dir", str(tmp_path / "bench"))
    assert result.returncode == 1
    assert "holds no finished corpus" in result.stderr
