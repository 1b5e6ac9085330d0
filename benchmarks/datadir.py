"""The benchmark's own data folder: where it lives, what it holds, and the children's environment.

    <data dir>/manifest.json    what was built, with the build's measurements (for reuse)
    <data dir>/app/             IMR_DATA_DIR of the children: imr.sqlite3 and index/
    <data dir>/peers/           fts5.sqlite3 and haystack/ (the peers' own indexes)
    <data dir>/scratch/         a throw-away copy for "add 1,000 letters to the large index"
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from django.conf import settings

MANIFEST = "manifest.json"
DATA_DIR_ENV = "IMR_DATA_DIR"


def default_data_dir(items: int, seed: int) -> Path:
    # var/ is git-ignored; one folder per corpus so a second run with the same size reuses it.
    return Path(settings.BASE_DIR) / "var" / "bench" / f"items-{items}-seed-{seed}"


def app_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "app"


def peers_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "peers"


def scratch_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "scratch"


def read_manifest(data_dir: Path) -> dict:
    path = Path(data_dir) / MANIFEST
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def write_manifest(data_dir: Path, manifest: dict) -> None:
    path = Path(data_dir) / MANIFEST
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(tmp, path)


def child_environment(app_folder: Path) -> dict[str, str]:
    """The environment a measured child runs in: its settings can only reach `app_folder`."""
    env = dict(os.environ)
    # A DATABASE_URL would send the child to the user's database: the benchmark uses SQLite.
    env.pop("DATABASE_URL", None)
    env[DATA_DIR_ENV] = str(Path(app_folder).resolve())
    env.setdefault("DJANGO_SETTINGS_MODULE", "imrsite.settings")
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("IMR_LOG_LEVEL", "ERROR")
    return env


def assert_isolated(app_folder: Path) -> None:
    """Refuse to run a phase whose settings point anywhere but the benchmark's folder."""
    expected = Path(app_folder).resolve()
    db_name = Path(str(settings.DATABASES["default"].get("NAME", ""))).resolve()
    index_dir = Path(settings.SEARCH_INDEX_DIR).resolve()
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        raise SystemExit("bench: the benchmark runs on SQLite only (unset DATABASE_URL)")
    for path in (db_name, index_dir):
        if expected not in (path, *path.parents):
            raise SystemExit(f"bench: refusing to run, {path} is outside {expected}")


def python_executable() -> str:
    return sys.executable
