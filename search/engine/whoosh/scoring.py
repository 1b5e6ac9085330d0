"""Ranking: BM25F as Whoosh scores it, computed a posting list at a time, and the best documents.

`Scorer.top_scored` gives the same scores as Whoosh's matchers (tests/engine/whoosh/test_ranking
checks every match of a set of queries) at a few list operations per posting: each posting
list is decoded once (evaluation.Postings) and a score looked up in a table by (weight, length
byte). Queries it does not cover are ranked by Whoosh's own collector.
"""

from __future__ import annotations

import time
from heapq import nlargest
from itertools import compress

from whoosh import query
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.collectors import TimeLimit, TopCollector, WrappingCollector
from whoosh.util.numeric import byte_to_length

from search.engine.whoosh.bits import BitsView, docnums_from_bits, flags_from_bits
from search.engine.whoosh.evaluation import Evaluator, Postings, text_of

# Prefix queries are scored over their most frequent expansions only (the match set itself is
# exact: it comes from the bitsets); documents matched only by a rarer expansion follow.
SCORED_PREFIX_TERMS = 12
SCORE_CHUNK = 16_384  # postings scored between two looks at the clock

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


BEST_SAMPLE_STRIDE = 64  # best_documents samples one document number in so many


def best_documents(scores: list[float], allowed_bits: int, limit: int) -> list[int]:
    """The `limit` allowed document numbers with the highest scores, ties in document order:
    nlargest over every allowed document, without calling its key a million times.

    The limit-th best score of a sample of allowed documents is no higher than the limit-th best
    of them all, so every document that can make the list scores at least that: a C-speed pass
    keeps those, and nlargest ranks the few kept."""
    count = allowed_bits.bit_count()
    # A pass over every score costs about what ranking half of them does: sample only when
    # at least half the documents are allowed.
    if count * 2 >= len(scores) and count > BEST_SAMPLE_STRIDE * limit * 4:
        allowed = flags_from_bits(allowed_bits, len(scores))
        sample = [
            scores[docnum]
            for docnum in range(0, len(scores), BEST_SAMPLE_STRIDE)
            if allowed[docnum]
        ]
        if len(sample) >= limit:
            floor = nlargest(limit, sample)[-1]
            kept = compress(range(len(scores)), map(floor.__le__, scores))
            candidates = [docnum for docnum in kept if allowed[docnum]]
            return nlargest(limit, candidates, key=scores.__getitem__)
    return nlargest(limit, docnums_from_bits(allowed_bits), key=scores.__getitem__)


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
        self._length_codes: dict[str, bytes] = {}

    def top_scored(self, q, allowed_bits: int | None, limit: int, timelimit: float,
                   *, matched_only: bool = False):
        """(docnum, score) of the best `limit` documents among `allowed_bits` (None: all live
        documents), ranked by q's words with BM25F as Whoosh scores them.

        The caller decides the match set (the bitsets): every allowed document is a candidate,
        those q's words do not reach score 0 and follow in index order, unless `matched_only`,
        which leaves them out. Returns (hits, timed_out); on timeout, the best found so far.
        """
        deadline = time.monotonic() + timelimit
        terms = self.scored_terms(q)
        if terms is None:
            return self.top_scored_by_whoosh(q, allowed_bits, limit, deadline, matched_only)
        allowed = allowed_bits if allowed_bits is not None else self.live_bits
        # Scoring a posting costs more than testing a flag: when few documents are allowed (a
        # facet ticked, a rare word beside a common one), only theirs are scored.
        sparse = allowed.bit_count() * 4 < self.total
        scores, timed_out = self.term_scores(terms, deadline, allowed if sparse else None)
        best = best_documents(scores, allowed, max(1, limit))
        hits = [(docnum, scores[docnum]) for docnum in best]
        if matched_only:
            hits = [hit for hit in hits if hit[1] > 0]
        return hits, timed_out

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
        """A list by document number of the summed BM25F scores of scored_terms' groups;
        (scores, timed out). With `allowed_bits`, only those documents are scored."""
        size = self.size + 1
        scores = [0.0] * size
        wanted = flags_from_bits(allowed_bits, size) if allowed_bits is not None else None
        started = False
        for gate, terms in groups:
            if gate is None:
                if self._add_term_scores(scores, terms, deadline, wanted):
                    return scores, True
                started = True
                continue
            # A gated group counts only in its gate's documents, so only they are scored.
            gate_bits = gate if allowed_bits is None else gate & allowed_bits
            gate_wanted = flags_from_bits(gate_bits, size)
            if not started:  # nothing to add to yet: the sums are the same, in the same order
                if self._add_term_scores(scores, terms, deadline, gate_wanted):
                    return scores, True
                started = True
                continue
            part = [0.0] * size
            if self._add_term_scores(part, terms, deadline, gate_wanted):
                return scores, True
            for docnum in docnums_from_bits(gate_bits):
                scores[docnum] += part[docnum]
        return scores, False

    def _add_term_scores(
        self, scores: list[float], terms, deadline: float, wanted: bytes | None
    ) -> bool:
        """Add each term's BM25F score times its boost to `scores`; True if time ran out.

        The same sum Whoosh's matchers compute (a Term's score times its boost, added up over
        And, Or and AndMaybe), without a matcher tree: each posting list is decoded once
        (term_postings) and a score looked up in a table by (weight, length byte), so the cost
        is a few list operations per posting. With `wanted` (a byte per document), only
        documents whose byte is set are scored.
        """
        searcher = self.searcher
        for (fieldname, text), boost in terms.items():
            scorable = searcher.schema[fieldname].scorable
            if scorable:
                idf = searcher.idf(fieldname, text)
                avgfl = searcher.avg_field_length(fieldname) or 1
                codes = self.length_codes(fieldname)
                norms = [
                    BM25_K1 * ((1 - BM25_B) + BM25_B * byte_to_length(code) / avgfl)
                    for code in range(256)
                ]
                scale = boost * idf * (BM25_K1 + 1)
                rows: dict[float, list[float]] = {}
            for all_ids, all_weights in self.postings.term_postings(fieldname, text):
                for start in range(0, len(all_ids), SCORE_CHUNK):
                    ids = all_ids[start : start + SCORE_CHUNK]
                    weights = all_weights[start : start + SCORE_CHUNK]
                    if wanted is not None:
                        keep = bytes(map(wanted.__getitem__, ids))
                        ids, weights = compress(ids, keep), compress(weights, keep)
                    if scorable:
                        for docnum, weight in zip(ids, weights):  # noqa: B905 (compress objects)
                            row = rows.get(weight)
                            if row is None:
                                row = rows[weight] = [scale * weight / (weight + n) for n in norms]
                            scores[docnum] += row[codes[docnum]]
                    else:
                        for docnum, weight in zip(ids, weights):  # noqa: B905
                            scores[docnum] += boost * weight
                    if time.monotonic() > deadline:
                        return True
        return False

    def length_codes(self, fieldname: str) -> bytes:
        """Each document's length in a scored field, as Whoosh's one-byte code, by number."""
        codes = self._length_codes.get(fieldname)
        if codes is None:
            out = bytearray()
            for leaf, offset in self.searcher.reader().leaf_readers():
                out.extend(bytes(offset - len(out)))
                out.extend(segment_length_codes(leaf, fieldname))
            out.extend(bytes(self.size + 1 - len(out)))
            codes = self._length_codes[fieldname] = bytes(out)
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
