"""The parsed query's nodes (search.engine.nodes) -> Solr's standard (Lucene) query syntax.

The only place that writes Solr query strings from a parsed query; filters are written here too.
Every word is escaped, so no user text is ever read as syntax. A node's terms are analysed
already (analysis.analyze) and the text fields' query analyzer only splits them (configset.py).
"""

from __future__ import annotations

import re
from datetime import date

from search.engine import nodes

# The Whoosh schema also weighs the request field three times (its field_boost); Solr has no
# index-time field boosts, and giving a query's request terms that weight again ranked the
# judged set no better (nDCG@10 0.851 with it, 0.853 without): the query's own boosts only.
_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/\s])')


def escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _boosted(query: str, boost: float) -> str:
    return query if boost == 1.0 else f"{query}^{boost:g}"


def to_solr(node) -> str:
    if isinstance(node, nodes.Term):
        return _boosted(f"{node.fieldname}:{escape(node.text)}", node.boost)
    if isinstance(node, nodes.Phrase):
        return _boosted(f"{node.fieldname}:{quoted(' '.join(node.words))}", node.boost)
    if isinstance(node, nodes.Prefix):
        return _boosted(f"{node.fieldname}:{escape(node.text)}*", node.boost)
    if isinstance(node, nodes.And):
        return _boosted("(" + " ".join("+" + to_solr(n) for n in node.subqueries) + ")",
                        node.boost)
    if isinstance(node, nodes.Or):
        return _boosted("(" + " ".join(to_solr(n) for n in node.subqueries) + ")", node.boost)
    if isinstance(node, nodes.Not):
        return f"(*:* -{to_solr(node.query)})"
    if isinstance(node, nodes.AndNot):
        return f"(+{to_solr(node.a)} -{to_solr(node.b)})"
    if isinstance(node, nodes.AndMaybe):
        return f"(+{to_solr(node.a)} {to_solr(node.b)})"
    if isinstance(node, nodes.Every):
        return "*:*"
    raise TypeError(f"not a query node: {node!r}")


def matching(node) -> str:
    """A clause that decides what matches without adding to the score."""
    return f"filter({to_solr(node)})"


def values_query(fieldname: str, values) -> str:
    """Items with any of `values` in the string field."""
    return f"{fieldname}:(" + " OR ".join(quoted(v) for v in values) + ")"


def values_filter(fieldname: str, values) -> str:
    """values_query tagged with the field's name, so that field's facet can be counted without
    it (the JSON Facet API's excludeTags)."""
    return f"{{!tag={fieldname}}}" + values_query(fieldname, values)


def day(value: date) -> str:
    return f"{value.isoformat()}T00:00:00Z"


def date_filter(fieldname: str, first: date | None, last: date | None) -> str:
    """Items whose date is within [first, last]; an item without the date never matches."""
    return f"{fieldname}:[{day(first) if first else '*'} TO {day(last) if last else '*'}]"
