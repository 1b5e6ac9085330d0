"""The items the peers index: the very documents our index is built from, read from the database.

Going through `search.indexing.documents_for_letters` gives every engine the same text and the
same facet labels, so totals and facet counts can be compared, not only timings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from search import indexing
from search.engine.contract import ItemDocument
from search.engine.facets import FACET_NAMES
from search.indexing import documents_for_letters
from search.models import Letter

# The letter columns the index reads: the same tuple, so the peers never miss a field it uses.
LETTER_COLUMNS = getattr(indexing, "LETTER_FIELDS", None) or indexing._LETTER_FIELDS
CHUNK_LETTERS = 2000


@dataclass
class PeerDocument:
    item_id: str  # "<public id>#<ordinal>", as in our index
    letter_id: str
    case_number: str
    decision_date: str  # ISO date or ""
    ordinal: int
    outcome: str
    request: str
    rationale: str
    summary: str
    guideline_text: str
    text: str  # request, heading, rationale, summary and guideline text together
    facets: dict[str, list[str]]


def peer_document(doc: ItemDocument) -> PeerDocument:
    item = doc.item
    return PeerDocument(
        item_id=doc.item_id,
        letter_id=doc.letter_id,
        case_number=item.case_number or "",
        decision_date=item.decision_date.isoformat() if item.decision_date else "",
        ordinal=item.ordinal,
        outcome=item.outcome,
        request=item.request,
        rationale=item.rationale,
        summary=doc.summary,
        guideline_text=doc.guideline_text,
        text=doc.text,
        facets={name: doc.facet_values(name) for name in FACET_NAMES},
    )


def iter_documents() -> Iterator[list[PeerDocument]]:
    """Every item in the database, in batches of a few thousand."""
    pks = list(Letter.objects.order_by("id").values_list("id", flat=True))
    for start in range(0, len(pks), CHUNK_LETTERS):
        rows = list(
            Letter.objects.filter(pk__in=pks[start : start + CHUNK_LETTERS]).values(*LETTER_COLUMNS)
        )
        yield [peer_document(doc) for doc in documents_for_letters(rows)]
