"""ItemDocument (the engine contract) <-> a Solr document of the items collection.

Facet values as multi-valued strings, dates as Solr dates (absent when the letter does not
state them), the text fields as text (Solr analyses them, configset.py), and what a hit shows
in the stored `hit` field as JSON (the same keys as the Whoosh backend's).
"""

from __future__ import annotations

import json

from search.engine import hits
from search.engine.contract import ItemDocument, StoredItem
from search.engine.facets import DATE_FIELDS, FACET_NAMES
from search.engine.hits import hit_fields
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
        **doc.text_fields(),
        "hit": json.dumps(hit_fields(item)),
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
    return hits.stored_item(json.loads(stored.get("hit") or "{}"), stored)
