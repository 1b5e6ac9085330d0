"""The flat vector store of an index generation: round trips, replacement, exact filters."""

import json

import numpy as np
import pytest

from search.engine.vectors import VectorStore, VectorStoreError, quantise

DIMS = 16


def unit(rng, n, dims=DIMS):
    x = rng.standard_normal((n, dims)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def exact(ids, vectors, query, allowed, limit):
    """The answer by brute force in float64."""
    query = query / np.linalg.norm(query)
    scored = [
        (float(v.astype(np.float64) @ query), int(i))
        for i, v in zip(ids, vectors, strict=True)
        if allowed is None or int(i) in allowed
    ]
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [i for _, i in scored[:limit]]


@pytest.fixture(params=["float32", "int8"])
def dtype(request):
    return request.param


def make(tmp_path, dtype, **kwargs):
    return VectorStore.create(tmp_path / "gen", dims=DIMS, model="test-model", dtype=dtype,
                              **kwargs)


def test_round_trip_through_the_files(tmp_path, dtype):
    rng = np.random.default_rng(1)
    store = make(tmp_path, dtype)
    ids = [5, 3, 900, 12]
    vectors = unit(rng, 4)
    store.put(ids, vectors)
    reopened = VectorStore(tmp_path / "gen")
    assert len(reopened) == 4
    assert list(reopened.ids()) == [3, 5, 12, 900]
    tolerance = 1e-7 if dtype == "float32" else 0.01
    for item_id, vector in zip(ids, vectors, strict=True):
        np.testing.assert_allclose(reopened.get(item_id), vector, atol=tolerance)
    assert reopened.get(4) is None and 4 not in reopened and 900 in reopened
    assert reopened.missing([3, 4, 5, 6]) == [4, 6]
    assert isinstance(reopened._data, np.memmap)


def test_put_replaces_by_item_id_and_remove_forgets(tmp_path, dtype):
    rng = np.random.default_rng(2)
    store = make(tmp_path, dtype)
    first, second = unit(rng, 3), unit(rng, 2)
    store.put([1, 2, 3], first)
    store.put([2, 4], second)
    assert len(store) == 4
    tolerance = 1e-7 if dtype == "float32" else 0.01
    np.testing.assert_allclose(store.get(2), second[0], atol=tolerance)
    np.testing.assert_allclose(store.get(1), first[0], atol=tolerance)
    assert store.nearest(second[0], limit=1)[0][0] == 2
    assert store.nearest(first[1], limit=4)[0][0] != 2 or np.allclose(first[1], second[0])
    assert store.remove([2, 77]) == 1
    assert list(store.ids()) == [1, 3, 4]
    assert all(item != 2 for item, _ in store.nearest(second[0], limit=10))
    assert list(VectorStore(tmp_path / "gen").ids()) == [1, 3, 4]


def test_a_second_reader_sees_commits_after_refresh(tmp_path, dtype):
    rng = np.random.default_rng(3)
    writer = make(tmp_path, dtype)
    reader = VectorStore(tmp_path / "gen")
    writer.put([1], unit(rng, 1))
    assert len(reader) == 0
    assert reader.refresh() is True and len(reader) == 1
    assert reader.refresh() is False
    writer.remove([1])
    assert reader.refresh() is True and len(reader) == 0


@pytest.mark.parametrize("kind", ["none", "set", "mask", "few"])
def test_nearest_is_exact_under_every_filter(tmp_path, dtype, kind):
    rng = np.random.default_rng(4)
    store = make(tmp_path, dtype)
    n = 3000
    ids = rng.permutation(np.arange(1, 10 * n, 10))[:n]
    vectors = unit(rng, n)
    for start in range(0, n, 700):  # several appends
        store.put(ids[start : start + 700], vectors[start : start + 700])
    stored = np.stack([store.get(int(i)) for i in ids]) if dtype == "int8" else vectors
    for _trial in range(5):
        query = rng.standard_normal(DIMS).astype(np.float32)
        if kind == "none":
            allowed, argument = None, None
        elif kind == "set":
            allowed = {int(i) for i in ids if rng.random() < 0.3} | {999_999}
            argument = allowed
        elif kind == "mask":
            mask = np.zeros(10 * n - 3, dtype=bool)  # the largest ids fall past its end
            mask[rng.integers(0, len(mask), 2000)] = True
            argument = mask
            allowed = {int(i) for i in ids if i < len(mask) and mask[i]}
        else:
            allowed = {int(i) for i in rng.choice(ids, 7, replace=False)}
            argument = frozenset(allowed)
        got = store.nearest(query, argument, limit=25)
        assert [i for i, _ in got] == exact(ids, stored, query, allowed, 25)
        assert all(allowed is None or i in allowed for i, _ in got)
        scores = [s for _, s in got]
        assert scores == sorted(scores, reverse=True)
        if kind == "few":
            assert len(got) == 7


def test_nearest_edges(tmp_path, dtype):
    rng = np.random.default_rng(5)
    store = make(tmp_path, dtype)
    assert store.nearest(unit(rng, 1)[0]) == []
    vector = unit(rng, 1)[0]
    store.put([30, 10, 20], np.stack([vector, vector, vector]))  # a three-way tie
    assert [i for i, _ in store.nearest(vector, limit=2)] == [10, 20]
    assert store.nearest(vector, allowed=set(), limit=5) == []
    assert store.nearest(vector, allowed={4, 5}, limit=5) == []
    assert store.nearest(vector, limit=0) == []
    (item, score), *_ = store.nearest(vector * 3.0, limit=1)  # the query is normalised
    assert score == pytest.approx(1.0, abs=0.01)
    with pytest.raises(ValueError, match="dimensions"):
        store.nearest(np.ones(DIMS + 1))


def test_bad_puts_are_refused(tmp_path):
    store = make(tmp_path, "int8")
    with pytest.raises(ValueError, match="twice"):
        store.put([1, 1], np.ones((2, DIMS)))
    with pytest.raises(ValueError, match="shape"):
        store.put([1], np.ones((1, DIMS + 1)))
    with pytest.raises(ValueError, match="negative"):
        store.put([-1], np.ones((1, DIMS)))
    assert len(store) == 0


def test_another_model_or_size_is_refused(tmp_path):
    make(tmp_path, "int8")
    with pytest.raises(VectorStoreError, match="other-model"):
        VectorStore.create(tmp_path / "gen", dims=DIMS, model="other-model", dtype="int8")
    with pytest.raises(VectorStoreError):
        VectorStore.create(tmp_path / "gen", dims=DIMS, model="test-model", dtype="float32")
    with pytest.raises(VectorStoreError, match="no vector store"):
        VectorStore(tmp_path / "nowhere")


def test_bytes_past_the_commit_are_ignored_then_cut(tmp_path, dtype):
    rng = np.random.default_rng(6)
    store = make(tmp_path, dtype)
    store.put([1, 2], unit(rng, 2))
    # A writer that crashed after appending rows but before committing them.
    for path in (tmp_path / "gen").glob("vectors-0.*"):
        with open(path, "ab") as handle:
            handle.write(b"\x07" * 100)
    reader = VectorStore(tmp_path / "gen")
    assert list(reader.ids()) == [1, 2]
    store.put([3], unit(rng, 1))
    assert list(VectorStore(tmp_path / "gen").ids()) == [1, 2, 3]
    record = json.loads((tmp_path / "gen" / "vectors.json").read_text())
    assert record["rows"] == 3
    width = DIMS * (4 if dtype == "float32" else 1)
    assert (tmp_path / "gen" / "vectors-0.data").stat().st_size == 3 * width


def test_a_crash_between_append_and_mark_still_reads_the_new_row(tmp_path, dtype):
    rng = np.random.default_rng(7)
    store = make(tmp_path, dtype)
    old, new = unit(rng, 2)
    store.put([8], old[None])
    store._mark_dead = lambda *args: None  # the crash: the old row is never marked
    store.put([8], new[None])
    reader = VectorStore(tmp_path / "gen")
    assert len(reader) == 1
    np.testing.assert_allclose(reader.get(8), new, atol=0.01)
    assert [i for i, _ in reader.nearest(old, limit=5)] == [8]


def test_compaction_keeps_the_live_rows(tmp_path, dtype):
    rng = np.random.default_rng(8)
    store = make(tmp_path, dtype)
    vectors = unit(rng, 50)
    store.put(range(50), vectors)
    reader = VectorStore(tmp_path / "gen")
    store.put(range(0, 50, 2), vectors[::2])  # 25 dead rows
    store.remove(range(40, 50))
    store.compact()
    assert sorted(p.name for p in (tmp_path / "gen").glob("vectors-*")) == [
        f"vectors-1.{ext}" for ext in (["data", "ids", "scale"] if dtype == "int8" else
                                       ["data", "ids"])
    ]
    assert list(store.ids()) == list(range(40))
    # A reader that mapped the old part still answers, then moves on.
    assert len(reader.nearest(vectors[0], limit=3)) == 3
    reader.refresh()
    assert list(reader.ids()) == list(range(40))
    for item in (0, 1, 39):
        np.testing.assert_allclose(reader.get(item), vectors[item], atol=0.01)


def test_put_compacts_when_a_quarter_is_dead(tmp_path):
    rng = np.random.default_rng(9)
    store = make(tmp_path, "int8")
    vectors = unit(rng, 3000)
    store.put(range(3000), vectors)
    store.put(range(1100), vectors[:1100])
    assert store.record["part"] == 1 and store.record["rows"] == 3000


def test_quantise_keeps_the_cosine():
    rng = np.random.default_rng(10)
    vectors = unit(rng, 200, 384)
    rows, scale = quantise(vectors)
    back = rows.astype(np.float32) * scale[:, None]
    cosines = np.sum(back * vectors, axis=1) / np.linalg.norm(back, axis=1)
    assert cosines.min() > 0.9995
    assert quantise(np.zeros((1, 384)))[0].tolist() == [[0] * 384]


@pytest.mark.parametrize("target", ["float32", "int8"])
def test_a_new_generation_copies_the_vectors_it_can(tmp_path, dtype, target):
    rng = np.random.default_rng(11)
    old = VectorStore.create(tmp_path / "gen-1", dims=DIMS, model="test-model", dtype=dtype)
    vectors = unit(rng, 20)
    old.put(range(1, 21), vectors)
    old.remove([3])
    new = VectorStore.create(tmp_path / "gen-2", dims=DIMS, model="test-model", dtype=target)
    copied = new.copy_from(old, [5, 3, 1, 20, 99, 5])
    assert copied == [1, 5, 20]
    assert list(new.ids()) == [1, 5, 20]
    for item in copied:
        np.testing.assert_allclose(new.get(item), old.get(item), atol=0.01)
        if target == dtype:  # row for row, no second rounding
            np.testing.assert_array_equal(new.get(item), old.get(item))
    other = VectorStore.create(tmp_path / "gen-3", dims=DIMS, model="other-model", dtype=dtype)
    with pytest.raises(VectorStoreError, match="not test-model"):
        new.copy_from(other, [1])
