"""What a hit shows without the database: the plain dict every backend stores beside an item
(the Whoosh backend's stored `hit` field, the Solr backend's as JSON), and back.

The keys are part of each backend's index format: change them with a schema version.
"""

from __future__ import annotations

from datetime import date

from search.engine.contract import StoredItem


def hit_fields(item: StoredItem) -> dict:
    return {
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
    }


def stored_item(meta: dict, stored: dict) -> StoredItem:
    """The StoredItem of a hit dict (`meta`) and the item's stored fields (`stored`: the
    request, the rationale, and the letter id and ordinal when the hit dict lacks them)."""
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
