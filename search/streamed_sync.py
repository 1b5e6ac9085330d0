"""Index letters while an ingest run is still reading and storing the next ones.

`sync_pending` after the last letter indexes the whole run in one go, while the storing process
has nothing else to do and, on a small run, the readers have already finished: on 2 cores half of
a 100-PDF run was that update, one core idle. `StreamedSync` instead takes each batch as soon as
`LetterBatch` has committed it and adds its items to one open writer, committed when the storing
ends.

It does so for a run's first STREAM_LETTERS letters or STREAM_SECONDS, whichever comes first;
then it commits and hands the rest of the run over to the closing `sync_pending`, which writes
a large remainder in parallel as before. Why not commit every so often through a long run: each
Whoosh commit merges the small segments by rewriting them, so regular commits in a bulk run of
millions of letters would rewrite the index again and again; and one writer held for hours would
shut out every upload and rebuild, which wait for the index lock a minute at most.

The database stays the source of truth, as with `sync_pending`: flags are lowered after the
commit, only for the version indexed. Anything that stops the stream (the index locked by another
writer, a full disk, a failure of any kind) cancels the uncommitted writes and leaves those
letters flagged; the run then ends with `sync_pending` as before, which indexes them or reports
why it could not.
"""

from __future__ import annotations

import contextlib
import logging
import time

from search.backends import get_backend
from search.indexing import clear_flags, indexed_version, read_pending

logger = logging.getLogger(__name__)

STREAM_LETTERS = 10_000
STREAM_SECONDS = 30.0
# How long opening the writer may wait for another one: briefly, as the readers wait meanwhile;
# the run's closing `sync_pending` waits its usual time.
OPEN_WAIT_SECONDS = 1.0


class StreamedSync:
    """Use as a context manager around the storing; call `stored(letter_pks)` after each batch is
    committed to the database. A clean exit commits; an exception cancels what is uncommitted.
    `written` counts the items committed; what it did not take stays flagged for sync_pending."""

    def __init__(self, *, letters: int | None = None, seconds: float | None = None):
        self.letters = letters or STREAM_LETTERS
        self.seconds = STREAM_SECONDS if seconds is None else seconds
        self.written = 0  # items in commits so far
        self.stopped = ""  # why the stream stopped early ("" while it runs)
        self.handed_over = False  # past its letters or seconds: the closing sync does the rest
        self.closing_seconds = 0.0  # the last commit, when the run's storing ended
        self._context = None  # the backend's writer context while one is open
        self._writer = None
        self._opened = 0.0
        self.commits = 0
        self._pending_items = 0
        self._versions: list[dict] = []
        self._letter_ids: set[str] = set()

    def __enter__(self) -> StreamedSync:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._cancel()
            return
        started = time.perf_counter()
        self._guarded(self._commit)
        self.closing_seconds = time.perf_counter() - started

    def stored(self, letter_pks: list[int]) -> None:
        """Index the letters of a batch just committed (those still flagged)."""
        if letter_pks and not self.stopped and not self.handed_over:
            self._guarded(lambda: self._add(letter_pks))

    def _add(self, letter_pks: list[int]) -> None:
        rows, documents = read_pending(letter_pks)
        if not rows:
            return
        letter_ids = [row["public_id"] for row in rows]
        if self._letter_ids.intersection(letter_ids):
            # The same letter stored again in this run: a writer's delete sees only committed
            # items, so its earlier version must be committed before it is replaced.
            self._commit()
        writer = self._open()
        self._pending_items += writer.replace_letters(letter_ids, documents)
        self._letter_ids.update(letter_ids)
        self._versions.extend(indexed_version(row) for row in rows)
        if (len(self._versions) >= self.letters
                or time.monotonic() - self._opened >= self.seconds):
            self._commit()
            self.handed_over = True

    def _open(self):
        if self._writer is None:
            self._context = get_backend().writer(wait_seconds=OPEN_WAIT_SECONDS)
            self._writer = self._context.__enter__()
            self._opened = time.monotonic()
        return self._writer

    def _commit(self) -> None:
        if self._writer is None:
            return
        context, self._context, self._writer = self._context, None, None
        context.__exit__(None, None, None)
        clear_flags(self._versions)
        self.written += self._pending_items
        self.commits += 1
        self._pending_items, self._versions, self._letter_ids = 0, [], set()

    def _cancel(self) -> None:
        context, self._context, self._writer = self._context, None, None
        if context is not None:
            stop = RuntimeError("streamed sync cancelled")
            with contextlib.suppress(Exception):  # the writer cancels and re-raises `stop`
                context.__exit__(RuntimeError, stop, None)
        self._pending_items, self._versions, self._letter_ids = 0, [], set()

    def _guarded(self, step) -> None:
        # Any failure leaves the letters flagged for the closing sync_pending, which indexes
        # them or reports, in the run's report, why the index could not be written.
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - handed over to the closing sync, see above
            self._cancel()
            self.stopped = f"{type(exc).__name__}: {exc}"
            logger.warning("indexing while storing stopped (%s); the run's end indexes the rest",
                           self.stopped)
