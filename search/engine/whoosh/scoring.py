"""Ranking: BM25F as Whoosh scores it, computed a posting list at a time, and the best documents.

`Scorer.top_scored` gives the same scores as Whoosh's matchers (tests/engine/whoosh/test_ranking
checks every match of a set of queries) with numpy arrays: each posting list is decoded once
(evaluation.Postings) and scored whole. Queries it does not cover are ranked by Whoosh's own
collector.
"""

from __future__ import annotations

import time

import numpy as np
from whoosh import query
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.collectors import TimeLimit, TopCollector, WrappingCollector
from whoosh.util.numeric import byte_to_length

from search.engine.whoosh.bits import BitsView, docnums_from_bits, mask_from_bits
from search.engine.whoosh.evaluation import Evaluator, Postings, text_of

# Prefix queries are scored over their most frequent expansions only (the match set itself is
# exact: it comes from the bitsets); documents matched only by a rarer expansion follow.
SCORED_PREFIX_TERMS = 12
# The length a one-byte length code stands for, for each of the 256 codes.
LENGTH_OF_CODE = np.array([byte_to_length(code) for code in range(256)], dtype=np.float64)

# BM25F's free parameters, as in Whoosh's default weighting (scoring.BM25F).
BM25_B = 0.75
BM25_K1 = 1.2


class FilteredTimedCollector(WrappingCollector):
    """Keeps only allowed documents and stops at a deadline, in one pass.

    Whoosh's FilterCollector and TimeLimitCollector do not nest: the time limit collector
    iterates its child's matches itself and so bypasses the filter. This also avoids the timer
    thread and SIGALRM (which only works in the main thread).
    """

    def __init__(self, child, allow, deadline: float):
        self.child = child
        self.allow = allow
        self.deadline = deadline

    def collect_matches(self):
        child = self.child
        allow = self.allow
        offset = self.offset
        deadline = self.deadline
        for seen, sub_docnum in enumerate(child.matches()):
            if allow is None or (offset + sub_docnum) in allow:
                child.collect(sub_docnum)
            if not seen & 511 and time.monotonic() > deadline:
                raise TimeLimit


def best_documents(scores, allowed_bits: int, limit: int) -> list[int]:
    """The `limit` allowed document numbers with the highest scores, ties in document order.

    numpy throughout: the allowed documents' scores, the limit-th best as a floor
    (np.partition), then a stable sort of the few at or above it."""
    scores = np.asarray(scores, dtype=np.float64)
    docnums = np.flatnonzero(mask_from_bits(allowed_bits, len(scores)))
    if not len(docnums) or limit <= 0:
        return []
    allowed = scores[docnums]
    if limit < len(allowed):
        floor = np.partition(allowed, len(allowed) - limit)[len(allowed) - limit]
        keep = allowed >= floor
        docnums, allowed = docnums[keep], allowed[keep]
    order = np.argsort(-allowed, kind="stable")[:limit]  # stable: ties stay in document order
    return docnums[order].tolist()


def segment_length_codes(leaf, fieldname: str) -> bytes:
    """One segment's length column for `fieldname` (one byte a document), empty if none."""
    perdoc = getattr(leaf, "_perdoc", None)
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if perdoc else None
    if column is None:
        return bytes(leaf.doc_count_all())
    doccount = leaf.doc_count_all()
    try:
        # Fixed one-byte values: the column's bytes are the codes (the rest default to 0).
        raw = column._dbfile.get(column._basepos, min(column._count, doccount))
    except AttributeError:
        raw = bytes(column[docnum] for docnum in range(doccount))
    return raw + bytes(doccount - len(raw))

class Scorer:
    """Ranks documents of one searcher by a query's words."""

    def __init__(self, searcher, size: int, live_bits: int, total: int, postings: Postings,
                 evaluator: Evaluator):
        self.searcher = searcher
        self.size = size
        self.live_bits = live_bits
        self.total = total
        self.postings = postings
        self.evaluator = evaluator
        self._length_codes: dict[str, np.ndarray] = {}

    def top_scored(self, q, allowed_bits: int | None, limit: int, timelimit: float,
                   *, matched_only: bool = False):
        """(docnum, score) of the best `limit` documents among `allowed_bits` (None: all live
        documents), ranked by q's words with BM25F as Whoosh scores them.

        The caller decides the match set (the bitsets): every allowed document is a candidate,
        those q's words do not reach score 0 and follow in index order, unless `matched_only`,
        which leaves them out. Returns (hits, timed_out); on timeout, the best found so far.
        """
        hits, timed_out, _ = self.top_scored_with_scores(
            q, allowed_bits, limit, timelimit, matched_only=matched_only
        )
        return hits, timed_out

    def top_scored_with_scores(self, q, allowed_bits: int | None, limit: int, timelimit: float,
                               *, matched_only: bool = False):
        """top_scored's (hits, timed_out) and every document's score by number (a numpy array;
        documents outside `allowed_bits` may be scored too), or None for the scores when
        Whoosh's collector ranked them."""
        deadline = time.monotonic() + timelimit
        terms = self.scored_terms(q)
        if terms is None:
            hits, timed_out = self.top_scored_by_whoosh(
                q, allowed_bits, limit, deadline, matched_only
            )
            return hits, timed_out, None
        allowed = allowed_bits if allowed_bits is not None else self.live_bits
        # Scoring a posting costs more than testing a flag: when few documents are allowed (a
        # facet ticked, a rare word beside a common one), only theirs are scored.
        sparse = allowed.bit_count() * 4 < self.total
        scores, timed_out = self.term_scores(terms, deadline, allowed if sparse else None)
        best = best_documents(scores, allowed, max(1, limit))
        hits = [(docnum, float(scores[docnum])) for docnum in best]
        if matched_only:
            hits = [hit for hit in hits if hit[1] > 0]
        return hits, timed_out, scores

    def scored_terms(self, q) -> list[tuple[int | None, dict[tuple[str, str], float]]] | None:
        """The words that rank q's matches (see scoring_query) as groups of {(field, term):
        boost}, each with the documents it scores in (None: wherever a word occurs), or None
        for a query our scorer does not cover.

        Whoosh adds a conjunction's score only where all its parts match: an And under an Or
        (a phrase scored as its words, say "magnetic resonance imaging" beside "mri") is a
        group limited to the documents that hold all its words.
        """
        groups: dict[int | None, dict[tuple[str, str], float]] = {}

        def walk(node, boost: float, gate: int | None, optional: bool) -> bool:
            boost *= getattr(node, "boost", 1.0)
            if isinstance(node, query.Term):
                terms = groups.setdefault(gate, {})
                key = (node.fieldname, text_of(node.text))
                terms[key] = terms.get(key, 0.0) + boost
                return True
            if isinstance(node, query.AndNot):
                return walk(node.a, boost, gate, optional)
            if isinstance(node, query.AndMaybe):
                return walk(node.a, boost, gate, optional) and walk(node.b, boost, gate, True)
            if isinstance(node, query.And):
                if optional:
                    bits = self.evaluator.query_bits(node, {"finished": True, "deadline": None})
                    gate = bits if gate is None else gate & bits
                return all(walk(sub, boost, gate, False) for sub in node.subqueries)
            if isinstance(node, query.Or):
                return all(walk(sub, boost, gate, True) for sub in node.subqueries)
            return isinstance(node, query.Not | query.Every | query.NullQuery.__class__)

        if not walk(self.scoring_query(q), 1.0, None, False):
            return None
        return list(groups.items())

    def term_scores(self, groups, deadline: float, allowed_bits: int | None = None):
        """An array by document number of the summed BM25F scores of scored_terms' groups;
        (scores, timed out). With `allowed_bits`, only those documents are scored."""
        size = self.size + 1
        scores = np.zeros(size, dtype=np.float64)
        wanted = mask_from_bits(allowed_bits, size) if allowed_bits is not None else None
        for gate, terms in groups:
            if gate is None:
                if self._add_term_scores(scores, terms, deadline, wanted):
                    return scores, True
                continue
            # A gated group counts only in its gate's documents, so only they are scored.
            gate_bits = gate if allowed_bits is None else gate & allowed_bits
            if self._add_term_scores(scores, terms, deadline, mask_from_bits(gate_bits, size)):
                return scores, True
        return scores, False

    def _add_term_scores(self, scores: np.ndarray, terms, deadline: float,
                         wanted: np.ndarray | None) -> bool:
        """Add each term's BM25F score times its boost to `scores`; True if time ran out.

        The same sum Whoosh's matchers compute (a Term's score times its boost, added up over
        And, Or and AndMaybe), without a matcher tree: each posting list is decoded once
        (term_postings) and scored as whole numpy arrays, weight / (weight + the length norm of
        the document's one-byte length code). With `wanted` (a bool per document), only those
        documents are scored. A posting list holds each document once, so `scores[ids] +=` adds
        every posting.
        """
        searcher = self.searcher
        for (fieldname, text), boost in terms.items():
            scorable = searcher.schema[fieldname].scorable
            if scorable:
                idf = searcher.idf(fieldname, text)
                avgfl = searcher.avg_field_length(fieldname) or 1
                codes = self.length_codes(fieldname)
                norms = BM25_K1 * ((1 - BM25_B) + BM25_B * LENGTH_OF_CODE / avgfl)
                scale = boost * idf * (BM25_K1 + 1)
            for all_ids, all_weights in self.postings.term_postings(fieldname, text):
                ids = all_ids
                weights = all_weights.astype(np.float64)
                if wanted is not None:
                    keep = wanted[ids]
                    ids, weights = ids[keep], weights[keep]
                if scorable:
                    scores[ids] += scale * weights / (weights + norms[codes[ids]])
                else:
                    scores[ids] += boost * weights
            if time.monotonic() > deadline:
                return True
        return False

    def length_codes(self, fieldname: str) -> np.ndarray:
        """Each document's length in a scored field, as Whoosh's one-byte code, by number."""
        codes = self._length_codes.get(fieldname)
        if codes is None:
            out = bytearray()
            for leaf, offset in self.searcher.reader().leaf_readers():
                out.extend(bytes(offset - len(out)))
                out.extend(segment_length_codes(leaf, fieldname))
            out.extend(bytes(self.size + 1 - len(out)))
            codes = self._length_codes[fieldname] = np.frombuffer(bytes(out), dtype=np.uint8)
        return codes

    def top_scored_by_whoosh(self, q, allowed_bits, limit, deadline, matched_only):
        top = TopCollector(limit=max(1, limit))
        allow = BitsView(allowed_bits, self.size) if allowed_bits is not None else None
        collector = FilteredTimedCollector(top, allow, deadline)
        timed_out = False
        scoring = self.scoring_query(q)
        try:
            self.searcher.search_with_collector(scoring, collector)
        except TimeLimit:
            timed_out = True
        hits = [(hit.docnum, hit.score) for hit in top.results()]
        if not matched_only and len(hits) < limit and not timed_out:
            # The scoring query may miss matches (see scoring_query): they follow, unscored.
            seen = {docnum for docnum, _ in hits}
            matches = allowed_bits if allowed_bits is not None else self.live_bits
            for docnum in docnums_from_bits(matches):
                if docnum not in seen:
                    hits.append((docnum, 0.0))
                    if len(hits) >= limit:
                        break
        return hits, timed_out

    def scoring_query(self, q):
        """A cheaper query that ranks the same matches nearly the same way.

        The match set is decided by the bitsets; ranking only needs the words. A phrase is
        scored as its words (Whoosh's phrase matcher reads positions for every candidate and
        cannot skip blocks), a prefix as its SCORED_PREFIX_TERMS most frequent expansions, and
        the excluded side of AND NOT is left to the allowed set.
        """
        if isinstance(q, query.Phrase):
            words = [query.Term(q.fieldname, word) for word in q.words]
            return words[0] if len(words) == 1 else query.And(words, boost=q.boost)
        if type(q) is query.Prefix:
            reader = self.searcher.reader()
            terms = []
            for count, term in enumerate(reader.expand_prefix(q.fieldname, q.text)):
                terms.append((reader.doc_frequency(q.fieldname, term), text_of(term)))
                if count > 2000:
                    return q
            terms.sort(reverse=True)
            words = [query.Term(q.fieldname, t, boost=q.boost) for _, t in terms]
            words = words[:SCORED_PREFIX_TERMS]
            if not words:
                return q
            return words[0] if len(words) == 1 else query.Or(words)
        if isinstance(q, query.AndNot):
            return self.scoring_query(q.a)
        if isinstance(q, query.And | query.Or | query.AndMaybe):
            cheaper = q.apply(self.scoring_query)
            return q if cheaper == q else cheaper
        return q
