"""Where an index lives on disk: generations, the pointer to the live one, and their locks.

Layout under the index folder (the backend's `path`; nothing here reads Django settings):

    CURRENT          names the live generation; replaced atomically with os.replace
    g-<stamp>/       one complete Whoosh index per generation

A rebuild fills a new generation beside the live one and then switches CURRENT, so searches keep
answering throughout; generations older than the previous one are removed afterwards (the
previous one is kept for readers in other processes that still have it open).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from whoosh import index
from whoosh.index import EmptyIndexError

from search.engine.errors import RebuildNeeded
from search.engine.whoosh import patches, schema

POINTER_NAME = "CURRENT"
OPEN_RETRIES = 8
SCHEMA_MARKER_ID = "__schema__"


def add_schema_marker(writer) -> None:
    """The document that carries SCHEMA_VERSION in its stored `hit` field."""
    writer.add_document(id=SCHEMA_MARKER_ID, hit={"schema_version": schema.SCHEMA_VERSION})


def _pointer_path(root: Path) -> Path:
    return root / POINTER_NAME


def current_generation(root: Path) -> str | None:
    try:
        name = _pointer_path(root).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def write_pointer(root: Path, generation: str) -> None:
    tmp = root / f".{POINTER_NAME}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(generation, encoding="utf-8")
    os.replace(tmp, _pointer_path(root))


def new_generation_name() -> str:
    return f"g-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def root_lock(root: Path) -> Iterator[None]:
    """Serialises creating and switching generations across processes."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".generation.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def create_generation(root: Path) -> tuple[str, index.Index]:
    name = new_generation_name()
    path = root / name
    path.mkdir(parents=True)
    ix = index.create_in(str(path), schema.build_schema())
    # The version travels inside the index, so a stale folder can be recognised on open.
    with ix.writer() as writer:
        add_schema_marker(writer)
    return name, ix


def open_or_create(root: Path) -> tuple[str, index.Index]:
    """The live generation in the index folder `root`, creating an empty index on first use."""
    patches.install()
    generation = current_generation(root)
    if generation and (root / generation).is_dir():
        return generation, open_with_retry(root / generation)
    with root_lock(root):
        generation = current_generation(root)
        if generation and (root / generation).is_dir():
            return generation, open_with_retry(root / generation)
        generation, ix = create_generation(root)
        write_pointer(root, generation)
        return generation, ix


def open_with_retry(path: Path) -> index.Index:
    patches.install()
    for attempt in range(OPEN_RETRIES):
        try:
            return index.open_dir(str(path))
        except (FileNotFoundError, EmptyIndexError):
            # A writer was replacing the table of contents; the next attempt sees the new one.
            if attempt == OPEN_RETRIES - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


def schema_version_of(ix: index.Index) -> int | None:
    with ix.searcher() as searcher:
        docnum = searcher.document_number(id=SCHEMA_MARKER_ID)
        if docnum is None:
            return None
        return (searcher.stored_fields(docnum).get("hit") or {}).get("schema_version")


def check_schema(ix: index.Index) -> None:
    version = schema_version_of(ix)
    if version != schema.SCHEMA_VERSION:
        raise RebuildNeeded(
            f"the search index was built with schema version {version}, this code needs "
            f"{schema.SCHEMA_VERSION}: run `python manage.py rebuild_index`"
        )

def cleanup_generations(root: Path) -> list[str]:
    """Remove generations other than the live one and the one just before it.

    The previous generation stays because a reader in another process may still hold it open;
    it goes at the next switch. Leftover temporary pointer files from killed processes go too.
    Whoosh's write locks are fcntl locks: the kernel releases them when a writer dies, so a lock
    file left behind never blocks anyone.
    """
    live = current_generation(root)
    generations = sorted(
        (p for p in root.glob("g-*") if p.is_dir()), key=lambda p: p.stat().st_mtime
    )
    keep = {live}
    others = [p for p in generations if p.name != live]
    if others:
        keep.add(others[-1].name)
    removed = []
    for path in generations:
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    for tmp in root.glob(f".{POINTER_NAME}.*.tmp"):
        if time.time() - tmp.stat().st_mtime > 60:
            tmp.unlink(missing_ok=True)
    return removed

def live_document_count(root: Path) -> int | None:
    """Items in the live generation (the schema marker aside), from its table of contents alone;
    None without an index. (Whoosh's doc_count() opens a reader, which at 100,000 items briefly
    takes some 400 MB.)"""
    generation = current_generation(root)
    if not generation or not (root / generation).is_dir():
        return None
    try:
        ix = open_with_retry(root / generation)
        return sum(segment.doc_count() for segment in ix._segments()) - 1
    except (OSError, EmptyIndexError):
        return None
