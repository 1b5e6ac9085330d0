"""The index itself: schema version, generations, writers that wait, the cached searcher."""

from __future__ import annotations

import heapq
import io
import os
import pickle
import random
import struct
import threading
import time
import tracemalloc

import pytest
from whoosh.filedb.structfile import BufferFile, StructFile

from search.engine.errors import RebuildNeeded
from search.engine.whoosh import bits as bitsets
from search.engine.whoosh import schema, scoring, snapshot, storage, writing
from search.searching import SearchRequest, run_search


@pytest.fixture
def root(settings):
    """The test's own index folder (tests/conftest.py gives each test one)."""
    return settings.SEARCH_INDEX_DIR


def add_item(writer, n: int, text: str = "knee brace") -> None:
    writer.add_document(
        id=f"t-{n}#1",
        letter_id=f"t-{n}",
        ordinal=1,
        decision_day=0,
        request=text,
        rationale=text,
        text=text,
        outcome="upheld",
        hit={"letter_id": f"t-{n}", "ordinal": 1, "outcome": "upheld"},
    )


def test_open_or_create_writes_a_pointer_and_a_schema_version(settings, root):
    generation, ix = storage.open_or_create(root)
    assert storage.current_generation(root) == generation
    assert (settings.SEARCH_INDEX_DIR / generation).is_dir()
    assert storage.schema_version_of(ix) == schema.SCHEMA_VERSION
    assert storage.open_or_create(root)[0] == generation


def test_schema_mismatch_means_rebuild_needed_not_a_crash(monkeypatch, root):
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 0)
    storage.open_or_create(root)
    monkeypatch.undo()
    with pytest.raises(RebuildNeeded, match="rebuild_index"):
        snapshot.snapshot(root)
    result = run_search(SearchRequest(q="knee"))
    assert result.total == 0
    assert "rebuild_index" in result.notice


def test_a_stale_generation_is_not_reopened_per_search_and_a_rebuild_clears_it(monkeypatch, root):
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 0)
    storage.open_or_create(root)
    monkeypatch.undo()
    opened = []
    real_open = snapshot._open_snapshot
    monkeypatch.setattr(snapshot, "_open_snapshot", lambda r: opened.append(1) or real_open(r))
    for _ in range(3):
        with pytest.raises(RebuildNeeded):
            snapshot.snapshot(root)
    assert len(opened) == 1
    writing.build_generation(root, lambda writer: add_item(writer, 1))
    assert snapshot.snapshot(root).total == 1
    assert len(opened) == 2


def test_snapshot_is_cached_and_refreshed_when_the_index_changes(root):
    with writing.live_writer(root) as writer:
        add_item(writer, 1)
    first = snapshot.snapshot(root)
    assert first.total == 1
    assert snapshot.snapshot(root) is first
    with writing.live_writer(root) as writer:
        add_item(writer, 2)
    second = snapshot.snapshot(root)
    assert second is not first and second.total == 2


def test_snapshots_are_kept_per_index_folder(tmp_path, root):
    with writing.live_writer(root) as writer:
        add_item(writer, 1)
    assert snapshot.snapshot(root).total == 1
    assert snapshot.snapshot(tmp_path / "other").total == 0


def test_a_second_writer_waits_for_the_first(root):
    storage.open_or_create(root)
    holding = threading.Event()
    errors: list[BaseException] = []

    def first_writer():
        try:
            with writing.live_writer(root) as writer:
                add_item(writer, 1)
                holding.set()
                time.sleep(0.5)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=first_writer)
    thread.start()
    holding.wait(5)
    with writing.live_writer(root) as writer:
        add_item(writer, 2)
    thread.join()
    assert not errors
    assert snapshot.snapshot(root).total == 2


def test_opening_is_retried_when_files_vanish_mid_commit(monkeypatch, root):
    storage.open_or_create(root)
    real_open = storage.index.open_dir
    failures = {"left": 2}

    def flaky(*args, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise FileNotFoundError("segment replaced")
        return real_open(*args, **kwargs)

    monkeypatch.setattr(storage.index, "open_dir", flaky)
    snapshot.forget_snapshots()
    assert snapshot.snapshot(root).total == 0
    assert failures["left"] == 0


def test_build_generation_switches_and_cleans_up_old_ones(settings, root):
    names = []
    for n in range(4):
        names.append(writing.build_generation(root, lambda writer, n=n: add_item(writer, n)))
        assert storage.current_generation(root) == names[-1]
        assert snapshot.snapshot(root).total == 1
    remaining = {p.name for p in settings.SEARCH_INDEX_DIR.glob("g-*")}
    # The live generation and the one before it (readers elsewhere may hold it open).
    assert remaining == {names[-1], names[-2]}


def _struct_file_script(f) -> list:
    """The reads Whoosh makes of a segment file, with what each gives back."""
    out = [f.read_int(), f.read_pickle(), f.tell(), f.read(3), f.get(1, 5)]
    f.seek(-4, os.SEEK_END)
    out += [f.tell(), f.read(10), f.read(10)]
    f.seek(2, os.SEEK_SET)
    f.seek(3, os.SEEK_CUR)
    out += [f.tell(), f.readline(), f.readline(), list(iter(f))]
    f.seek(4)
    out += [f.read_pickle(), f.read_pickle(), f.get_array(0, "i", 1).tolist()]
    return out


def test_files_inside_a_mapped_segment_read_as_whooshs_own_buffer_files():
    data = (
        struct.pack("!i", 7)
        + pickle.dumps((3, 90, 2.5, True, None, 12), -1)
        + pickle.dumps({"block": list(range(300))}, -1)
        + b"a line\nanother line\nlast"
    )
    ours = BufferFile(memoryview(data))
    theirs = StructFile(io.BytesIO(data))
    assert _struct_file_script(ours) == _struct_file_script(theirs)
    with pytest.raises(ValueError):
        ours.seek(-1)
    part = ours.subset(4, len(data) - 4)
    assert part.read_pickle() == (3, 90, 2.5, True, None, 12)
    part.close()
    ours.close()


def test_opening_a_compound_segment_does_not_copy_it(root):
    words = [f"word{n}" for n in range(400)]
    writing.build_generation(
        root,
        lambda writer: [
            add_item(writer, n, " ".join(words[(n * 7 + k) % 400] for k in range(60)))
            for n in range(300)
        ],
    )
    _, ix = storage.open_or_create(root)
    segment = max(ix._segments(), key=lambda s: s.doc_count_all())
    assert segment.is_compound()
    compound = segment.open_compound_file(ix.storage)
    names = compound.list()
    size = sum(compound.file_length(name) for name in names)
    assert size > 100_000
    tracemalloc.start()
    try:
        files = [compound.open_file(name) for name in names]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < size / 10  # Whoosh's BufferFile copied every file whole
    postings = next(f for f, name in zip(files, names, strict=True) if name.endswith(".pst"))
    assert postings.read(4) == compound._source[compound.range(postings._name)[0] :][:4]
    for f in files:
        f.close()
    assert snapshot.snapshot(root).total == 300


@pytest.mark.parametrize(
    ("ties", "allowed_share"), [(True, 0.7), (False, 0.7), (True, 1.0), (False, 0.02)]
)
def test_best_documents_are_nlargest_over_every_allowed_document(ties, allowed_share):
    rng = random.Random(5)
    size = 100_000
    scores = [
        rng.choice([0.0, 0.0, 1.5, 2.25, 3.0]) + (0.0 if ties else rng.random())
        for _ in range(size)
    ]
    allowed = [d for d in range(size) if rng.random() < allowed_share]
    bits, _ = bitsets.bits_from_docnums(iter(allowed), size)
    for limit in (1, 20, 60, len(allowed) + 5):
        expected = heapq.nlargest(limit, allowed, key=scores.__getitem__)
        assert scoring.best_documents(scores, bits, limit) == expected
    zeros = [0.0] * size  # every allowed document ties: the first ones, in order
    assert scoring.best_documents(zeros, bits, 20) == allowed[:20]
    assert scoring.best_documents(scores, 0, 20) == []


def test_bits_round_trip():
    docnums = [0, 1, 7, 8, 9, 100, 1023]
    bits, finished = bitsets.bits_from_docnums(iter(docnums), 1024)
    assert finished and bitsets.docnums_from_bits(bits) == docnums
    view = bitsets.BitsView(bits, 1024)
    assert len(view) == len(docnums) and 100 in view and 99 not in view and 5000 not in view
