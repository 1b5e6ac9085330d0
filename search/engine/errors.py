"""Errors every search backend raises the same way (engine-neutral: no Django, no Whoosh)."""


class IndexUnavailable(Exception):
    """The index cannot be searched as it is (missing, or built by another schema version)."""


class RebuildNeeded(IndexUnavailable):
    """The index was built by another schema version: `manage.py rebuild_index` fixes it."""
