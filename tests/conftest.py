"""Shared fixtures.

The sample letters are public records that are not ours: they are read from ../shared/letters
(or IMR_LETTERS_DIR) and never copied into the project. Tests that need them skip with a reason
when the folder is missing.
"""

import os
from pathlib import Path

import pytest

DEFAULT_LETTERS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "letters"


def letters_root() -> Path:
    return Path(os.environ.get("IMR_LETTERS_DIR", DEFAULT_LETTERS_DIR))


@pytest.fixture(scope="session")
def letters_dir() -> Path:
    root = letters_root()
    if not (root / "seeds").is_dir() or not (root / "pdf").is_dir():
        pytest.skip(f"sample letters not found at {root} (set IMR_LETTERS_DIR to their folder)")
    return root


@pytest.fixture(scope="session")
def seed_paths(letters_dir) -> list[Path]:
    return sorted((letters_dir / "seeds").glob("*.txt"))


@pytest.fixture(scope="session")
def pdf_paths(letters_dir) -> list[Path]:
    return sorted((letters_dir / "pdf").glob("*.pdf"))


def seed_path(letters_dir: Path, prefix: str) -> Path:
    """The seed whose file name starts with `prefix` ("000" .. "004")."""
    matches = sorted((letters_dir / "seeds").glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip(f"seed {prefix} not found in {letters_dir / 'seeds'}")
    return matches[0]


@pytest.fixture(autouse=True)
def isolated_search_index(tmp_path_factory, settings):
    """Every test gets its own index folder; the index module reads the setting at call time."""
    settings.SEARCH_INDEX_DIR = tmp_path_factory.mktemp("index")
    return settings.SEARCH_INDEX_DIR


@pytest.fixture(autouse=True)
def unthrottled(settings):
    """Tests send many requests from one address: no rate limit, counters kept in memory.

    Tests of the limits themselves set IMR_RATE_LIMIT or IMR_LOGIN_ATTEMPTS again.
    """
    settings.IMR_RATE_LIMIT = 0
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "d"},
        "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
    }
    from django.core.cache import caches

    caches["throttle"].clear()

