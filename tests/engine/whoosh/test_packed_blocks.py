"""search.engine.whoosh.packed_blocks: posting blocks of packed arrays, and blocks written in
Whoosh's own format read the same."""

from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh import fields as whoosh_fields
from whoosh import index as whoosh_index
from whoosh.codec import whoosh3

from search.engine.whoosh import packed_blocks, patches
from search.engine.whoosh.evaluation import decoded_postings

SCHEMA = whoosh_fields.Schema(text=whoosh_fields.TEXT, tag=whoosh_fields.KEYWORD)


def _documents(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    documents = []
    for n in range(count):
        words = ["knee"] * rng.randint(1, 4)  # weights vary: packed weights
        if n % 3 == 0:
            words.append("brace")  # every third document: gaps between ids
        if n % 97 == 0:
            words.append("rare")  # a small list: Whoosh's tuples
        documents.append({"text": " ".join(words), "tag": "all"})  # one weight: no weights kept
    return documents


def _build(folder, documents, *, whoosh_blocks: bool, monkeypatch) -> None:
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), SCHEMA)
    with monkeypatch.context() as m:
        if whoosh_blocks:  # the block format of indexes written before packed blocks
            m.setattr(whoosh3.W3PostingsWriter, "_mini_ids",
                      patches.ORIGINALS["W3PostingsWriter._mini_ids"])
            m.setattr(whoosh3.W3PostingsWriter, "_mini_weights",
                      patches.ORIGINALS["W3PostingsWriter._mini_weights"])
        with ix.writer() as writer:
            for document in documents:
                writer.add_document(**document)


def _expected(documents, word: str) -> tuple[list[int], list[float]]:
    ids, weights = [], []
    for docnum, document in enumerate(documents):
        count = document["text"].split().count(word)
        if count:
            ids.append(docnum)
            weights.append(float(count))
    return ids, weights


def _stored_blocks(reader, fieldname: str, word: str) -> list:
    matcher = reader.postings(fieldname, word)
    blocks = []
    while matcher.is_active():
        matcher._read_data()
        blocks.append(matcher._data)
        matcher._next_block()
    return blocks


@pytest.mark.parametrize("whoosh_blocks", [False, True], ids=["packed", "whoosh-tuples"])
def test_postings_read_back_exactly_whatever_the_block_format(tmp_path, monkeypatch, whoosh_blocks):
    documents = _documents(1500)
    _build(tmp_path / "ix", documents, whoosh_blocks=whoosh_blocks, monkeypatch=monkeypatch)
    ix = whoosh_index.open_dir(str(tmp_path / "ix"))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for word in ("knee", "brace", "rare"):
            ids, weights = _expected(documents, word)
            matcher = reader.postings("text", word)  # Whoosh's own matcher API
            got_ids, got_weights = [], []
            while matcher.is_active():
                got_ids.append(matcher.id())
                got_weights.append(matcher.weight())
                matcher.next()
            assert got_ids == ids
            assert got_weights == weights
            assert all(type(docnum) is int for docnum in got_ids)  # merges assert int ids
            array_ids, array_weights = decoded_postings(reader.postings("text", word))
            assert array_ids.tolist() == ids
            assert array_weights.tolist() == weights
        tag_ids, tag_weights = decoded_postings(reader.postings("tag", "all"))
        assert tag_ids.tolist() == list(range(len(documents)))
        assert set(tag_weights.tolist()) == {1.0}
        # Which format the blocks were written in: packed only where a block is large.
        knee_blocks = _stored_blocks(reader, "text", "knee")
        rare_blocks = _stored_blocks(reader, "text", "rare")
        assert all(type(block[0]) is tuple for block in rare_blocks)
        assert all(type(block[0]) is (tuple if whoosh_blocks else bytes) for block in knee_blocks)
        assert all(type(block[1]) is (tuple if whoosh_blocks else bytes) for block in knee_blocks)


def test_scores_are_the_same_as_over_whoosh_blocks(tmp_path, monkeypatch):
    documents = _documents(1200, seed=11)
    _build(tmp_path / "packed", documents, whoosh_blocks=False, monkeypatch=monkeypatch)
    _build(tmp_path / "tuples", documents, whoosh_blocks=True, monkeypatch=monkeypatch)
    from whoosh.qparser import QueryParser

    def ranked(folder):
        ix = whoosh_index.open_dir(str(folder))
        with ix.searcher() as searcher:
            query = QueryParser("text", SCHEMA).parse("knee OR brace")
            return [(hit.docnum, round(hit.score, 6)) for hit in searcher.search(query, limit=50)]

    assert ranked(tmp_path / "packed") == ranked(tmp_path / "tuples")


def test_merging_segments_of_both_formats_keeps_every_posting(tmp_path, monkeypatch):
    documents = _documents(900, seed=3)
    folder = tmp_path / "ix"
    _build(folder, documents[:600], whoosh_blocks=True, monkeypatch=monkeypatch)
    ix = whoosh_index.open_dir(str(folder))
    with ix.writer() as writer:
        for document in documents[600:]:
            writer.add_document(**document)
    writer = ix.writer()
    writer.delete_by_term("text", "rare")
    writer.commit(optimize=True)  # one segment: the old blocks are read and written packed
    ix = whoosh_index.open_dir(str(folder))
    kept = [d for d in documents if "rare" not in d["text"].split()]
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert len(list(reader.leaf_readers())) == 1
        ids, weights = decoded_postings(reader.postings("text", "knee"))
        assert ids.tolist() == list(range(len(kept)))
        assert weights.tolist() == [float(d["text"].split().count("knee")) for d in kept]
        assert all(type(block[0]) is bytes for block in _stored_blocks(reader, "text", "knee"))


def test_block_arrays_from_both_formats():
    deltas = [5, 1, 2, 10]
    packed = np.asarray(deltas, dtype="<u4").tobytes()
    assert packed_blocks.block_ids(packed).tolist() == [5, 6, 8, 18]
    assert packed_blocks.block_ids(tuple(deltas)).tolist() == [5, 6, 8, 18]
    assert packed_blocks.block_weights(None, 3).tolist() == [1.0, 1.0, 1.0]
    assert packed_blocks.block_weights(2.0, 2).tolist() == [2.0, 2.0]
    assert packed_blocks.block_weights(np.asarray([1.5, 3.0], "<f4").tobytes(), 2).tolist() == [
        1.5,
        3.0,
    ]
    assert packed_blocks.block_weights((1.5, 3.0), 2).tolist() == [1.5, 3.0]
