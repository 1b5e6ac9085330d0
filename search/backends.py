"""Where the service layer finds its search index (the Django side of the engine seam)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def index_dir() -> Path:
    """The index folder: settings.SEARCH_INDEX_DIR, read at call time (tests change it)."""
    return Path(settings.SEARCH_INDEX_DIR)
