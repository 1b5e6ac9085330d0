"""Keep the search index in step with the database.

The database is the source of truth. `store_letter` raises `Letter.index_pending` in the same
transaction that stores a letter; `sync_pending` indexes every flagged letter (its items replaced
together, all of them in one writer and one commit per run) and lowers the flag only for the
version it indexed, so a process that dies between the database and the index, or a letter
stored again meanwhile, is picked up by the next run. `rebuild_index` builds a new generation from
scratch; `check_index` compares the two.

Facets come from the IMR reviewer's citations (the basis of the decision); the claims
administrator's guideline text is searchable but not a facet.
"""

from __future__ import annotations

import operator
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import reduce

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from search.backends import get_backend
from search.engine.contract import EmbeddingReport, ItemDocument, StoredItem
from search.engine.errors import IndexUnavailable
from search.engine.facets import FACET_NAMES
from search.engine.vocabulary import concept_tokens, disambiguate
from search.letters import domain
from search.letters.categories import official_category
from search.letters.domain import item_id
from search.letters.request_size import session_bucket
from search.letters.specialties import official_specialty
from search.letters.timeliness import Timeliness
from search.models import Citation, Determination, Letter

SYNC_CHUNK_LETTERS = 2000  # letters read from the database at a time by sync_pending
# A sync with at least this many items writes with the backend's parallel_procs processes, one
# new segment each (10,000 items into an empty index: 11 s instead of 18 on 2 cores); smaller
# ones write one segment, merged with the small ones already there.
PARALLEL_SYNC_ITEMS = int(os.environ.get("IMR_PARALLEL_SYNC_ITEMS", "5000"))
REBUILD_CHUNK_LETTERS = 2000
NO_CITATION_SOURCE = "None"

_LETTER_FIELDS = (
    "id",
    "public_id",
    "case_number",
    "text_hash",
    "updated_at",
    "decision_date",
    "priority",
    "specialties",
    "summary",
    "synthetic",
    "date_of_injury",
    "date_assigned",
    "ur_denial_date",
    "application_received",
)
_ITEM_FIELDS = (
    "id",
    "letter_id",
    "ordinal",
    "heading",
    "request",
    "outcome",
    "original_request",
    "authorized",
    "treatment_category",
    "treatment_subcategory",
    "claims_administrator_guideline",
    "imr_guideline",
    "rationale",
    "reasons",
    "request_size",
)
_CITATION_FIELDS = (
    "determination_id",
    "party",
    "position",
    "source",
    "guideline",
    "sections",
    "pages",
)


def case_number_forms(case_number: str | None) -> list[str]:
    """ "CM16-0213037" -> ["cm16-0213037", "cm160213037"]: every form a query may normalise to."""
    if not case_number:
        return []
    lowered = case_number.lower()
    return list(dict.fromkeys([lowered, lowered.replace("-", "")]))


def category_values(category: str, subcategory: str) -> list[str]:
    """Facet values in the words of the state's drop-down: the category, and "category >
    subcategory" when there is one."""
    category, subcategory = official_category(category, subcategory)
    return [category, f"{category} > {subcategory}"] if subcategory else [category]


def _labels(citations: list[dict]) -> tuple[list[str], list[str], list[str], list[str]]:
    sources, guidelines, sections, pages = [], [], [], []
    for row in citations:
        source, guideline = row["source"], row["guideline"]
        label = f"{source} > {guideline}" if guideline else source
        sources.append(source)
        guidelines.append(label)
        sections.extend(f"{label} > {s}" for s in row["sections"] or [])
        name = f"{source} {guideline}".strip()
        pages.extend(f"{name} p. {p}" for p in row["pages"] or [])
    if not sources:
        sources.append(NO_CITATION_SOURCE)
    unique = lambda values: list(dict.fromkeys(values))  # noqa: E731
    return unique(sources), unique(guidelines), unique(sections), unique(pages)


def documents_for_letters(letter_rows: list[dict]) -> Iterator[ItemDocument]:
    """The ItemDocuments of the given letters (dicts of _LETTER_FIELDS), three queries in all."""
    by_pk = {row["id"]: row for row in letter_rows}
    items = list(
        Determination.objects.filter(letter_id__in=list(by_pk))
        .order_by("letter_id", "ordinal")
        .values(*_ITEM_FIELDS)
    )
    _with_case_outcomes(by_pk, items)
    citations: dict[int, list[dict]] = defaultdict(list)
    item_pks = [item["id"] for item in items]
    for start in range(0, len(item_pks), 5000):
        rows = (
            Citation.objects.filter(
                determination_id__in=item_pks[start : start + 5000], party=Citation.IMR
            )
            .order_by("determination_id", "position")
            .values(*_CITATION_FIELDS)
        )
        for row in rows.iterator(chunk_size=5000):
            citations[row["determination_id"]].append(row)
    for item in items:
        yield document_for_item(by_pk[item["letter_id"]], item, citations.get(item["id"], []))


def _with_case_outcomes(by_pk: dict[int, dict], items: list[dict]) -> None:
    """Add each letter's case outcome (over all its items) to its row."""
    outcomes: dict[int, set[str]] = defaultdict(set)
    for item in items:
        outcomes[item["letter_id"]].add(item["outcome"])
    for pk, row in by_pk.items():
        by_pk[pk] = {**row, "case_outcome": domain.case_outcome(outcomes.get(pk, ()))}


def document_for_item(letter: dict, item: dict, citations: list[dict]) -> ItemDocument:
    decision_date = letter["decision_date"]
    sources, guidelines, sections, pages = _labels(citations)
    categories = category_values(item["treatment_category"], item["treatment_subcategory"])
    request = item["request"] or item["heading"]
    guideline_text = "\n".join(
        t for t in (item["claims_administrator_guideline"], item["imr_guideline"]) if t
    )
    # The item's own words: what it asks for (with its category's labels, so "psych services"
    # finds a psychological evaluation), the reviewer's rationale, the guidelines cited.
    asked = "\n".join(
        t
        for t in (
            request,
            item["heading"] if item["heading"] != request else "",
            item["original_request"],
        )
        if t
    )
    labels = " ".join(t for t in (item["treatment_category"], item["treatment_subcategory"]) if t)
    item_text = disambiguate(
        "\n".join(t for t in (asked, labels, item["rationale"], guideline_text) if t)
    )
    text = disambiguate(
        "\n".join(
            t for t in (asked, labels, item["rationale"], letter["summary"], guideline_text) if t
        )
    )
    specialties = list(
        dict.fromkeys(official_specialty(s) for s in letter["specialties"] or [] if s)
    )
    case_outcome = letter.get("case_outcome") or domain.case_outcome([item["outcome"]])
    timeliness = Timeliness.of_letter(letter)
    # One entry per facet of the registry (search.engine.facets), by name.
    facets = {
        "outcome": [item["outcome"]],
        "specialty": specialties,
        "source": sources,
        "guideline": guidelines,
        "section": sections,
        "page_cited": pages,
        "category": categories,
        "year": [str(decision_date.year)] if decision_date else [],
        "priority": [letter["priority"] or ""],
        "case_outcome": [case_outcome],
        "reason": [r["reason"] for r in item.get("reasons") or []],
        "sessions": [session_bucket((item.get("request_size") or {}).get("sessions"))],
        **{name: [bucket] for name, bucket in timeliness.buckets().items()},
    }
    if set(facets) != set(FACET_NAMES):
        raise ValueError(f"facets out of step with the registry: {sorted(facets)}")
    return ItemDocument(
        item=StoredItem(
            letter_id=letter["public_id"],
            ordinal=item["ordinal"],
            case_number=letter["case_number"],
            decision_date=decision_date,
            request=request,
            rationale=item["rationale"],
            outcome=item["outcome"],
            case_outcome=case_outcome,
            category=categories[0],
            subcategory=item["treatment_subcategory"],
            specialties=tuple(specialties),
            guidelines=tuple(guidelines),
            sections=tuple(sections),
            reasons=tuple((r["reason"], r["evidence"]) for r in item.get("reasons") or []),
            request_size=tuple((item.get("request_size") or {}).items()),
        ),
        case_number_forms=tuple(case_number_forms(letter["case_number"])),
        text=text,
        summary=letter["summary"],
        guideline_text=guideline_text,
        item_text=item_text,
        concepts=tuple(concept_tokens(asked)),
        decision_date=decision_date,
        injury_date=letter.get("date_of_injury"),
        received_date=letter.get("application_received"),
        synthetic=bool(letter["synthetic"]),
        facets=facets,
    )


def _chunks(rows: list, size: int) -> Iterable[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def sync_pending(*, wait_seconds: float | None = None) -> int:
    """Index every letter flagged as pending, in one writer and one commit; returns the number of
    items written. Waits up to `wait_seconds` for another writer (the backend's writer), then
    raises IndexUnavailable with every letter still pending.

    The flagged letters are read in chunks of SYNC_CHUNK_LETTERS (each chunk in one read
    transaction, so a letter and its items agree) and all go into the same writer; large batches
    are written by several processes (PARALLEL_SYNC_ITEMS). Flags are lowered only after the
    commit and only for the version indexed: a process killed before the commit leaves every
    letter pending, and a letter stored again meanwhile stays pending for the next run.
    """
    pending_ids = list(
        Letter.objects.filter(index_pending=True).order_by("id").values_list("id", flat=True)
    )
    if not pending_ids:
        _remove_orphans_if_counts_differ()
        return 0
    backend = get_backend()
    procs = 1
    if len(pending_ids) * 2 >= PARALLEL_SYNC_ITEMS:  # letters hold 2-3 items: worth counting
        pending_items = Determination.objects.filter(letter__index_pending=True).count()
        if pending_items >= PARALLEL_SYNC_ITEMS:
            procs = backend.parallel_procs
    written = 0
    indexed: list[dict] = []  # what _clear_flags needs of each letter indexed
    with backend.writer(procs=procs, wait_seconds=wait_seconds) as writer:
        for chunk in _chunks(pending_ids, SYNC_CHUNK_LETTERS):
            with transaction.atomic():
                rows = list(
                    Letter.objects.filter(pk__in=chunk, index_pending=True).values(*_LETTER_FIELDS)
                )
                documents = list(documents_for_letters(rows))
            written += writer.replace_letters([row["public_id"] for row in rows], documents)
            indexed.extend(_version(row) for row in rows)
    _clear_flags(indexed)
    _remove_orphans_if_counts_differ()
    return written


def _version(row: dict) -> dict:
    return {"id": row["id"], "text_hash": row["text_hash"], "updated_at": row["updated_at"]}


def _clear_flags(rows: list[dict]) -> int:
    """Lower the flag only where the letter is still the version that was indexed."""
    cleared = 0
    for batch in _chunks(rows, 200):
        condition = reduce(
            operator.or_,
            (Q(pk=r["id"], text_hash=r["text_hash"], updated_at=r["updated_at"]) for r in batch),
        )
        cleared += Letter.objects.filter(condition, index_pending=True).update(index_pending=False)
    return cleared


def remove_letters(public_ids: Iterable[str]) -> int:
    """Drop the items of letters deleted from the database (one commit); returns how many."""
    public_ids = list(public_ids)
    if not public_ids:
        return 0
    with get_backend().writer() as writer:
        writer.delete_letters(public_ids)
    return len(public_ids)


def _remove_orphans_if_counts_differ() -> int:
    """Drop documents of letters deleted from the database; only looks when totals disagree
    (the index's total is read from its table of contents, without opening it)."""
    backend = get_backend()
    if backend.document_count() in (None, Determination.objects.count()):
        return 0
    try:
        _, indexed_letters = backend.indexed_ids()
    except IndexUnavailable:
        return 0
    known = set(Letter.objects.values_list("public_id", flat=True).iterator(chunk_size=10000))
    return remove_letters(sorted(indexed_letters - known))


def rebuild_index(progress=None) -> int:
    """Build a new generation from the whole database and switch to it; returns items indexed.

    Letters stored while the rebuild ran are re-applied to the new generation after the switch
    (they are still flagged, or their `updated_at` is newer than the start).
    """
    started = timezone.now()
    counted = 0
    snapshot_rows: list[dict] = []

    def fill(writer) -> None:
        nonlocal counted
        pks = list(Letter.objects.order_by("id").values_list("id", flat=True))
        for chunk in _chunks(pks, REBUILD_CHUNK_LETTERS):
            rows = list(Letter.objects.filter(pk__in=chunk).values(*_LETTER_FIELDS))
            counted += writer.add(documents_for_letters(rows))
            snapshot_rows.extend(_version(row) for row in rows)
            if progress:
                progress(counted)

    get_backend().rebuild(fill)
    _clear_flags(snapshot_rows)
    # Re-index what changed during the build, then anything still flagged.
    Letter.objects.filter(updated_at__gte=started).update(index_pending=True)
    sync_pending()
    return counted


def embed_pending(*, limit: int | None = None, progress=None, workers: int = 1) -> EmbeddingReport:
    """Embed the indexed items that have no vector yet (the step after writing by which an item
    becomes findable by meaning), in `workers` processes; an unavailable index or model is
    reported, not raised."""
    try:
        return get_backend().embed_missing(limit=limit, progress=progress, workers=workers)
    except IndexUnavailable as exc:
        return EmbeddingReport(unavailable=f"the search index is unavailable: {exc}")


def embedding_json(report: EmbeddingReport) -> dict:
    return {
        "embedded": report.embedded,
        "seconds": round(report.seconds, 3),
        "items_per_second": round(report.rate, 2),
        "remaining": report.remaining,
        "unavailable": report.unavailable,
    }


def embedding_line(report: EmbeddingReport) -> str:
    if report.unavailable:
        return f"Ranking by meaning unavailable: {report.unavailable}"
    line = (f"{report.embedded} items embedded for ranking by meaning in {report.seconds:.1f} s "
            f"({report.rate:.1f} items/s)")
    if report.remaining:
        line += f"; {report.remaining} still to embed (python manage.py embed_items)"
    return line


@dataclass
class IndexReport:
    missing_from_index: list[str] = field(default_factory=list)  # item ids in the DB only
    missing_from_database: list[str] = field(default_factory=list)  # item ids in the index only
    pending_letters: list[str] = field(default_factory=list)
    database_items: int = 0
    index_items: int = 0
    items_with_vector: int | None = None  # ranked by meaning too (None: not known)
    error: str = ""

    @property
    def clean(self) -> bool:
        return not (
            self.missing_from_index
            or self.missing_from_database
            or self.pending_letters
            or self.error
        )

    def lines(self, limit: int = 50) -> list[str]:
        out = [f"database items: {self.database_items}, index items: {self.index_items}"]
        if self.items_with_vector is not None:
            # Not a disagreement: vectors follow the index (embed_items catches up).
            out.append(f"index items ranked by meaning too (with a vector): "
                       f"{self.items_with_vector} of {self.index_items}")
        if self.error:
            out.append(f"error: {self.error}")
        for title, values in (
            ("in the database but not in the index", self.missing_from_index),
            ("in the index but not in the database", self.missing_from_database),
            ("letters waiting to be indexed", self.pending_letters),
        ):
            if values:
                out.append(f"{len(values)} {title}:")
                out.extend(f"  {v}" for v in sorted(values)[:limit])
                if len(values) > limit:
                    out.append(f"  ... and {len(values) - limit} more")
        return out


def check_index() -> IndexReport:
    report = IndexReport()
    database_ids = {
        item_id(public_id, ordinal)
        for public_id, ordinal in Determination.objects.values_list(
            "letter__public_id", "ordinal"
        ).iterator(chunk_size=10000)
    }
    report.database_items = len(database_ids)
    report.pending_letters = list(
        Letter.objects.filter(index_pending=True).values_list("public_id", flat=True)
    )
    try:
        indexed_ids, _ = get_backend().indexed_ids()
    except IndexUnavailable as exc:
        report.error = str(exc)
        report.missing_from_index = sorted(database_ids)
        return report
    report.index_items = len(indexed_ids)
    try:
        report.items_with_vector = get_backend().vector_coverage()[0]
    except IndexUnavailable:
        pass
    report.missing_from_index = sorted(database_ids - indexed_ids)
    report.missing_from_database = sorted(indexed_ids - database_ids)
    return report
