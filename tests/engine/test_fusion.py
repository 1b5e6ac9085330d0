"""Reciprocal rank fusion."""

import pytest

from search.engine.fusion import fuse


def test_scores_are_the_sum_of_weight_over_k_plus_rank():
    fused = dict(fuse([["a", "b", "c"], ["c", "a"]], weights=[1.0, 2.0], k=60))
    assert fused["a"] == pytest.approx(1 / 61 + 2 / 62)
    assert fused["b"] == pytest.approx(1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 2 / 61)


def test_agreement_beats_one_first_place():
    fused = fuse([["x", "both"], ["y", "both"]])
    assert fused[0][0] == "both"
    assert [item for item, _ in fused[1:]] == ["x", "y"]  # a tie: the first ranking's first


def test_best_first_and_limit():
    fused = fuse([[1, 2, 3, 4], [4, 3, 2, 1]], weights=[1, 0.5])
    scores = [score for _, score in fused]
    assert scores == sorted(scores, reverse=True)
    assert [item for item, _ in fused] == [1, 2, 3, 4]
    assert fuse([[1, 2, 3, 4], [4, 3, 2, 1]], weights=[1, 0.5], limit=2) == fused[:2]


def test_ties_are_broken_by_best_rank_then_first_seen():
    # "b" and "c" tie on score; "c" was ranked first somewhere, "b" only second.
    fused = fuse([["a", "b"], ["c", "x"], ["x", "c"]], k=1)
    tie = {item: score for item, score in fused}
    assert tie["x"] == pytest.approx(tie["c"])
    order = [item for item, _ in fused]
    assert order.index("c") < order.index("x")  # same score, same best rank: c seen first
    assert fuse([["p"], ["q"]]) == [("p", pytest.approx(1 / 61)), ("q", pytest.approx(1 / 61))]


def test_a_repeated_id_counts_once_at_its_first_place():
    assert dict(fuse([["a", "a", "b"]]))["a"] == pytest.approx(1 / 61)
    assert dict(fuse([["a", "a", "b"]]))["b"] == pytest.approx(1 / 63)


def test_zero_weight_keeps_items_but_adds_nothing():
    fused = dict(fuse([["a"], ["b", "a"]], weights=[0, 1]))
    assert fused == {"a": pytest.approx(1 / 62), "b": pytest.approx(1 / 61)}


def test_empty_and_bad_input():
    assert fuse([]) == []
    assert fuse([[], []]) == []
    with pytest.raises(ValueError, match="weights for"):
        fuse([["a"]], weights=[1, 2])
    with pytest.raises(ValueError, match="negative"):
        fuse([["a"]], weights=[-1])
    with pytest.raises(ValueError, match="positive"):
        fuse([["a"]], k=0)


def test_ids_of_mixed_types_are_never_compared():
    fused = fuse([[1, "1", (1,)], [(1,), 1]])
    assert {item for item, _ in fused} == {1, "1", (1,)}
