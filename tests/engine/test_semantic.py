"""Ranking by meaning, the engine-neutral parts: keys, the query's text, query vectors, fusion."""

from __future__ import annotations

import numpy as np
import pytest

from search.engine import embedding, semantic


def test_vector_keys_are_stable_non_negative_and_distinct():
    ids = [f"CM16-{n:07d}#{o}" for n in range(2000) for o in (1, 2, 3)]
    keys = semantic.vector_keys(ids)
    assert keys.dtype == np.int64
    assert (keys >= 0).all()  # the store marks dead rows -1
    assert len(set(keys.tolist())) == len(ids)
    assert semantic.vector_key("CM16-0000001#1") == semantic.vector_keys(["CM16-0000001#1"])[0]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ('"physical therapy" knee', "physical therapy knee"),
        ("request:mri -lumbar", "mri"),
        ("opioid NOT tramadol", "opioid"),
        ('cbt NOT "group therapy" (chronic OR pain)', "cbt chronic pain"),
        ("epidur*", "epidur"),
    ],
)
def test_meaning_text_keeps_the_need_and_drops_syntax_and_exclusions(typed, meant):
    assert semantic.meaning_text(typed) == meant


def test_item_text_is_the_request_then_the_rationale():
    assert semantic.item_text("  Norco 10/325 #90 ", "Not medically necessary.\n") == (
        "Norco 10/325 #90\nNot medically necessary."
    )


def test_query_vectors_are_kept_and_reused(monkeypatch):
    calls = []

    def embed_query(text):
        calls.append(text)
        return np.full(embedding.DIMENSIONS, len(calls), dtype=np.float32)

    monkeypatch.setattr(embedding, "embed_query", embed_query)
    vectors = semantic.QueryVectors(size=2)
    first = vectors.get("knee mri")
    assert vectors.get(" knee mri ") is first
    vectors.get("cbt")
    vectors.get("opioid")  # pushes "knee mri" out: only two are kept
    vectors.get("knee mri")
    assert calls == ["knee mri", "cbt", "opioid", "knee mri"]
    assert vectors.get("   ") is None


def test_without_the_model_query_vectors_are_none_and_it_is_not_retried(monkeypatch, caplog):
    calls = []

    def missing(text):
        calls.append(text)
        raise embedding.ModelNotInstalled("the embedding model package is not installed")

    monkeypatch.setattr(embedding, "embed_query", missing)
    vectors = semantic.QueryVectors()
    assert vectors.get("knee mri") is None
    assert vectors.get("cbt") is None
    assert calls == ["knee mri"]
    assert "ranking by meaning is off" in caplog.text


def test_fusion_puts_agreement_first_and_keeps_every_ranked_id():
    words = ["a", "b", "c", "d"]
    meaning = ["c", "e", "a"]
    fused = [item for item, _ in semantic.fuse_rankings(words, meaning, limit=10)]
    assert fused[:2] == ["a", "c"]  # in both rankings, near the top of each
    assert set(fused) == {"a", "b", "c", "d", "e"}
    assert len(semantic.fuse_rankings(words, meaning, limit=2)) == 2
