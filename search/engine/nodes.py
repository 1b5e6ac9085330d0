"""The parsed query's nodes: what the query language (search.engine.query) builds and every
backend compiles to its own queries (search.engine.whoosh.compiler; the FTS5 benchmark peer
compiles them to SQL). Engine-neutral: the attribute names are Whoosh's, so they read the same.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    fieldname: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    fieldname: str
    words: tuple[str, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix:
    fieldname: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class And:
    subqueries: tuple
    boost: float = 1.0


@dataclass(frozen=True)
class Or:
    subqueries: tuple
    boost: float = 1.0


@dataclass(frozen=True)
class Not:
    query: object


@dataclass(frozen=True)
class AndNot:
    """Documents of `a` that are not documents of `b`."""

    a: object
    b: object


@dataclass(frozen=True)
class AndMaybe:
    """Documents of `a`; those also matching `b` score higher."""

    a: object
    b: object


@dataclass(frozen=True)
class Every:
    """Every item."""


Node = Term | Phrase | Prefix | And | Or | Not | AndNot | AndMaybe | Every


def iter_terms(node) -> list[tuple[str, str]]:
    """(field, term) of every Term, Phrase word and Prefix of a tree, in order."""
    if isinstance(node, Term | Prefix):
        return [(node.fieldname, node.text)]
    if isinstance(node, Phrase):
        return [(node.fieldname, word) for word in node.words]
    out: list[tuple[str, str]] = []
    for child in _children(node):
        out.extend(iter_terms(child))
    return out


def _children(node) -> tuple:
    if isinstance(node, And | Or):
        return node.subqueries
    if isinstance(node, Not):
        return (node.query,)
    if isinstance(node, AndNot | AndMaybe):
        return (node.a, node.b)
    return ()
