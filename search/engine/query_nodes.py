"""Parsed words -> query nodes: the compilation of the query language's parse tree, and the
queries that rank matches.

search.engine.query reads the user's text into a small tree (words, phrases, prefixes, AND, OR,
NOT); this module turns that tree into the engine-neutral nodes of search.engine.nodes, widening
each word by the abbreviation table both ways and by the vocabulary (drug concepts, lay terms),
merging words that spell out one thing into a phrase, and anchoring a query that only excludes.
It also builds the plain-words fallback and the ranking queries: matches in the request above
matches elsewhere (with_request_boost), an item's own words above its letter's summary
(ranked_by_item_text), and the OR queries that rank a pasted or free text (any_words_query,
key_terms_query).
"""

from __future__ import annotations

import re
from dataclasses import replace

from search.engine import vocabulary
from search.engine.analysis import (
    ABBREVIATIONS,
    CURRENT_ANALYZER,
    DEFAULT_FIELD,
    MAX_TERMS,
    Analyzer,
    analysed,
    expansion_table,
    normalise_case_number,
)
from search.engine.nodes import And, AndMaybe, AndNot, Every, Node, Not, Or, Phrase, Prefix, Term

ITEM_TEXT_FIELD = "item_text"  # `text` without the letter's case summary: what ranks a match
# Matches in the request count more than matches elsewhere in the item.
REQUEST_BOOST = 2.0
# A query word that names a drug or a drug class also matches the items whose request names
# that drug under another name (the `concepts` field, search.engine.vocabulary); the other
# drugs of its class match too, ranked lower. Tuned on the judged set (manage.py relevance).
CONCEPT_BOOST = 6.0
RELATED_CONCEPT_BOOST = 1.5

_PLAIN_WORD = re.compile(r"\w+", re.U)


def _terms_query(fieldname: str, tokens: tuple[str, ...]):
    if not tokens:
        return None
    if len(tokens) == 1:
        return Term(fieldname, tokens[0])
    return Phrase(fieldname, tuple(tokens))


def _synonyms(fieldname: str, tokens: tuple[str, ...], highlight: list[str]):
    """The query for some analysed tokens, widened by the abbreviation table both ways."""
    abbreviation = None
    joined = " ".join(tokens)
    for key in ABBREVIATIONS:
        if analysed(key) == tokens:
            abbreviation = key
            break
    if abbreviation is None:
        abbreviation = expansion_table().get(tokens)
    if abbreviation is None or fieldname == "case":
        return _terms_query(fieldname, tokens)
    forms = {analysed(abbreviation), *(analysed(f) for f in ABBREVIATIONS[abbreviation])}
    forms.add(tokens)
    highlight.extend(
        abbreviation.split("-") + [w for f in ABBREVIATIONS[abbreviation] for w in f.split()]
    )
    highlight.append(joined)
    alternatives = [_terms_query(fieldname, f) for f in sorted(forms) if f]
    return Or(tuple(alternatives))


def compile_tree(node, highlight: list[str], negated: bool = False):
    if node is None:
        return None
    kind = node[0]
    if kind in ("and", "or"):
        children = node[1]
        if kind == "and":
            children = _merge_spelled_out(children)
        parts = [compile_tree(child, highlight, negated) for child in children]
        # A repeated part ("mri mri mri") is searched once: A AND A is A, A OR A is A.
        parts = list({repr(p): p for p in parts if p is not None}.values())
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        if kind == "or":
            return Or(tuple(parts))
        positives = [p for p in parts if not isinstance(p, Not)]
        negatives = [p.query for p in parts if isinstance(p, Not)]
        if positives and negatives:
            base = positives[0] if len(positives) == 1 else And(tuple(positives))
            excluded = negatives[0] if len(negatives) == 1 else Or(tuple(negatives))
            return AndNot(base, excluded)
        return And(tuple(parts))
    if kind == "not":
        inner = compile_tree(node[1], highlight, not negated)
        return Not(inner) if inner is not None else None
    _, fieldname, text = node
    if kind == "prefix":
        if not negated:
            highlight.append(text + "*")
        return Prefix(fieldname, text)
    if fieldname == "case":
        number = normalise_case_number(text)
        return Term("case", (number or text).lower())
    tokens = analysed(text)
    if not negated:
        highlight.append(text)
    compiled = _synonyms(fieldname, tokens, highlight if not negated else [])
    if fieldname != DEFAULT_FIELD or compiled is None:
        return compiled
    extra = _vocabulary_alternatives(text, highlight if not negated else [], related=not negated)
    return Or((compiled, *extra)) if extra else compiled


def _vocabulary_alternatives(text: str, highlight: list[str], related: bool = True) -> list:
    """What else a word or phrase means here: the drug concepts it names (a brand, a generic
    or a class word, as `concepts` terms) and the letters' words for a lay term. With
    `related`, the other drugs of a named drug's class too (never for an excluded word:
    "opioid -oxycodone" excludes oxycodone, not every opioid)."""
    words = vocabulary.words_of(text)
    out: list = []
    spans = vocabulary.drug_spans(words)
    if len(spans) == 1 and spans[0][0] == 0 and spans[0][1] == len(words):
        _start, _end, _name, generics, class_key = spans[0]
        named = set(generics) | ({class_key} if class_key else set())
        for concept in sorted(named):
            out.append(Term("concepts", vocabulary.concept_token(concept), boost=CONCEPT_BOOST))
        for generic in generics:
            highlight.extend(vocabulary.names_of_generic(generic))
        for concept in sorted(vocabulary.drug_concepts(words) - named) if related else ():
            if concept in vocabulary.DRUG_CLASSES:  # the named drug's classes: related
                out.append(
                    Term("concepts", vocabulary.concept_token(concept), boost=RELATED_CONCEPT_BOOST)
                )
    for alternative in vocabulary.LAY_TERMS.get(" ".join(words), ()):
        compiled = _synonyms(DEFAULT_FIELD, analysed(alternative), highlight)
        if compiled is not None:
            highlight.append(alternative)
            out.append(compiled)
    return out


def _merge_spelled_out(children: list) -> list:
    """Consecutive plain words that spell out an abbreviation ("physical therapy") or that the
    vocabulary knows as one thing ("muscle relaxant", "low back") become one phrase node, so
    they match the abbreviation or the vocabulary's meaning too."""
    table = expansion_table()
    longest = max(max((len(k) for k in table), default=0), vocabulary.MAX_NAME_WORDS)
    out, position = [], 0
    while position < len(children):
        merged = False
        for length in range(min(longest, len(children) - position), 1, -1):
            window = children[position : position + length]
            if all(c and c[0] == "word" and c[1] == DEFAULT_FIELD for c in window):
                text = " ".join(c[2] for c in window)
                if analysed(text) in table or vocabulary.is_phrase(text):
                    out.append(("phrase", DEFAULT_FIELD, text))
                    position += length
                    merged = True
                    break
        if not merged:
            out.append(children[position])
            position += 1
    return out


def _only_negative(q) -> bool:
    return isinstance(q, Not) or (
        isinstance(q, And) and all(isinstance(p, Not) for p in q.subqueries)
    )


def anchor_negatives(q):
    """Whoosh cannot run a query that only excludes; exclude from every item instead."""
    if q is None or not _only_negative(q):
        return q
    excluded = q.query if isinstance(q, Not) else Or(tuple(p.query for p in q.subqueries))
    return AndNot(Every(), excluded)


def _plain_words(text: str) -> tuple[list[str], int]:
    """The first MAX_TERMS different words (a repeat counts once, in any case or inflection)
    and how many different words were left out."""
    distinct: dict[tuple, str] = {}
    for word in _PLAIN_WORD.findall(text):
        if word.upper() in ("OR", "AND", "NOT"):
            continue
        distinct.setdefault(analysed(word) or (word.lower(),), word)
    words = list(distinct.values())
    return words[:MAX_TERMS], max(0, len(words) - MAX_TERMS)


def plain_query(text: str, highlight: list[str], notices: list[str] | None = None):
    """All the text's words (the first MAX_TERMS different ones); when words were left out and
    `notices` is given, a notice says so."""
    words, dropped = _plain_words(text)
    if dropped and notices is not None:
        notices.append(_dropped_notice(words, dropped))
    parts = []
    for word in words:
        compiled = _synonyms(DEFAULT_FIELD, analysed(word), highlight)
        if compiled is not None:
            highlight.append(word)
            parts.append(compiled)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _dropped_notice(kept: list[str], dropped: int) -> str:
    last = kept[-1] if kept else ""
    return (
        f"The search has more than {MAX_TERMS} different words; only the first {MAX_TERMS} "
        f"(up to \u201c{last[:40]}\u201d) were searched and {dropped} more were left out."
    )


def with_request_boost(q):
    """The query that ranks q's matches: by the item's own words (ranked_by_item_text), and
    items whose request matches above items that only mention the words elsewhere."""
    if q is None:
        return None
    boosts = []
    for term in _positive_terms(q):
        boosts.append(Term("request", term, boost=REQUEST_BOOST))
    ranked = ranked_by_item_text(q)
    if not boosts:
        return ranked
    return AndMaybe(ranked, Or(tuple(boosts)))


def ranked_by_item_text(q):
    """q with every search of all the text (`text`) ranked by the item's own words instead
    (`item_text`: the request, rationale and guidelines): an item whose own words hold the
    query's words ranks above every item whose letter only mentions them in its case summary
    (those score nothing and follow). Only ranking changes; the match set is q's. Scoring the
    summary too, at 2%, ranked the judged set no better (nDCG@10 0.868 against 0.867) and
    doubled the posting lists a common word's score reads."""
    if isinstance(q, Phrase) and q.fieldname == DEFAULT_FIELD:
        # Scored as its words, as every phrase is (`item_text` keeps no word pairs).
        words = tuple(Term(ITEM_TEXT_FIELD, word) for word in q.words)
        return words[0] if len(words) == 1 else And(words, boost=q.boost)
    if isinstance(q, Term | Prefix) and q.fieldname == DEFAULT_FIELD:
        return replace(q, fieldname=ITEM_TEXT_FIELD)
    if isinstance(q, And | Or):
        return replace(q, subqueries=tuple(ranked_by_item_text(c) for c in q.subqueries))
    if isinstance(q, AndNot):
        return AndNot(ranked_by_item_text(q.a), q.b)
    if isinstance(q, AndMaybe):
        return AndMaybe(ranked_by_item_text(q.a), ranked_by_item_text(q.b))
    return q


def _positive_terms(q) -> list[str]:
    if isinstance(q, Not):
        return []
    if isinstance(q, AndNot):
        return _positive_terms(q.a)
    if isinstance(q, Term) and q.fieldname == DEFAULT_FIELD:
        return [q.text]
    if isinstance(q, Phrase) and q.fieldname == DEFAULT_FIELD:
        return list(q.words)
    out: list[str] = []
    for child in getattr(q, "subqueries", ()):
        out.extend(_positive_terms(child))
    return list(dict.fromkeys(out))[:MAX_TERMS]




def soft_parts_of(q) -> tuple[tuple, Node | None]:
    """The parts of an AND of several parts, and what it excludes (see soft_parts)."""
    excluded = None
    if isinstance(q, AndNot):
        q, excluded = q.a, q.b
    if isinstance(q, And) and len(q.subqueries) > 1:
        return tuple(q.subqueries), excluded
    return (), None


def any_words_query(text: str, analyzer: Analyzer, boost: float = 1.0):
    """(An OR of the text's words, each widened as a search widens it: abbreviations and the
    vocabulary; the words to highlight). For ranking a pasted text by its treatment words."""
    token = CURRENT_ANALYZER.set(analyzer)
    try:
        words, _ = _plain_words(text)
        nodes = _merge_spelled_out([("word", DEFAULT_FIELD, w) for w in words])
        highlight: list[str] = []
        parts = [p for p in (compile_tree(node, highlight) for node in nodes) if p is not None]
    finally:
        CURRENT_ANALYZER.reset(token)
    if not parts:
        return None, highlight
    return Or(tuple(parts), boost=boost), highlight


def key_terms_query(
    terms: list[str], request_boost: float = REQUEST_BOOST, request_only: frozenset = frozenset()
) -> Node | None:
    """An OR over analysed terms for free-text similarity, request matches weighted higher;
    `request_only` terms count only where they are in the request."""
    parts = [Term(DEFAULT_FIELD, t) for t in terms if t not in request_only]
    parts += [Term("request", t, boost=request_boost) for t in terms]
    return Or(tuple(parts)) if parts else None
