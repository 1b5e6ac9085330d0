"""Store letters: extract, parse, and save each letter atomically.

One path for every way letters come in (the `ingest` command, the staff upload page, `load_demo`,
tests), so they all behave the same: a bad file is reported and skipped, the same letter twice
changes nothing, and a re-extracted letter with the same case number replaces the old one.

Files are read (extracted and parsed) in a pool of worker processes (`ingest_workers.py`), so a
file that crashes or hangs the PDF reader, or exhausts its memory, is rejected alone; this process
stores the results in the order the files were given, so a rerun gives the same database.

Parsed letters are stored in batches (`LetterBatch`): up to STORE_BATCH_LETTERS letters, or what
was parsed in STORE_BATCH_SECONDS, go into one database transaction, the new ones inserted
together (`store_letters`). Should the database refuse anything there, the batch is rolled back
to its savepoint and stored again one letter at a time, each in a savepoint of its own, so the
letter at fault is rolled back alone and reported while the others go in. A run killed part-way
loses at most its last, uncommitted batch, which the next run stores again; the index follows
the database through `Letter.index_pending`.

Stores are one at a time across processes (SQLite's IMMEDIATE transactions, a PostgreSQL advisory
lock): a second ingest, or an upload, waits for the batch being stored instead of failing. When the
database cannot store anything at all (disk full, locked past its timeout, connection lost), no
letter is at fault: the run stops, reports what was stored and what was not and why
(`IngestReport.error`, `not_stored`), and leaves the database as the last committed batch left it.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction

from search.ingest_workers import (
    LetterReaders,
    ReadLetter,
    Unreadable,
    default_workers,
    read_letter,
    start_reader_server,
)
from search.letters import domain
from search.letters.reasons import reasons_as_json
from search.letters.request_size import read_request_size
from search.letters.sources import (
    LetterFile,
    Rejected,
    candidate_files,
    iter_zip_bytes,
    read_candidate,
)
from search.models import Citation, Determination, Letter

INGESTED = "ingested"
UNCHANGED = "unchanged"
REPLACED = "replaced"
REJECTED = "rejected"

STORE_BATCH_LETTERS = 100
STORE_BATCH_SECONDS = 2.0
# The key of the PostgreSQL advisory lock that makes stores take turns ("IMR" in ASCII).
STORE_LOCK_KEY = 0x494D52
# Failures of the database or the disk itself, not of the letter being stored.
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, OSError)


class StoreUnavailable(Exception):
    """The database could not store a batch at all; the batch is in `IngestReport.not_stored`."""


@dataclass
class IngestReport:
    ingested: int = 0
    unchanged: int = 0
    replaced: int = 0
    rejected: list[dict] = field(default_factory=list)
    letters: list[dict] = field(default_factory=list)
    indexed: int = 0
    # Set when the run stopped before the end: why, and the files it did not store.
    error: str = ""
    not_stored: list[dict] = field(default_factory=list)
    # Not in the JSON report: the largest peak memory of a reader process (MB), and the time
    # the index update took.
    worker_peak_rss_mb: float = 0.0
    index_seconds: float = 0.0

    def add(self, path: str, status: str, letter: Letter | None = None, reason: str = "") -> None:
        if status == REJECTED:
            self.rejected.append({"path": path, "reason": reason})
            return
        setattr(self, status, getattr(self, status) + 1)
        self.letters.append(
            {
                "path": path,
                "id": letter.public_id,
                "case_number": letter.case_number,
                "status": status,
            }
        )

    def stop(self, error: str, not_stored: Iterable[str] = (), reason: str = "") -> None:
        """The run stopped: `error` says why; `not_stored` lists files left out, with `reason`."""
        self.error = self.error or error
        self.not_stored.extend({"path": path, "reason": reason or error} for path in not_stored)

    def merge(self, other: IngestReport) -> None:
        self.ingested += other.ingested
        self.unchanged += other.unchanged
        self.replaced += other.replaced
        self.rejected.extend(other.rejected)
        self.letters.extend(other.letters)
        self.indexed += other.indexed
        self.worker_peak_rss_mb = max(self.worker_peak_rss_mb, other.worker_peak_rss_mb)
        self.index_seconds += other.index_seconds
        self.error = self.error or other.error
        self.not_stored.extend(other.not_stored)

    def as_json(self) -> dict:
        report = {
            "ingested": self.ingested,
            "unchanged": self.unchanged,
            "replaced": self.replaced,
            "rejected": self.rejected,
            "letters": self.letters,
        }
        if self.error:  # only a run that stopped early has these, so a full run reads as before
            report["error"] = self.error
            report["not_stored"] = self.not_stored
        return report


def text_hash(text: str) -> str:
    """Identity of a letter without a case number: its text with whitespace normalised (runs of
    whitespace, as `\\s+` or str.isspace define it, to one space; none at either end)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ReaderOptions:
    """How files are read: `workers` processes (default: one per core), each file given at most
    `timeout` seconds and `memory_mb` of memory (defaults in ingest_workers.py)."""

    workers: int | None = None
    timeout: float | None = None
    memory_mb: int | None = None

    def readers(self, files: int | None = None) -> LetterReaders:
        workers = self.workers or default_workers()
        if files is not None:  # no more workers than files to read
            workers = max(1, min(workers, files))
        return LetterReaders(workers, timeout=self.timeout, memory_mb=self.memory_mb)


def ingest_paths(
    paths: Iterable[str | Path],
    *,
    progress: Callable[[int, int], None] | None = None,
    update_index: bool = True,
    readers: ReaderOptions | None = None,
) -> IngestReport:
    """Ingest files, folders and zip archives; the index is updated once, at the end."""
    report = IngestReport()
    max_bytes = settings.IMR_MAX_LETTER_BYTES
    candidates = candidate_files(paths)
    readable = [c for c in candidates if not isinstance(c, Rejected)]
    # An archive holds any number of letters: then every worker may have work.
    files = None if any(c.suffix.lower() == ".zip" for c in readable) else len(readable)
    _prepare(bool(readable), update_index)

    def entries():
        for index, candidate in enumerate(candidates):
            if isinstance(candidate, Rejected):
                yield index, candidate
            else:
                for entry in read_candidate(candidate, max_bytes):
                    yield index, entry

    done, current = 0, None
    try:
        with LetterBatch(report) as batch, (readers or ReaderOptions()).readers(files) as pool:
            for index, entry, result in pool.read(entries()):
                current = index
                while progress and done < index:
                    done += 1
                    progress(done, len(candidates))
                _store_result(entry, result, batch)
            current = None
        report.worker_peak_rss_mb = pool.worker_peak_rss_mb
    except StoreUnavailable:
        reading = candidates[current] if current is not None else None
        if isinstance(reading, Path) and reading.suffix.lower() == ".zip":
            report.stop(report.error, [str(reading)], "the run stopped inside this archive")
        after = current + 1 if current is not None else len(candidates)
        unread = [str(getattr(c, "path", c)) for c in candidates[after:]]
        report.stop(report.error, unread, "not read: the run stopped before this file")
        return report
    while progress and done < len(candidates):
        done += 1
        progress(done, len(candidates))
    if update_index:
        _sync_into(report)
    return report


def ingest_upload(
    name: str, data: bytes, *, update_index: bool = True, readers: ReaderOptions | None = None
) -> IngestReport:
    """One uploaded file (a letter or a zip of letters), through the same path as the command."""
    report = IngestReport()
    max_bytes = settings.IMR_MAX_LETTER_BYTES
    suffix = Path(name).suffix.lower()
    if suffix == ".zip":
        entries, files = iter_zip_bytes(name, data, max_bytes), None
    elif suffix not in (".pdf", ".txt"):
        entries, files = [Rejected(name, "unsupported file type: use .pdf, .txt or .zip")], 0
    elif len(data) > max_bytes:
        entries, files = [Rejected(name, f"file too large (the limit is {max_bytes:,} bytes)")], 0
    else:
        entries, files = [LetterFile(name, data)], 1
    _prepare(files != 0, update_index)
    try:
        with LetterBatch(report) as batch, (readers or ReaderOptions()).readers(files) as pool:
            for _, entry, result in pool.read((None, entry) for entry in entries):
                _store_result(entry, result, batch)
        report.worker_peak_rss_mb = pool.worker_peak_rss_mb
    except StoreUnavailable:
        return report  # report.error says why; the batch is in report.not_stored
    if update_index:
        _sync_into(report)
    return report


def _prepare(read: bool, update_index: bool) -> None:
    """Start the readers' server process, then load the index's code while it starts: that
    import would otherwise come after the letters are stored, when nothing else runs."""
    if read:
        start_reader_server()
    if update_index:
        from search.backends import get_backend

        # Only a head start: a backend that fails here fails again, and is reported, where the
        # index is written.
        with contextlib.suppress(Exception):
            get_backend()


def _store_result(
    entry: LetterFile | Rejected, result: ReadLetter | Unreadable | None, batch: LetterBatch
) -> None:
    """A letter read by a worker joins `batch`; a file that was not a letter is reported."""
    if isinstance(entry, Rejected):
        batch.reject(entry.path, entry.reason)
    elif isinstance(result, Unreadable):
        batch.reject(entry.path, result.reason)
    else:
        batch.add(entry.path, result.parsed, result.text, source_name=Path(entry.path).name)


def _sync_into(report: IngestReport) -> None:
    """Index what was stored; if the index cannot be written, the letters stay stored and
    pending (the next ingest indexes them) and the report says so."""
    from search.engine.errors import IndexUnavailable

    started = time.perf_counter()
    try:
        report.indexed = sync_index()
    except (IndexUnavailable, *UNAVAILABLE_ERRORS) as exc:
        report.stop(
            f"the search index was not updated ({_describe(exc)}); the letters stored are kept "
            "and the next ingest indexes them"
        )
    report.index_seconds = time.perf_counter() - started


def ingest_entry(entry: LetterFile | Rejected, batch: LetterBatch) -> None:
    """Read one file in this process (no worker, no isolation); a letter joins `batch`."""
    _store_result(entry, None if isinstance(entry, Rejected) else read_letter(entry), batch)


class LetterBatch:
    """Parsed letters waiting to be stored, and rejections, reported in the order they came.

    `add` stores the batch once it holds STORE_BATCH_LETTERS letters or its first letter waited
    STORE_BATCH_SECONDS (so the database's write lock is held only while storing, never while
    files are read or parsed); leaving the `with` block stores the rest. A batch is stored in
    one transaction, all at once, or else letter by letter in a savepoint each: a letter the
    database refuses is rolled back alone and reported as rejected.
    """

    def __init__(
        self, report: IngestReport, *, size: int | None = None, seconds: float | None = None
    ):
        self.report = report
        self.size = size or STORE_BATCH_LETTERS
        self.seconds = STORE_BATCH_SECONDS if seconds is None else seconds
        self.entries: list[tuple] = []
        self.letters = 0
        self.started = 0.0

    def __enter__(self) -> LetterBatch:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.flush()

    def reject(self, path: str, reason: str) -> None:
        self.entries.append((path, None, "", "", reason))
        if not self.letters:
            self.flush()

    def add(self, path: str, parsed: domain.ParsedLetter, text: str, source_name: str = "") -> None:
        if not self.letters:
            self.started = time.monotonic()
        self.entries.append((path, parsed, text, source_name, ""))
        self.letters += 1
        if self.letters >= self.size or time.monotonic() - self.started >= self.seconds:
            self.flush()

    def flush(self) -> list[tuple[str, str, Letter | None]]:
        """Store what is waiting; returns (path, status, letter) for each entry.

        Raises StoreUnavailable, with nothing of the batch stored and the report saying so, when
        the database itself fails (UNAVAILABLE_ERRORS) rather than refusing one letter."""
        entries, letters = self.entries, self.letters
        self.entries, self.letters = [], 0
        try:
            with transaction.atomic() if letters else contextlib.nullcontext():
                if letters:
                    _take_store_turn()
                results = _store_entries(entries, letters)
        except UNAVAILABLE_ERRORS as exc:
            for path, parsed, _, _, reason in entries:
                if parsed is None:
                    self.report.add(path, REJECTED, reason=reason)
            self.report.stop(
                f"the database could not store letters ({_describe(exc)})",
                [path for path, parsed, *_ in entries if parsed is not None],
                f"not stored: {_describe(exc)}",
            )
            raise StoreUnavailable(self.report.error) from exc
        for path, status, letter, reason in results:
            self.report.add(path, status, letter, reason=reason)
        return [(path, status, letter) for path, status, letter, _ in results]


def _store_entries(entries: list[tuple], letters: int) -> list[tuple]:
    """(path, status, letter, reason) for each entry; inside the batch's transaction."""
    stored = None
    if letters > 1:
        batch = [entry[1:4] for entry in entries if entry[1] is not None]
        try:
            # All at once (a few statements for the batch), else one by one below.
            with transaction.atomic():
                stored = iter(store_letters(batch))
        except UNAVAILABLE_ERRORS:
            raise
        except Exception:  # noqa: BLE001 - each letter is tried again on its own
            stored = None
    results = []
    for path, parsed, text, source_name, reason in entries:
        if parsed is None:
            results.append((path, REJECTED, None, reason))
        elif stored is not None:
            letter, status = next(stored)
            results.append((path, status, letter, ""))
        else:
            try:
                letter, status = store_letter(parsed, text, source_name=source_name)
            except UNAVAILABLE_ERRORS:
                raise
            except Exception as exc:  # noqa: BLE001 - rolled back to its savepoint
                results.append((path, REJECTED, None, _store_failure(exc)))
            else:
                results.append((path, status, letter, ""))
    return results


def _take_store_turn() -> None:
    """Wait for any other process storing letters, until this transaction ends.

    SQLite needs nothing here: its transactions begin IMMEDIATE (settings.py), which takes the
    write lock at the start. On PostgreSQL two runs storing the same new letter would otherwise
    race: the second insert fails on the unique public id once the first commits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STORE_LOCK_KEY])


def _store_failure(exc: Exception) -> str:
    return f"could not be stored ({type(exc).__name__})"


def _describe(exc: BaseException) -> str:
    """The database's or the system's own words ("database or disk is full", "No space left on
    device"), on one line."""
    text = (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).strip()
    return " ".join(text.split())[:300]


def store_letter(
    parsed: domain.ParsedLetter, text: str, source_name: str = ""
) -> tuple[Letter, str]:
    """Save one parsed letter atomically; returns the letter and ingested/unchanged/replaced."""
    digest = text_hash(text)
    case_number = parsed.header.case_number or None
    public_id = case_number or f"t-{digest[:16]}"
    with transaction.atomic():
        existing = Letter.objects.select_for_update().filter(public_id=public_id).first()
        if existing is not None and existing.text_hash == digest:
            return existing, UNCHANGED
        letter = existing or Letter(public_id=public_id)
        _fill_letter(letter, parsed, text, digest, case_number, source_name)
        letter.index_pending = True
        letter.save()
        if existing is not None:
            letter.determinations.all().delete()
        _create_items(letter, parsed.items)
    return letter, (REPLACED if existing is not None else INGESTED)


def store_letters(
    letters: list[tuple[domain.ParsedLetter, str, str]],
) -> list[tuple[Letter, str]]:
    """Save several (parsed, text, source_name) letters, in order, as `store_letter` would one
    after the other; letters new to the database (most of a bulk ingest) are inserted together
    with their items and citations. Call it inside a transaction: an error leaves the batch
    half-stored, for the caller to roll back."""
    identities = []
    for parsed, text, _ in letters:
        digest = text_hash(text)
        case_number = parsed.header.case_number or None
        identities.append((digest, case_number, case_number or f"t-{digest[:16]}"))
    public_ids = [public_id for _, _, public_id in identities]
    known = set(
        Letter.objects.select_for_update()
        .filter(public_id__in=set(public_ids))
        .values_list("public_id", flat=True)
    )
    new: dict[str, int] = {}  # public id -> position of the letter that inserts it
    for position, public_id in enumerate(public_ids):
        if public_id not in known and public_id not in new:
            new[public_id] = position
    fresh = []
    for public_id, position in new.items():
        parsed, text, source_name = letters[position]
        digest, case_number, _ = identities[position]
        letter = Letter(public_id=public_id, index_pending=True)
        _fill_letter(letter, parsed, text, digest, case_number, source_name)
        fresh.append(letter)
    Letter.objects.bulk_create(fresh)
    if not all(letter.pk for letter in fresh):
        raise NotImplementedError("this database does not return ids from bulk_create")
    _create_items_of([(letter, letters[new[letter.public_id]][0].items) for letter in fresh])
    inserted = {letter.public_id: letter for letter in fresh}
    results = []
    for position, (parsed, text, source_name) in enumerate(letters):
        public_id = public_ids[position]
        if new.get(public_id) == position:
            results.append((inserted[public_id], INGESTED))
        else:  # already stored, or a second copy in this batch: as one at a time
            results.append(store_letter(parsed, text, source_name=source_name))
    return results


def _fill_letter(letter, parsed, text, digest, case_number, source_name) -> None:
    header, reviewer, patient = parsed.header, parsed.reviewer, parsed.patient
    letter.case_number = case_number
    letter.text_hash = digest
    letter.layout = parsed.layout
    letter.synthetic = bool(case_number and case_number.startswith("SY"))
    letter.date_assigned = header.date_assigned
    letter.date_of_injury = header.date_of_injury or patient.injury_date
    letter.decision_date = header.decision_date
    letter.ur_denial_date = header.ur_denial_date
    letter.priority = header.priority
    letter.application_received = header.application_received
    letter.licensure = list(reviewer.licensure)
    letter.specialties = list(reviewer.specialties)
    letter.reviewer_raw = reviewer.raw
    letter.patient_age = patient.age
    letter.patient_sex = patient.sex
    letter.summary = parsed.summary
    letter.text = text
    letter.truncated = parsed.truncated
    letter.warnings = list(parsed.warnings)
    letter.source_name = source_name[:255]


def _create_items(letter: Letter, items: list[domain.Item]) -> None:
    _create_items_of([(letter, items)])


def _create_items_of(letters: list[tuple[Letter, list[domain.Item]]]) -> None:
    """Insert the items of stored letters, and their citations, a few statements in all."""
    pairs = [(letter, item) for letter, items in letters for item in items]
    determinations = Determination.objects.bulk_create(
        [
            Determination(
                letter=letter,
                ordinal=item.ordinal,
                heading=item.heading,
                request=item.request,
                outcome=item.outcome,
                original_request=item.original_request,
                authorized=item.authorized,
                treatment_category=item.treatment_category,
                treatment_subcategory=item.treatment_subcategory,
                claims_administrator_guideline=item.claims_administrator_guideline.raw,
                claims_administrator_flags=list(item.claims_administrator_guideline.flags),
                imr_guideline=item.imr_guideline.raw,
                imr_flags=list(item.imr_guideline.flags),
                rationale=item.rationale,
                reasons=reasons_as_json(item.rationale, item.outcome, item.request),
                request_size=read_request_size(item.request).as_json(),
            )
            for letter, item in pairs
        ]
    )
    if not all(d.pk for d in determinations):
        # Backends that do not return ids from bulk_create (none we support today).
        determinations = list(
            Determination.objects.filter(letter__in=[letter for letter, _ in letters]).order_by(
                "letter_id", "ordinal"
            )
        )
        pairs.sort(key=lambda pair: (pair[0].pk, pair[1].ordinal))
    citations = []
    for determination, (_, item) in zip(determinations, pairs, strict=True):
        for party, guideline in (
            (Citation.CLAIMS_ADMINISTRATOR, item.claims_administrator_guideline),
            (Citation.IMR, item.imr_guideline),
        ):
            citations.extend(
                Citation(
                    determination=determination,
                    party=party,
                    position=position,
                    source=citation.source,
                    guideline=citation.guideline,
                    sections=list(citation.sections),
                    pages=list(citation.pages),
                    edition=citation.edition,
                    raw=citation.raw,
                    flags=list(citation.flags),
                )
                for position, citation in enumerate(guideline.citations, start=1)
            )
    Citation.objects.bulk_create(citations)


def sync_index(*, wait_seconds: float | None = None) -> int:
    """Bring the search index up to date with every letter flagged as pending."""
    from search.indexing import sync_pending

    return sync_pending(wait_seconds=wait_seconds)
