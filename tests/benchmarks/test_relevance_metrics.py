"""benchmarks.relevance.metrics against hand-computed values, and the judged set's own shape."""

import json
import math
import re
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.relevance.metrics import (
    evaluate_query,
    grade_of,
    ndcg_at,
    precision_at,
    recall_at,
    reciprocal_rank,
    summary,
)

L2 = math.log2
J = {"A#1": 2, "B#1": 1, "C#2": 1}   # three relevant items; everything else is 0


def test_grade_of_unlisted_is_zero():
    assert grade_of("Z#9", J) == 0
    assert grade_of("A#1", J) == 2


# ---------- nDCG ----------

def test_ndcg_perfect_order_is_one():
    assert ndcg_at(["A#1", "B#1", "C#2"], J) == pytest.approx(1.0)


def test_ndcg_graded_gains_hand_computed():
    # ranking: B (g1), X (g0), A (g2)
    dcg = 1 / L2(2) + 0 + 3 / L2(4)              # 1 + 1.5 = 2.5
    idcg = 3 / L2(2) + 1 / L2(3) + 1 / L2(4)     # 3 + 0.6309 + 0.5 = 4.1309
    assert ndcg_at(["B#1", "X#1", "A#1"], J, k=10) == pytest.approx(dcg / idcg)
    assert ndcg_at(["B#1", "X#1", "A#1"], J) == pytest.approx(0.605191, abs=1e-6)


def test_ndcg_grade2_worth_more_than_grade1():
    assert ndcg_at(["A#1"], J) > ndcg_at(["B#1"], J)
    # A alone: 3 / 4.1309 ; B alone: 1 / 4.1309
    assert ndcg_at(["A#1"], J) == pytest.approx(3 / (3 + 1 / L2(3) + 0.5))


def test_ndcg_ideal_uses_all_judged_items_not_just_returned():
    # only B returned: ideal still includes A and C
    assert ndcg_at(["B#1"], J) == pytest.approx(1 / (3 + 1 / L2(3) + 0.5))


def test_ndcg_cutoff():
    # A at rank 3 is cut at k=2; ideal at k=2 = 3 + 1/log2(3)
    assert ndcg_at(["X#1", "B#1", "A#1"], J, k=2) == pytest.approx((1 / L2(3)) / (3 + 1 / L2(3)))


def test_ndcg_no_relevant_items_and_empty_ranking():
    assert ndcg_at(["A#1"], {}) == 0.0
    assert ndcg_at(["A#1"], {"A#1": 0}) == 0.0
    assert ndcg_at([], J) == 0.0


def test_ndcg_duplicates_count_once():
    assert ndcg_at(["A#1", "A#1", "B#1", "C#2"], J) == pytest.approx(1.0)


# ---------- precision ----------

def test_precision_hand_computed():
    assert precision_at(["A#1", "X#1", "B#1", "Y#1"], J, k=4) == pytest.approx(0.5)


def test_precision_fewer_than_k_results_divides_by_k():
    assert precision_at(["A#1", "B#1"], J, k=10) == pytest.approx(0.2)


def test_precision_grade1_counts_as_relevant():
    assert precision_at(["C#2"], J, k=1) == 1.0


def test_precision_no_relevant_and_empty():
    assert precision_at(["X#1", "Y#1"], J, k=2) == 0.0
    assert precision_at([], J) == 0.0
    assert precision_at(["A#1"], {}) == 0.0


# ---------- recall ----------

def test_recall_hand_computed():
    assert recall_at(["X#1", "A#1", "C#2"], J, k=20) == pytest.approx(2 / 3)


def test_recall_cutoff():
    assert recall_at(["X#1", "A#1", "C#2"], J, k=2) == pytest.approx(1 / 3)


def test_recall_no_relevant_items():
    assert recall_at(["A#1"], {}) == 0.0
    assert recall_at(["A#1"], {"A#1": 0}) == 0.0


def test_recall_fewer_than_k_results():
    assert recall_at(["B#1"], J) == pytest.approx(1 / 3)


# ---------- reciprocal rank ----------

def test_rr_first_relevant_rank():
    assert reciprocal_rank(["X#1", "Y#1", "C#2"], J) == pytest.approx(1 / 3)
    assert reciprocal_rank(["A#1"], J) == 1.0


def test_rr_none_relevant():
    assert reciprocal_rank(["X#1", "Y#1"], J) == 0.0
    assert reciprocal_rank([], J) == 0.0


def test_rr_not_cut_at_10():
    ranked = [f"N{i}#1" for i in range(14)] + ["B#1"]
    assert reciprocal_rank(ranked, J) == pytest.approx(1 / 15)


# ---------- per-query and summary ----------

def test_evaluate_query_keys():
    scores = evaluate_query(["A#1"], J)
    assert set(scores) == {"ndcg@10", "p@10", "recall@20", "rr"}
    assert scores["p@10"] == pytest.approx(0.1)


def test_summary_averages_per_kind_and_all():
    queries = [
        {"id": "k1", "kind": "keyword", "judgments": {"A#1": 2}},
        {"id": "k2", "kind": "keyword", "judgments": {"B#1": 1}},
        {"id": "p1", "kind": "pasted", "judgments": {"C#2": 2}},
    ]
    runs = {"k1": ["A#1"], "k2": ["X#1", "B#1"], "p1": []}
    s = summary(runs, {"queries": queries})
    assert s["keyword"]["queries"] == 2 and s["pasted"]["queries"] == 1
    assert s["all"]["queries"] == 3
    # k1 rr=1, k2 rr=1/2 -> keyword MRR 0.75; p1 has an empty run -> 0
    assert s["keyword"]["mrr"] == pytest.approx(0.75)
    assert s["pasted"]["mrr"] == 0.0
    assert s["all"]["mrr"] == pytest.approx(0.5)
    # k2 nDCG = (1/log2 3) / 1
    assert s["keyword"]["ndcg@10"] == pytest.approx((1.0 + 1 / L2(3)) / 2)
    assert s["keyword"]["recall@20"] == pytest.approx(1.0)
    assert s["keyword"]["p@10"] == pytest.approx(0.1)


def test_summary_missing_run_scores_zero():
    queries = [{"id": "q", "kind": "keyword", "judgments": {"A#1": 2}}]
    s = summary({}, queries)
    assert s["keyword"]["ndcg@10"] == 0.0 and s["all"]["mrr"] == 0.0


JUDGED = Path(__file__).resolve().parents[2] / "benchmarks" / "relevance" / "judged_queries.json"


def test_judged_set_keeps_its_promises():
    """At least 60 queries, two thirds keyword and one third pasted, each with its need, and
    judgments keyed by case number and ordinal with grades 1 or 2."""
    data = json.loads(JUDGED.read_text())
    queries = data["queries"]
    kinds = Counter(q["kind"] for q in queries)
    assert len(queries) >= 60 and set(kinds) == {"keyword", "pasted"}
    assert kinds["keyword"] >= 2 * len(queries) // 3 - 1
    assert kinds["pasted"] >= len(queries) // 3 - 1
    assert len({q["id"] for q in queries}) == len(queries)
    for query in queries:
        assert query["need"].strip() and query["text"].strip()
        for key, grade in query["judgments"].items():
            assert re.fullmatch(r"CM\d{2}-\d{7}#\d+", key) and grade in (1, 2), (query["id"], key)


def test_an_oracle_run_scores_perfectly_on_the_judged_set():
    data = json.loads(JUDGED.read_text())
    runs = {
        q["id"]: sorted(q["judgments"], key=lambda k: -q["judgments"][k]) for q in data["queries"]
    }
    s = summary(runs, data)
    assert s["all"]["ndcg@10"] == pytest.approx(1.0)
    assert s["all"]["mrr"] == pytest.approx(1.0)
