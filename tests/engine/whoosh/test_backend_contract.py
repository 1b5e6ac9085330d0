"""The Whoosh backend passes the backend contract (tests/engine/contract.py)."""

from __future__ import annotations

from search.engine.whoosh.backend import WhooshBackend
from tests.engine.contract import BackendContract


class TestWhooshBackend(BackendContract):
    def make_backend(self, path):
        # One writer process: the corpus is tiny, and forked writers cost more than it.
        return WhooshBackend(path, time_limit_seconds=10, build_procs=1)
