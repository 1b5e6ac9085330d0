"""The parsed query's nodes (search.engine.nodes) -> Whoosh query objects.

The only place that builds whoosh.query objects from a parsed query; filters are built here too.
"""

from __future__ import annotations

from whoosh import query

from search.engine import nodes


def to_whoosh(node) -> query.Query:
    if isinstance(node, nodes.Term):
        return query.Term(node.fieldname, node.text, boost=node.boost)
    if isinstance(node, nodes.Phrase):
        return query.Phrase(node.fieldname, list(node.words), boost=node.boost)
    if isinstance(node, nodes.Prefix):
        return query.Prefix(node.fieldname, node.text, boost=node.boost)
    if isinstance(node, nodes.And):
        return query.And([to_whoosh(n) for n in node.subqueries], boost=node.boost)
    if isinstance(node, nodes.Or):
        return query.Or([to_whoosh(n) for n in node.subqueries], boost=node.boost)
    if isinstance(node, nodes.Not):
        return query.Not(to_whoosh(node.query))
    if isinstance(node, nodes.AndNot):
        return query.AndNot(to_whoosh(node.a), to_whoosh(node.b))
    if isinstance(node, nodes.AndMaybe):
        return query.AndMaybe(to_whoosh(node.a), to_whoosh(node.b))
    if isinstance(node, nodes.Every):
        return query.Every()
    raise TypeError(f"not a query node: {node!r}")


def day_range(fieldname: str, first: int, last: int | None) -> query.Query:
    """Documents whose day number (date.toordinal()) is within [first, last]."""
    return query.NumericRange(fieldname, first, last)


def term(fieldname: str, text: str) -> query.Query:
    return query.Term(fieldname, text)
