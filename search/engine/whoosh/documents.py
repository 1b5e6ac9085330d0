"""ItemDocument (the engine contract) <-> the fields of a Whoosh document.

Whoosh's own encoding: facet values joined by FACET_SEPARATOR, dates as day numbers
(date.toordinal(), 0 when not stated), word pairs for phrases (schema.prepare_document), and what
a hit shows in the stored `hit` field. The field names and the `hit` keys are the index format.
"""

from __future__ import annotations

from datetime import date

from search.engine.contract import ItemDocument, StoredItem
from search.engine.facets import DATE_FIELDS, FACET_NAMES
from search.engine.whoosh.schema import DAY_FIELDS, join_facet_values, prepare_document


def day_number(day: date | None) -> int:
    return day.toordinal() if day else 0


def whoosh_fields(doc: ItemDocument) -> dict:
    """The fields `writer.add_document` takes for one item (text fields still as text)."""
    item = doc.item
    return {
        "id": doc.item_id,
        "letter_id": item.letter_id,
        "case": join_facet_values(doc.case_number_forms),
        "ordinal": item.ordinal,
        **{DAY_FIELDS[name]: day_number(doc.date_of(name)) for name in DATE_FIELDS},
        "request": item.request,
        "rationale": item.rationale,
        "summary": doc.summary,
        "guideline_text": doc.guideline_text,
        "text": doc.text,
        "item_text": doc.item_text,
        "concepts": " ".join(doc.concepts),
        "synthetic": bool(doc.synthetic),
        "hit": {
            "letter_id": item.letter_id,
            "case_number": item.case_number,
            "decision_date": item.decision_date.isoformat() if item.decision_date else None,
            "ordinal": item.ordinal,
            "outcome": item.outcome,
            "specialties": list(item.specialties),
            "guidelines": list(item.guidelines),
            "sections": list(item.sections),
            "category": item.category,
            "subcategory": item.subcategory,
            "case_outcome": item.case_outcome,
            "reasons": [list(pair) for pair in item.reasons],
            "request_size": dict(item.request_size),
        },
        **{name: join_facet_values(doc.facet_values(name)) for name in FACET_NAMES},
    }


def prepared(doc: ItemDocument) -> dict:
    """whoosh_fields with the text analysed, ready for `writer.add_document(**...)`."""
    return prepare_document(whoosh_fields(doc))


def stored_item(stored: dict) -> StoredItem:
    """The StoredItem of a document's stored fields."""
    meta = stored.get("hit") or {}
    decided = meta.get("decision_date")
    return StoredItem(
        letter_id=meta.get("letter_id") or stored.get("letter_id", ""),
        ordinal=int(meta.get("ordinal") or stored.get("ordinal") or 0),
        case_number=meta.get("case_number"),
        decision_date=date.fromisoformat(decided) if decided else None,
        request=stored.get("request", ""),
        rationale=stored.get("rationale", ""),
        outcome=meta.get("outcome", ""),
        case_outcome=meta.get("case_outcome", ""),
        category=meta.get("category", ""),
        subcategory=meta.get("subcategory") or "",
        specialties=tuple(meta.get("specialties", [])),
        guidelines=tuple(meta.get("guidelines", [])),
        sections=tuple(meta.get("sections", [])),
        reasons=tuple((code, evidence) for code, evidence in meta.get("reasons", [])),
        request_size=tuple((meta.get("request_size") or {}).items()),
    )
