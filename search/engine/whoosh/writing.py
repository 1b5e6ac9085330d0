"""Writing an index: a writer on the live generation, and building a new generation.

A second writer waits for the first (Whoosh's write lock, an flock the kernel releases when a
writer dies); a rebuild writes with one process per core into one segment each.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from whoosh import index
from whoosh.index import LockError
from whoosh.multiproc import MpWriter, SubWriterTask

from search.engine.errors import IndexUnavailable
from search.engine.whoosh import patches, schema, storage

WRITER_TIMEOUT_SECONDS = 60.0
# A rebuild writes with one process per core into one segment each; `limitmb` is per process.
BUILD_WRITER_OPTIONS = {"procs": int(os.environ.get("IMR_INDEX_PROCS", "2")), "multisegment": True,
                        "limitmb": 256}

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class _SubWriterTask(SubWriterTask):
    """Whoosh's sub-writer process, made to die with its parent.

    A sub-writer is forked after the parent took the index's write lock, an flock that the
    child's copy of the descriptor keeps held; and it waits on its job queue forever. So a
    parent killed mid-write would leave children that block every later writer. The kernel
    kills them with the parent instead (Linux; elsewhere they only check at start).
    """

    def run(self):
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != self.parent_pid:
            os._exit(1)  # the parent died before the line above
        super().run()


class _ParallelWriter(MpWriter):
    """MpWriter (one segment per process) whose sub-writers die with the parent, and stop
    when the writer is cancelled (Whoosh's cancel only sets a flag in the parent's copy of each
    task, leaving them blocked on their queue)."""

    def _new_task(self):
        task = _SubWriterTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
            self.multisegment,
        )
        task.parent_pid = os.getpid()
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self):
        for task in self.tasks:
            if task.is_alive():
                task.kill()
            task.join()
        self.tasks = []
        super().cancel()


def new_writer(ix: index.Index, *, procs: int = 1, multisegment: bool = True, **options):
    """A writer on `ix`; with procs > 1 (capped at the cores), `procs` processes that write a
    segment each (multisegment) or hand their sorted postings to the parent."""
    patches.install()
    procs = min(procs, os.cpu_count() or 1)
    if procs < 2:
        return ix.writer(**options)
    return _ParallelWriter(ix, procs=procs, multisegment=multisegment, **options)


@contextlib.contextmanager
def live_writer(root: Path, *, procs: int = 1, wait_seconds: float | None = None) -> Iterator:
    """A writer on the live generation; a second writer waits for the first instead of failing
    (up to `wait_seconds`, WRITER_TIMEOUT_SECONDS by default).

    If a rebuild switched generations while this one waited for the lock, it moves to the new
    generation so no update lands in an index that is about to be dropped. With procs > 1
    (large batches), documents are written by that many processes into a segment each; deletes
    apply as with one process (they mark documents of the existing segments).
    """
    for _ in range(5):
        generation, ix = storage.open_or_create(root)
        storage.check_schema(ix)
        try:
            # limitmb (per process): postings are held in memory up to this, then in runs on
            # disk (see segment_writer.TermPool).
            writer = new_writer(
                ix,
                procs=procs,
                timeout=WRITER_TIMEOUT_SECONDS if wait_seconds is None else wait_seconds,
                delay=0.05,
                limitmb=256,
            )
        except LockError as exc:
            raise IndexUnavailable("the search index is locked by another writer") from exc
        if storage.current_generation(root) != generation:
            writer.cancel()
            continue
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return
    raise IndexUnavailable("the search index kept changing generation; try again")


def build_generation(
    root: Path,
    fill: Callable[[object], None],
    *,
    on_switch: Callable | None = None,
    procs: int | None = None,
) -> str:
    """Fill a fresh generation of the index folder `root` with `fill(writer)`, then make it the
    live one.

    While the pointer switches, the live generation's write lock is held so no incremental
    update is half-way into the old generation; `on_switch` runs right after the switch (still
    under that lock is not needed: callers re-apply recent changes through `live_writer`).
    """
    patches.install()
    root.mkdir(parents=True, exist_ok=True)
    name = storage.new_generation_name()
    path = root / name
    path.mkdir()
    ix = index.create_in(str(path), schema.build_schema())
    options = dict(BUILD_WRITER_OPTIONS)
    if procs is not None:
        options["procs"] = procs
    writer = new_writer(ix, **options)
    parallel = isinstance(writer, MpWriter)
    try:
        storage.add_schema_marker(writer)
        fill(writer)
    except BaseException:
        writer.cancel()
        shutil.rmtree(path, ignore_errors=True)
        raise
    # One segment per writer process: merging them would rewrite the whole index for little
    # gain at search time (searches read the segments one after the other).
    writer.commit(optimize=not (parallel and options.get("multisegment")))
    with storage.root_lock(root):
        old = storage.current_generation(root)
        old_lock = None
        if old and (root / old).is_dir():
            with contextlib.suppress(Exception):
                old_ix = index.open_dir(str(root / old))
                old_lock = old_ix.lock("WRITELOCK")
                if not _try_acquire(old_lock, WRITER_TIMEOUT_SECONDS):
                    old_lock = None
        try:
            storage.write_pointer(root, name)
        finally:
            if old_lock is not None:
                old_lock.release()
    if on_switch:
        on_switch()
    storage.cleanup_generations(root)
    return name


def _try_acquire(lock, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if lock.acquire(blocking=False):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
