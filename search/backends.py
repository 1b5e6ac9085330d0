"""The search backend the service uses, chosen from settings (the pattern of Django's CACHES).

    SEARCH_BACKENDS = {
        "default": {
            "BACKEND": "search.engine.whoosh.backend.WhooshBackend",
            # Other keys are the backend's options, lower-cased: PATH -> path=...
        }
    }

For the Whoosh backend, PATH defaults to settings.SEARCH_INDEX_DIR and TIME_LIMIT_SECONDS to
settings.SEARCH_TIME_LIMIT_SECONDS (2.0), both read at call time (tests point
SEARCH_INDEX_DIR at a folder of their own). The engine itself reads no settings.

The Solr backend (search.engine.solr.backend.SolrBackend, DEPLOYMENT.md) is configured as
"solr" in settings from IMR_SOLR_URL, IMR_SOLR_COLLECTION and IMR_SOLR_USERNAME/PASSWORD, and
becomes "default" with IMR_SEARCH_BACKEND=solr; Whoosh stays the default otherwise.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "search.engine.whoosh.backend.WhooshBackend"


def backend_config(alias: str = "default") -> dict:
    configured = getattr(settings, "SEARCH_BACKENDS", None) or {}
    if alias not in configured and alias != "default":
        raise KeyError(f"no search backend named {alias!r} in SEARCH_BACKENDS")
    return dict(configured.get(alias) or {})


def get_backend(alias: str = "default"):
    """A backend built from SEARCH_BACKENDS[alias] (cheap: the index itself is cached by the
    engine per folder)."""
    config = backend_config(alias)
    backend_class = import_string(config.pop("BACKEND", DEFAULT_BACKEND))
    options = {key.lower(): value for key, value in config.items()}
    options.setdefault("path", index_dir())
    options.setdefault("time_limit_seconds", time_limit_seconds())
    return backend_class(**options)


def index_dir() -> Path:
    """The index folder: settings.SEARCH_INDEX_DIR, read at call time (tests change it)."""
    return Path(settings.SEARCH_INDEX_DIR)


def time_limit_seconds() -> float:
    return float(getattr(settings, "SEARCH_TIME_LIMIT_SECONDS", 2.0))
