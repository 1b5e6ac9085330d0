"""search.engine.whoosh.segment_writer: the posting pool and segment writer that replace
Whoosh's own, and the patches that put them in place."""

from __future__ import annotations

import pytest

from search import indexing
from search.engine.whoosh import patches, schema
from search.engine.whoosh import segment_writer as whoosh_writer
from search.engine.whoosh.documents import prepared
from search.models import Letter
from tests.search_support import store_synthetic

pytestmark = pytest.mark.django_db


def _postings(count_docs: int, seed: int) -> list[tuple]:
    import random

    rng = random.Random(seed)
    items = []
    for docnum in range(count_docs):
        for term in rng.sample(range(60), 12):
            field = rng.choice(["a", "text"])
            items.append((field, f"t{term}".encode(), docnum, float(rng.randint(1, 3)), b"v"))
    return items


@pytest.mark.parametrize(
    ("limit", "chunk", "max_open", "shuffle"),
    [
        (10**9, 50_000, 64, False),  # all in memory
        (97, 13, 64, False),  # many runs, each of several chunks
        (97, 13, 3, False),  # more runs than may be open: reduced first
        (97, 13, 3, True),  # postings out of document order
    ],
)
def test_term_pool_gives_postings_in_order(tmp_path, monkeypatch, limit, chunk, max_open, shuffle):
    import random

    from whoosh.filedb.filestore import FileStorage

    monkeypatch.setattr(whoosh_writer, "RUN_CHUNK_ITEMS", chunk)
    monkeypatch.setattr(whoosh_writer, "RUN_MAX_OPEN", max_open)
    items = _postings(400, seed=1)
    added = list(items)
    if shuffle:
        random.Random(2).shuffle(added)
    storage = FileStorage(str(tmp_path)).create()
    pool = whoosh_writer.TermPool(storage, None, limitmb=1)
    pool.limit = limit
    for item in added:
        pool.add(item)
    assert bool(pool.runs) == (limit < 10**9)  # spilled to runs on disk, or not
    assert list(pool.iter_postings()) == sorted(items)
    assert pool.fieldnames == {"a", "text"}
    assert list(tmp_path.iterdir()) == []  # every run file was removed once read


def test_term_pool_reduces_to_one_run_for_whooshs_parallel_writer(tmp_path, monkeypatch):
    from whoosh.filedb.filestore import FileStorage

    monkeypatch.setattr(whoosh_writer, "RUN_CHUNK_ITEMS", 7)
    items = _postings(300, seed=3)
    pool = whoosh_writer.TermPool(FileStorage(str(tmp_path)).create(), None, limitmb=1)
    pool.limit = 41
    for item in items:
        pool.add(item)
    # What whoosh.multiproc.finish_subsegment does; the parent then reads the run.
    pool.save()
    pool.reduce_to(1, 4)
    assert len(pool.runs) == 1
    assert list(pool._read_run(pool.runs[0])) == sorted(items)


def _segment_files(path) -> dict[str, bytes]:
    files = [f for f in path.iterdir() if f.suffix in (".trm", ".pst")]
    assert len(files) == 2, files
    return {f.suffix: f.read_bytes() for f in files}


@pytest.mark.parametrize(
    ("limitmb", "merged", "block"),
    [
        (256, False, None),
        (1, False, None),
        (256, True, None),
        (256, False, 3),  # most terms in several blocks, some filling their last one exactly
    ],
)
def test_our_writer_patches_write_the_same_segment_as_whoosh(
    tmp_path, monkeypatch, limitmb, merged, block
):
    from whoosh import fields as whoosh_fields
    from whoosh import index as whoosh_index
    from whoosh import writing as whoosh_writing
    from whoosh.filedb import filetables

    if block is not None:
        monkeypatch.setattr(whoosh_writer, "POSTING_BLOCK", block)
    store_synthetic(60)
    rows = list(Letter.objects.order_by("id").values(*indexing._LETTER_FIELDS))
    documents = [prepared(d) for d in indexing.documents_for_letters(rows)]

    def build(folder):
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), schema.build_schema())
        if merged:  # two segments, one letter deleted, merged into one (postings renumbered)
            for part in (documents[:70], documents[70:]):
                with ix.writer(compound=False) as writer:
                    for document in part:
                        writer.add_document(**document)
            writer = ix.writer(compound=False)
            writer.delete_by_term("letter_id", rows[3]["public_id"])
            writer.commit(optimize=True)
            return _segment_files(folder)
        writer = ix.writer(limitmb=limitmb, compound=False)  # 1 MB: runs on disk
        for document in documents:
            writer.add_document(**document)
        writer.commit()
        return _segment_files(folder)

    ours = build(tmp_path / "ours")
    with monkeypatch.context() as whoosh_own:
        whoosh_own.setattr(whoosh_writing, "PostingPool", patches.ORIGINALS["PostingPool"])
        whoosh_own.setattr(
            whoosh_writing.SegmentWriter,
            "_flush_segment",
            patches.ORIGINALS["SegmentWriter._flush_segment"],
        )
        whoosh_own.setattr(
            whoosh_writing.SegmentWriter,
            "add_document",
            patches.ORIGINALS["SegmentWriter.add_document"],
        )
        whoosh_own.setattr(whoosh_fields.FieldType, "index", patches.ORIGINALS["FieldType.index"])
        whoosh_own.setattr(
            filetables.HashWriter, "_write_hashes", patches.ORIGINALS["HashWriter._write_hashes"]
        )
        theirs = build(tmp_path / "theirs")
    assert set(ours) == {".trm", ".pst"}
    assert ours == theirs


def test_segments_are_written_with_larger_posting_blocks(tmp_path):
    from whoosh import fields as whoosh_fields
    from whoosh import index as whoosh_index

    ix = whoosh_index.create_in(str(tmp_path), whoosh_fields.Schema(text=whoosh_fields.TEXT))
    with ix.writer() as writer:
        for n in range(whoosh_writer.POSTING_BLOCK + 100):
            writer.add_document(text=f"knee brace{n % 7}")
    with ix.searcher() as searcher:
        matcher = searcher.reader().postings("text", "knee")
        sizes = []
        while matcher.is_active():
            sizes.append(matcher._blocklength)
            matcher._next_block()
        assert sizes == [whoosh_writer.POSTING_BLOCK, 100]
        everything = list(range(whoosh_writer.POSTING_BLOCK + 100))
        assert list(searcher.reader().postings("text", "knee").all_ids()) == everything


def test_importing_the_engine_patches_nothing_and_install_patches_once():
    import subprocess
    import sys

    script = """
import whoosh.codec
from whoosh import fields, writing
from whoosh.filedb.structfile import BufferFile
before = (BufferFile.__init__, writing.PostingPool, fields.FieldType.index,
          whoosh.codec.default_codec)
import search.engine.whoosh.snapshot, search.engine.whoosh.writing, search.engine.query
from search.engine.whoosh import patches
after = (BufferFile.__init__, writing.PostingPool, fields.FieldType.index,
         whoosh.codec.default_codec)
assert before == after, "importing an engine module patched Whoosh"
assert not patches.is_installed()
patches.install()
once = (BufferFile.__init__, writing.PostingPool, fields.FieldType.index)
patches.install()
assert once == (BufferFile.__init__, writing.PostingPool, fields.FieldType.index)
assert writing.PostingPool is patches.segment_writer.TermPool
assert BufferFile.__init__ is not before[0]
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_django_installs_the_patches_at_startup():
    from whoosh import writing as whoosh_writing

    assert patches.is_installed()
    assert whoosh_writing.PostingPool is whoosh_writer.TermPool


def test_another_whoosh_version_is_refused(monkeypatch):
    monkeypatch.setattr(patches, "installed_whoosh_version", lambda: "2.7.4")
    with pytest.raises(patches.WhooshVersionError, match="2.7.5"):
        patches.check_version()
