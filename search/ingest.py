"""Store letters: extract, parse, and save each letter in its own transaction.

One path for every way letters come in (the `ingest` command, the staff upload page, tests), so
they all behave the same: a bad file is reported and skipped, the same letter twice changes
nothing, and a re-extracted letter with the same case number replaces the old one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from . import domain
from .extract import ExtractionError, extract_letter_text
from .letter_parser import parse_letter
from .models import Citation, Determination, Letter
from .sources import LetterFile, Rejected, candidate_files, iter_zip_bytes, read_candidate

INGESTED = "ingested"
UNCHANGED = "unchanged"
REPLACED = "replaced"
REJECTED = "rejected"

_WHITESPACE = re.compile(r"\s+")


@dataclass
class IngestReport:
    ingested: int = 0
    unchanged: int = 0
    replaced: int = 0
    rejected: list[dict] = field(default_factory=list)
    letters: list[dict] = field(default_factory=list)
    indexed: int = 0

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

    def merge(self, other: IngestReport) -> None:
        self.ingested += other.ingested
        self.unchanged += other.unchanged
        self.replaced += other.replaced
        self.rejected.extend(other.rejected)
        self.letters.extend(other.letters)
        self.indexed += other.indexed

    def as_json(self) -> dict:
        return {
            "ingested": self.ingested,
            "unchanged": self.unchanged,
            "replaced": self.replaced,
            "rejected": self.rejected,
            "letters": self.letters,
        }


def text_hash(text: str) -> str:
    """Identity of a letter without a case number: its text with whitespace normalised."""
    return hashlib.sha256(_WHITESPACE.sub(" ", text).strip().encode("utf-8")).hexdigest()


def ingest_paths(
    paths: Iterable[str | Path],
    *,
    progress: Callable[[int, int], None] | None = None,
    update_index: bool = True,
) -> IngestReport:
    """Ingest files, folders and zip archives; the index is updated once, at the end."""
    report = IngestReport()
    max_bytes = settings.IMR_MAX_LETTER_BYTES
    candidates = candidate_files(paths)
    for done, candidate in enumerate(candidates, start=1):
        if isinstance(candidate, Rejected):
            report.add(candidate.path, REJECTED, reason=candidate.reason)
        else:
            for entry in read_candidate(candidate, max_bytes):
                ingest_entry(entry, report)
        if progress:
            progress(done, len(candidates))
    if update_index:
        report.indexed = sync_index()
    return report


def ingest_upload(name: str, data: bytes, *, update_index: bool = True) -> IngestReport:
    """One uploaded file (a letter or a zip of letters), through the same path as the command."""
    report = IngestReport()
    max_bytes = settings.IMR_MAX_LETTER_BYTES
    suffix = Path(name).suffix.lower()
    if suffix == ".zip":
        for entry in iter_zip_bytes(name, data, max_bytes):
            ingest_entry(entry, report)
    elif suffix not in (".pdf", ".txt"):
        report.add(name, REJECTED, reason="unsupported file type: use .pdf, .txt or .zip")
    elif len(data) > max_bytes:
        report.add(name, REJECTED, reason=f"file too large (the limit is {max_bytes:,} bytes)")
    else:
        ingest_entry(LetterFile(name, data), report)
    if update_index:
        report.indexed = sync_index()
    return report


def ingest_entry(entry: LetterFile | Rejected, report: IngestReport) -> None:
    if isinstance(entry, Rejected):
        report.add(entry.path, REJECTED, reason=entry.reason)
        return
    try:
        text = extract_letter_text(entry.data, entry.path)
        parsed = parse_letter(text)
    except (ExtractionError, domain.NotALetter) as exc:
        report.add(entry.path, REJECTED, reason=exc.reason)
        return
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop the run
        report.add(entry.path, REJECTED, reason=f"could not be parsed ({type(exc).__name__})")
        return
    letter, status = store_letter(parsed, text, source_name=Path(entry.path).name)
    report.add(entry.path, status, letter)


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
            )
            for item in items
        ]
    )
    if not all(d.pk for d in determinations):
        # Backends that do not return ids from bulk_create (none we support today).
        determinations = list(letter.determinations.order_by("ordinal"))
    citations = []
    for determination, item in zip(determinations, items, strict=True):
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


def sync_index() -> int:
    """Bring the search index up to date with every letter flagged as pending."""
    from .indexing import sync_pending

    return sync_pending()
