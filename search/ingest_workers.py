"""Read letters (extract and parse) in a pool of worker processes, results in input order.

Extraction and parsing are most of an ingest's time and need no database, so they run in worker
processes, one file at a time each, while the calling process stores what comes back, in the order
the files were given, so a rerun stores the same letters in the same order (the same database, the
same ids). A PDF is untrusted input to C code (PDFium): a file that crashes its worker, runs past
`timeout` seconds, or needs more than `memory_mb` of memory costs that file alone, rejected with a
reason, and the pool starts a fresh worker for the next file.

The pool is Pebble's ProcessPool, made for exactly this (a timeout per task, a dead worker failing
only its own task), on a forkserver: workers fork from a small process that has imported the
readers once, not from the caller, which holds database connections and threads.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import resource
import select
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from pebble import ProcessExpired, ProcessPool

from search.letters import domain
from search.letters.extract import ExtractionError, extract_letter_text
from search.letters.parser import parse_letter
from search.letters.sources import LetterFile, Rejected

DEFAULT_TIMEOUT_SECONDS = 60.0
# Address space a worker may map (RLIMIT_AS), the interpreter and PDFium included (about 300 MB
# before a file is read); the largest sample letter needs a few MB more than that.
DEFAULT_MEMORY_MB = 2048
# Files handed to the pool ahead of the one being stored, per worker: enough to keep every worker
# busy while the caller stores a batch, few enough that memory stays flat over a million files.
AHEAD_PER_WORKER = 8

# Set to 1 in a test's environment only: a text file starting with FAULT_MARKER then "crash",
# "hang" or "allocate" makes its worker do that, so the isolation is tested through the real path.
FAULTS_ENV = "IMR_INGEST_TEST_FAULTS"
FAULT_MARKER = b"IMR-TEST-FAULT:"


def default_workers() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class ReadLetter:
    """A file read and parsed: the letter and the clean text it was parsed from."""

    parsed: domain.ParsedLetter
    text: str


@dataclass(frozen=True)
class Unreadable:
    """A file that is not a readable letter, and why, in words for the user."""

    reason: str


def read_letter(entry: LetterFile, memory_mb: int = DEFAULT_MEMORY_MB) -> ReadLetter | Unreadable:
    """Extract and parse one file; every failure becomes an Unreadable with its reason."""
    try:
        text = extract_letter_text(entry.data, entry.path)
        return ReadLetter(parse_letter(text), text)
    except (ExtractionError, domain.NotALetter) as exc:
        return Unreadable(exc.reason)
    except MemoryError:
        return Unreadable(_out_of_memory(memory_mb))
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop the run
        return Unreadable(f"could not be parsed ({type(exc).__name__})")


def _out_of_memory(memory_mb: int) -> str:
    return f"reading it needed more than the {memory_mb:,} MB of memory a file may use"


def _start_worker(memory_mb: int, owner: int) -> None:
    """In each new worker: cap its memory, so a file that would exhaust it fails alone, and end
    the worker with `owner`, the process that started the pool."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    threading.Thread(target=_exit_with, args=(owner,), daemon=True).start()


def _exit_with(owner: int) -> None:
    """Exit as soon as `owner` has ended (killed, say). A worker's parent is the forkserver, not
    the owner, and a worker busy on a file (or hanging on one) reads no more from the pool."""
    try:
        handle = os.pidfd_open(owner)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd here (not Linux 5.3+): look once a second
        while _alive(owner):
            time.sleep(1)
        os._exit(1)
    select.select([handle], [], [])  # readable once the owner has ended
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_in_worker(entry: LetterFile, memory_mb: int) -> tuple[ReadLetter | Unreadable, int]:
    """The file's result, and the worker's peak memory so far (KB), for the run's report."""
    result = None
    if os.environ.get(FAULTS_ENV) == "1" and entry.data.startswith(FAULT_MARKER):
        try:
            _test_fault(entry.data[len(FAULT_MARKER) :].strip().decode("ascii", "replace"))
        except MemoryError:  # as read_letter reports it
            result = Unreadable(_out_of_memory(memory_mb))
    result = result or read_letter(entry, memory_mb)
    return result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _test_fault(kind: str) -> None:
    if kind == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif kind == "hang":
        time.sleep(3600)
    elif kind == "allocate":
        # One buffer twice the worker's limit, as a decompression bomb would ask for: refused
        # at once (filling memory page by page would take as long as the time limit).
        limit, _ = resource.getrlimit(resource.RLIMIT_AS)
        bytearray(2 * limit if limit > 0 else 1 << 62)


_CONTEXT = multiprocessing.get_context("forkserver")
# Workers fork from a server that has imported these, the parser's modules it imports on first
# use included: otherwise every new worker spends its first letter (some 40 ms) importing them.
_CONTEXT.set_forkserver_preload(
    [
        __name__,
        "search.letters.categories",
        "search.letters.citations",
        "search.letters.specialties",
    ]
)


def start_reader_server() -> None:
    """Start the process reader workers are forked from, unless it is running, and return at
    once: it takes a few tenths of a second to import the readers, which the caller can spend
    on other work (the pool would otherwise start it when the first file is scheduled)."""
    multiprocessing.forkserver.ensure_running()


class LetterReaders:
    """A pool of `workers` processes reading letters; use it as a context manager.

    `read(entries)` yields (key, entry, result) in the order of `entries`, where result is a
    ReadLetter or an Unreadable, or None for an entry that is already a Rejected."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        timeout: float | None = None,
        memory_mb: int | None = None,
    ):
        self.workers = max(1, workers or default_workers())
        self.timeout = timeout or DEFAULT_TIMEOUT_SECONDS
        self.memory_mb = memory_mb or DEFAULT_MEMORY_MB
        self.pool: ProcessPool | None = None
        # The largest peak memory (ru_maxrss, MB) a worker reported after a file.
        self.worker_peak_rss_mb = 0.0

    def __enter__(self) -> LetterReaders:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.pool is None:
            return
        if exc_type is None:
            # Every file is read. Pebble notices a closed pool within a tenth of a second; the
            # workers exit meanwhile while the caller goes on (stores, updates the index) instead
            # of waiting for them. The thread is not a daemon: the process ends after it.
            self.pool.close()
            threading.Thread(target=self.pool.join, name="letter-readers-exit").start()
            return
        # The caller stopped part-way: what is still queued will never be stored.
        self.pool.stop()
        self.pool.join()

    def _started_pool(self) -> ProcessPool:
        """The pool, started with the first file to read (a run of rejected files needs none)."""
        if self.pool is None:
            self.pool = ProcessPool(
                max_workers=self.workers,
                initializer=_start_worker,
                initargs=(self.memory_mb, os.getpid()),
                context=_CONTEXT,
            )
        return self.pool

    def read(
        self, entries: Iterable[tuple[Any, LetterFile | Rejected]]
    ) -> Iterator[tuple[Any, LetterFile | Rejected, ReadLetter | Unreadable | None]]:
        ahead: deque = deque()
        limit = self.workers * AHEAD_PER_WORKER
        for key, entry in entries:
            ahead.append((key, entry, self._schedule(entry)))
            while len(ahead) > limit:
                yield self._result(*ahead.popleft())
        while ahead:
            yield self._result(*ahead.popleft())

    def _schedule(self, entry: LetterFile | Rejected):
        if isinstance(entry, Rejected):
            return None
        return self._started_pool().schedule(
            _read_in_worker, args=(entry, self.memory_mb), timeout=self.timeout
        )

    def _result(self, key, entry, future):
        if future is None:
            return key, entry, None
        try:
            result, peak_kb = future.result()
            self.worker_peak_rss_mb = max(self.worker_peak_rss_mb, peak_kb / 1024)
            return key, entry, result
        except FutureTimeout:
            reason = f"reading it took longer than {self.timeout:g} seconds, so it was stopped"
        except ProcessExpired as exc:
            reason = _expired_reason(exc.exitcode, self.memory_mb)
        except MemoryError:  # the result itself was too large to send back
            reason = _out_of_memory(self.memory_mb)
        except Exception as exc:  # noqa: BLE001 - the worker failed outside read_letter
            reason = f"could not be read ({type(exc).__name__})"
        return key, entry, Unreadable(reason)


def _expired_reason(exitcode: int | None, memory_mb: int) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if name == "SIGKILL":  # what the kernel's out-of-memory killer sends
            return f"the reader was killed ({name}), most likely out of memory"
        return f"the PDF reader crashed on it ({name})"
    return f"the PDF reader crashed on it (exit code {exitcode})"
