"""ItemDocument (the engine contract) <-> a Solr document of the items collection.

Facet values as multi-valued strings, dates as Solr dates (absent when the letter does not
state them), the text fields as text (Solr analyses them, configset.py), and what a hit shows
in the stored `hit` field as JSON (the same keys as the Whoosh backend's).
"""

from __future__ import annotations

import json
from datetime import date

from search.engine.contract import ItemDocument, StoredItem
from search.engine.facets import DATE_FIELDS, FACET_NAMES
from search.engine.solr.compiler import day

# What a search asks back for each hit.
HIT_FIELDS = "id,letter_id,ordinal,request,rationale,hit"


def solr_document(doc: ItemDocument) -> dict:
    item = doc.item
    out = {
        "id": doc.item_id,
        "letter_id": item.letter_id,
        "ordinal": item.ordinal,
        "case": [form.lower() for form in doc.case_number_forms if form],
        "concepts": list(doc.concepts),
        "synthetic": bool(doc.synthetic),
        "request": item.request,
        "rationale": item.rationale,
        "summary": doc.summary,
        "guideline_text": doc.guideline_text,
        "text": doc.text,
        "item_text": doc.item_text,
        "hit": json.dumps({
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
        }),
    }
    for name in DATE_FIELDS:
        value = doc.date_of(name)
        if value is not None:
            out[name] = day(value)
    for name in FACET_NAMES:
        values = doc.facet_values(name)
        if values:
            out[name] = values
    return out


def stored_item(stored: dict) -> StoredItem:
    """The StoredItem of a returned Solr document."""
    meta = json.loads(stored.get("hit") or "{}")
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
    )
