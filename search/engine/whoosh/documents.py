"""ItemDocument (the engine contract) <-> the fields of a Whoosh document.

Whoosh's own encoding: facet values joined by FACET_SEPARATOR, dates as day numbers
(date.toordinal(), 0 when not stated), word pairs for phrases (schema.prepare_document), and what
a hit shows in the stored `hit` field. The field names and the `hit` keys are the index format.
"""

from __future__ import annotations

from datetime import date

from search.engine import hits
from search.engine.contract import ItemDocument, StoredItem
from search.engine.facets import DATE_FIELDS, FACET_NAMES
from search.engine.hits import hit_fields
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
        **doc.text_fields(),
        "concepts": " ".join(doc.concepts),
        "synthetic": bool(doc.synthetic),
        "hit": hit_fields(item),
        **{name: join_facet_values(doc.facet_values(name)) for name in FACET_NAMES},
    }


def prepared(doc: ItemDocument) -> dict:
    """whoosh_fields with the text analysed, ready for `writer.add_document(**...)`."""
    return prepare_document(whoosh_fields(doc))


def stored_item(stored: dict) -> StoredItem:
    """The StoredItem of a document's stored fields."""
    return hits.stored_item(stored.get("hit") or {}, stored)
