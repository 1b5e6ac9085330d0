"""Shared fixtures.

The sample letters are public records that are not ours: they are read from ../shared/letters
(or IMR_LETTERS_DIR) and never copied into the project. Tests that need them skip with a reason
when the folder is missing. Reading a PDF is the slow part, so each sample is read once per
session here; the letters stored and indexed once per session are in tests/search_support.py.
"""

import os
from pathlib import Path

import pypdf
import pytest

from search.letters.extract import extract_letter_text

pytest_plugins = ["tests.search_support"]

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


@pytest.fixture(scope="session")
def sample_texts(seed_paths, pdf_paths) -> list[tuple[str, str]]:
    """(file name, extracted text) of every sample letter, PDFs first."""
    return [(p.name, extract_letter_text(p.read_bytes(), p.name)) for p in pdf_paths + seed_paths]


@pytest.fixture(scope="session")
def sample_pdf_pages(pdf_paths) -> dict[str, list[str]]:
    """pypdf's own text of each page of every sample PDF, by file name, before our cleaning."""
    pages = {}
    for path in pdf_paths:
        reader = pypdf.PdfReader(str(path))
        reader.decrypt("")
        pages[path.name] = [page.extract_text() or "" for page in reader.pages]
    return pages


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

