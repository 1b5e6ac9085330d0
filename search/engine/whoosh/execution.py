"""Running a SearchSpec on a snapshot: match set, facet counts, breakdown, the ordered page.

How it stays fast: every match set is a Python int used as a bitset over document numbers.
Filters are the facet tables' value bits (or a day-number range); each facet's counts come from
AND-ing the matches of every other facet's selection with each value's bits and counting bits,
so no hit is ever scored for facets. Only the requested page is scored. What does not depend on
sort or page (`Aggregate`) is kept in the snapshot's recent results, so paging is cheap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import reduce

from search.engine import semantic
from search.engine.contract import SOFT_MATCH_BELOW, EngineResult, ScoredItem, SearchSpec
from search.engine.facets import FACETS_BY_NAME
from search.engine.nodes import Or
from search.engine.query import ParsedQuery
from search.engine.query_nodes import ranked_by_item_text, with_request_boost
from search.engine.whoosh import finder
from search.engine.whoosh.bits import BitsView, docnums_from_bits, mask_from_bits
from search.engine.whoosh.compiler import day_range, to_whoosh
from search.engine.whoosh.documents import stored_item
from search.engine.whoosh.schema import DAY_FIELDS
from search.engine.whoosh.snapshot import IndexSnapshot


@dataclass
class Aggregate:
    """Everything about one (query, filters) pair that does not depend on sort or page."""

    final_bits: int
    total: int
    facets: dict[str, list[tuple[str, int]]]
    upheld: int
    overturned: int
    timed_out: bool
    # Soft matching (_soft_aggregate): the matches by how many of the query's parts they
    # match, most first; empty for an ordinary search.
    tiers: list[int] = field(default_factory=list)


def run(snap: IndexSnapshot, spec: SearchSpec, time_limit: float) -> EngineResult:
    result = EngineResult()
    parsed = spec.query if spec.query is not None else ParsedQuery()
    deadline = time.monotonic() + time_limit
    if parsed.pasted:
        # A pasted request or denial: matched and ranked as the precedent finder ranks it.
        q, _terms, result.highlight = snap.cached(
            ("finder", parsed.text), lambda: finder.finder_query(snap, parsed.text)
        )
        if q is not None:
            parsed = replace(parsed, query=ranked_by_item_text(q), match_query=q, soft_parts=())
    filters = _known_filters(snap, spec, result.ignored_filters)
    # Date ranges filter like facets (AND across) and narrow every facet's counts.
    filters.update(_day_filters(spec))
    aggregate = snap.cached(
        ("aggregate", parsed.key, tuple(sorted(filters.items())), spec.count_facets),
        lambda: _aggregate(snap, parsed, filters, spec.count_facets, deadline),
    )
    if aggregate.total < SOFT_MATCH_BELOW and parsed.soft_parts and not aggregate.timed_out:
        soft = snap.cached(
            ("soft", parsed.key, tuple(sorted(filters.items())), spec.count_facets),
            lambda: _soft_aggregate(snap, parsed, filters, spec.count_facets, deadline),
        )
        if soft.total > aggregate.total:
            result.exact_total = aggregate.total
            aggregate = soft
    result.total = aggregate.total
    result.facets = aggregate.facets
    result.upheld, result.overturned = aggregate.upheld, aggregate.overturned
    result.timed_out = aggregate.timed_out
    docnums, result.ranking_timed_out = _ordered_page(snap, parsed, spec, aggregate, deadline)
    result.hits = [_scored(snap, docnum, score) for docnum, score in docnums]
    return result


def _scored(snap: IndexSnapshot, docnum: int, score: float) -> ScoredItem:
    item = stored_item(snap.stored(docnum))
    return ScoredItem(item_id=item.item_id, score=float(score), item=item)


def _known_filters(snap, spec: SearchSpec, ignored: dict) -> dict[str, tuple]:
    """The selected facet values the index knows; the others go to `ignored`."""
    known: dict[str, tuple] = {}
    for name, values in spec.filters.items():
        if not values:
            continue
        column = snap.facets.column(name)
        fixed = FACETS_BY_NAME[name].fixed
        present = tuple(v for v in values if v in column.values or fixed)
        missing = tuple(v for v in values if v not in present)
        if missing:
            ignored[name] = missing
        if present:
            known[name] = present
    return known


def _day_filters(spec: SearchSpec) -> dict[str, tuple[int, int | None]]:
    """Index day field -> (first day, last day or None) for each date range that is set."""
    out = {}
    for name, (start, end) in spec.date_ranges.items():
        if start or end:
            # Day 0 means "not stated": an open start still begins at day 1.
            out[DAY_FIELDS[name]] = (
                start.toordinal() if start else 1,
                end.toordinal() if end else None,
            )
    return out


def _filter_bits(snap, name: str, values) -> int:
    """The documents one facet's selection allows: a facet's values come from the snapshot's
    facet tables (already in memory); a date range is a query on its day field."""
    if name in DAY_FIELDS.values():
        return snap.evaluator.docs_bits(day_range(name, values[0], values[1]))[0]
    return reduce(int.__or__, (snap.facets.value_bits(name, value) for value in values), 0)


def _aggregate(snap, parsed: ParsedQuery, filters, count_facets, deadline: float) -> Aggregate:
    base_bits, finished = _query_bits(snap, parsed, deadline)
    filter_bits = {
        name: snap.cached(
            ("filter", name, values),
            lambda name=name, values=values: _filter_bits(snap, name, values),
        )
        for name, values in filters.items()
    }
    final_bits = base_bits
    for bits in filter_bits.values():
        final_bits &= bits
    facets: dict[str, list[tuple[str, int]]] = {}
    for facet_name in count_facets:
        # Each facet is counted over the matches of every other facet's selection, so ticking
        # one value of a facet leaves its other values' counts visible.
        others = base_bits
        for name, bits in filter_bits.items():
            if name != facet_name:
                others &= bits
        column = snap.facets.column(facet_name)
        counts = []
        if others:
            for value, value_bits in zip(column.values, column.bits, strict=True):
                count = (others & value_bits).bit_count()
                if count:
                    counts.append((value, count))
        facets[facet_name] = counts
    return Aggregate(
        final_bits=final_bits,
        total=final_bits.bit_count(),
        facets=facets,
        upheld=(final_bits & snap.facets.value_bits("outcome", "upheld")).bit_count(),
        overturned=(final_bits & snap.facets.value_bits("outcome", "overturned")).bit_count(),
        timed_out=not finished,
    )


def _soft_aggregate(snap, parsed: ParsedQuery, filters, count_facets, deadline: float):
    """The aggregate of the items that match any of the query's parts (and not what it
    excludes), with their tiers: those matching every part, then all but one, and so on."""
    part_bits = []
    for part in parsed.soft_parts:
        bits, _ = snap.cached(
            ("bits", repr(part)),
            lambda q=part: snap.evaluator.docs_bits(to_whoosh(q), deadline),
        )
        part_bits.append(bits)
    if parsed.soft_excluded is not None:
        excluded, _ = snap.evaluator.docs_bits(to_whoosh(parsed.soft_excluded), deadline)
        part_bits = [bits & ~excluded for bits in part_bits]
    # at_least[k]: the items that match at least k of the parts.
    at_least = [snap.live_bits] + [0] * len(part_bits)
    for bits in part_bits:
        for k in range(len(part_bits), 0, -1):
            at_least[k] |= at_least[k - 1] & bits
    wider = replace(parsed, match_query=Or(parsed.soft_parts), case_query=None)
    soft = _aggregate(snap, wider, filters, count_facets, deadline)
    at_least.append(0)
    soft.tiers = [
        at_least[k] & ~at_least[k + 1] & soft.final_bits for k in range(len(part_bits), 0, -1)
    ]
    return soft


def _query_bits(snap, parsed: ParsedQuery, deadline: float) -> tuple[int, bool]:
    if parsed.matches_everything:
        return snap.live_bits, True
    bits, finished = 0, True
    for q in (parsed.match_query, parsed.case_query):
        if q is not None:
            more, done = snap.cached(
                ("bits", repr(q)), lambda q=q: snap.evaluator.docs_bits(to_whoosh(q), deadline)
            )
            bits |= more
            finished = finished and done
    return bits, finished


def _ordered_page(
    snap, parsed: ParsedQuery, spec: SearchSpec, aggregate: Aggregate, deadline: float
) -> tuple[list[tuple[int, float]], bool]:
    """(docnum, score) for the requested page, and whether scoring ran out of time."""
    start = max(0, spec.offset)
    if start >= aggregate.total or spec.limit <= 0:
        return [], False
    wanted = start + spec.limit
    final_bits = aggregate.final_bits
    if spec.sort == "relevance" and aggregate.tiers:
        vector = _query_vector(snap, parsed, spec)
        return _tiered_page(snap, parsed, aggregate.tiers, start, wanted, deadline, vector)
    if spec.sort == "relevance" and not parsed.matches_everything:
        pinned = _pinned_case_docs(snap, parsed, final_bits)
        scored: list[tuple[int, float]] = [(d, 0.0) for d in pinned]
        timed_out = False
        if parsed.query is not None and len(scored) < wanted:
            remaining = max(0.05, deadline - time.monotonic())
            top, timed_out = _ranked(
                snap, to_whoosh(parsed.query), final_bits, wanted + len(pinned), remaining,
                _query_vector(snap, parsed, spec),
            )
            pinned_set = set(pinned)
            scored.extend((d, s) for d, s in top if d not in pinned_set)
        return scored[start:wanted], timed_out
    docnums = _by_date(snap, final_bits, spec.sort, start, wanted, aggregate.total)
    return [(d, 0.0) for d in docnums], False


def _tiered_page(snap, parsed, tiers, start: int, wanted: int, deadline: float, vector):
    """A soft match's page: tier by tier (most parts matched first), by score within a tier."""
    query = to_whoosh(with_request_boost(Or(parsed.soft_parts)))
    out: list[tuple[int, float]] = []
    timed_out = False
    before = 0  # items in the tiers before this one
    for tier in tiers:
        size = tier.bit_count()
        if before + size > start and size:
            skip = max(0, start - before)
            remaining = max(0.05, deadline - time.monotonic())
            top, late = _ranked(
                snap, query, tier, skip + wanted - start - len(out), remaining, vector
            )
            timed_out = timed_out or late
            out.extend(top[skip:])
            if len(out) >= wanted - start:
                break
        before += size
    return out[: wanted - start], timed_out


def _query_vector(snap, parsed: ParsedQuery, spec: SearchSpec):
    """The vector the matches are ranked by in meaning, or None (ranking by words alone: asked
    for, no vectors in this generation yet, or the model unavailable)."""
    if spec.ranking != "hybrid" or snap.meaning is None or snap.meaning.rows()[0] is None:
        return None
    return semantic.search_vector(parsed, spec.ranking)


def _ranked(snap, q, bits: int, count: int, remaining: float, vector):
    """The best `count` documents of `bits` as (docnum, score), best first, and whether scoring
    ran out of time: by q's words, or, given a query vector, by the fusion of the word ranking
    and the meaning ranking of the same documents. The first FUSION_DEPTH places are fused;
    deeper pages go on in word order, so paging never shows an item twice."""
    if vector is None:
        allowed = bits if bits != snap.live_bits else None
        return snap.scorer.top_scored(q, allowed, count, remaining)
    return fused_top(snap, q, bits, count, remaining, vector)


def fused_top(snap, q, bits: int, count: int, remaining: float, vector, *,
              matched_only: bool = False):
    """_ranked's fusion: the word and meaning rankings of the documents of `bits` that the
    ranking words reach (the item's own text: a match only in the letter's case summary scores
    0 there and stays below every item-text match, in word order, whatever its meaning)."""
    allowed = bits if bits != snap.live_bits else None
    depth = semantic.FUSION_DEPTH
    words, timed_out, scores = snap.scorer.top_scored_with_scores(
        q, allowed, max(count, depth) + depth, remaining, matched_only=matched_only
    )
    candidates = bits
    if scores is not None:  # the documents of `bits` the ranking words reach
        candidates = (scores[: snap.size] > 0) & mask_from_bits(bits, snap.size)
    meaning = snap.meaning.top(vector, candidates, depth)
    ranked = semantic.fused_order(words, [d for d, _ in meaning], count,
                                  scored=scores is not None)
    return ranked, timed_out


def _pinned_case_docs(snap, parsed: ParsedQuery, final_bits: int) -> list[int]:
    """Items of the case numbers typed, listed first: case by case in the order they were typed,
    each case's items in ordinal order."""
    if parsed.case_query is None:
        return []
    bits, _ = snap.cached(
        ("bits", repr(parsed.case_query)),
        lambda: snap.evaluator.docs_bits(to_whoosh(parsed.case_query)),
    )
    docnums = docnums_from_bits(bits & final_bits)
    typed = {number: position for position, number in enumerate(parsed.case_numbers)}

    def key(docnum: int):
        stored = snap.stored(docnum)
        meta = stored["hit"]
        position = typed.get((meta.get("case_number") or "").upper(), len(typed))
        return (position, meta["letter_id"], stored["ordinal"])

    return sorted(docnums, key=key)


def _by_date(snap, final_bits: int, sort: str, start: int, wanted: int, total: int) -> list[int]:
    """Newest first for "newest" and for everything-with-no-words; oldest first for "oldest"."""
    order = snap.dates.newest_first()
    if sort == "oldest":
        order = snap.dates.oldest_first()
    if total * 20 < len(order):
        # A small match set: sort it directly rather than walking the whole order.
        rank = snap.dates.rank()
        docnums = docnums_from_bits(final_bits)
        docnums.sort(key=rank.__getitem__, reverse=(sort == "oldest"))
        return docnums[start:wanted]
    view = BitsView(final_bits, snap.size)
    out = []
    for docnum in order:
        if docnum in view:
            out.append(docnum)
            if len(out) >= wanted:
                break
    return out[start:wanted]
