"""The measured parts, each run in its own child process (`bench --phase NAME`).

A phase reads its inputs from the command line, writes one JSON object to `--phase-out`, and
reports its own peak memory. Its settings already point at the benchmark's folder (the parent set
IMR_DATA_DIR); `datadir.assert_isolated` checks that before anything is opened.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks import corpus, latency, queries
from benchmarks.stats import folder_size_mb, peak_rss_mb, summarize_ms, timed_build, timed_ms

# The haystack peer is built and searched in a process of its own (benchmarks/peers/
# haystack_whoosh/), from the documents `peer_documents` writes: only FTS5 is built here.
PEER_FILES = {"fts5": "fts5.sqlite3", "haystack": "haystack"}


_STARTED = time.perf_counter()


def _say(message: str) -> None:
    elapsed = time.perf_counter() - _STARTED
    print(f"  [{elapsed:7.1f} s] {message}", file=sys.stderr, flush=True)


def _index_size_mb() -> float:
    """The live generation only: a rebuild keeps the previous one for readers still on it."""
    from search.backends import index_dir
    from search.engine.whoosh import storage

    root = index_dir()
    generation = storage.current_generation(root)
    return folder_size_mb(root / generation if generation else root)


def _database_size_mb() -> float:
    from django.conf import settings

    name = Path(str(settings.DATABASES["default"]["NAME"]))
    return sum(folder_size_mb(p) for p in name.parent.glob(name.name + "*"))


def build(items: int, letters: int, seed: int) -> dict:
    """A fresh corpus of `letters` letters, else at least `items` items, through real ingest."""
    corpus.prepare_database()
    stats = corpus.ingest_synthetic(
        seed=seed, start=0, max_letters=letters or None, min_items=None if letters else items,
        progress=_say,
    )
    stats["index_mb"] = _index_size_mb()
    stats["database_mb"] = _database_size_mb()
    stats["peak_rss_mb"] = peak_rss_mb()
    stats["index_writer_peak_rss_mb"] = _children_peak_rss_mb()
    stats["schema_version"] = _schema_version()
    stats["index_path"] = "sync"
    return stats


def _children_peak_rss_mb() -> float:
    """The largest finished child's peak memory: the index writer processes of a large sync."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def _schema_version() -> int:
    from search.engine.whoosh import schema

    return schema.SCHEMA_VERSION


def reindex() -> dict:
    """Index a stored corpus again with the current code (`rebuild_index`), timed."""
    from search.indexing import rebuild_index

    corpus.prepare_database()
    start = time.perf_counter()
    indexed = rebuild_index()
    return {
        "index_seconds": time.perf_counter() - start,
        "indexed": indexed,
        "index_mb": _index_size_mb(),
        "schema_version": _schema_version(),
        "index_path": "rebuild_index",
        "index_peak_rss_mb": peak_rss_mb(),
    }


def add_letters(seed: int, start: int, count: int) -> dict:
    """Add `count` new letters to an existing corpus (a scratch copy of it)."""
    from search.backends import index_dir
    from search.engine.errors import IndexUnavailable
    from search.engine.whoosh import storage
    from search.models import Determination

    items_before = Determination.objects.count()
    try:
        storage.check_schema(storage.open_or_create(index_dir())[1])
    except IndexUnavailable as exc:
        # The code's index schema moved on since the corpus was indexed: say so, not a crash.
        return {"error": str(exc), "letters": count, "items_before": items_before}
    stats = corpus.ingest_synthetic(seed=seed, start=start, max_letters=count, progress=_say)
    stats["items_before"] = items_before
    stats["peak_rss_mb"] = peak_rss_mb()
    stats["index_writer_peak_rss_mb"] = _children_peak_rss_mb()
    return stats


def build_peer(engine: str, peers_folder: Path) -> dict:
    from benchmarks.documents import iter_documents
    from benchmarks.peers import fts5

    if engine != "fts5":
        raise ValueError(f"{engine} is not built in this process")
    peers_folder.mkdir(parents=True, exist_ok=True)
    target = peers_folder / PEER_FILES[engine]
    built = timed_build(lambda: fts5.build(target, iter_documents()), target)
    return {**built, "peak_rss_mb": peak_rss_mb()}


def peer_documents(path: Path) -> dict:
    """Every item as the peers index it, one JSON object a line, for a peer that runs in a
    process without our code (haystack): the same documents the FTS5 peer reads directly."""
    from dataclasses import asdict

    from benchmarks.documents import iter_documents

    start = time.perf_counter()
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for batch in iter_documents():
            for document in batch:
                out.write(json.dumps(asdict(document), default=str) + "\n")
                count += 1
    return {"items": count, "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def _open_engine(engine: str, peers_folder: Path, ranking: str = "hybrid"):
    if engine == "ours":
        from benchmarks.ours import OurEngine

        return OurEngine(ranking=ranking)
    if engine == "fts5":
        from benchmarks.peers.fts5 import Fts5Engine

        return Fts5Engine(peers_folder / PEER_FILES["fts5"])
    raise ValueError(f"{engine} is not searched in this process")


def query_set() -> list[queries.BenchQuery]:
    from django.conf import settings

    return queries.query_set_for_database(Path(str(settings.DATABASES["default"]["NAME"])))


def stand_in_vectors(seed: int = 0) -> dict:
    """Give every item of the live generation without a vector a random unit vector, so that
    search ranks by meaning as it will once the catch-up job has embedded the corpus.

    Embedding 100,000 synthetic items takes hours of CPU (docs/embedding.md); what a search
    costs does not depend on what the vectors hold (a scan of every matching row, the same
    fusion), and the query's vector is computed by the real model on every search. The report
    says how many were stand-ins."""
    import numpy as np

    from search.backends import get_backend
    from search.engine import semantic
    from search.engine.whoosh.bits import mask_from_bits

    backend = get_backend()
    rng = np.random.default_rng(seed)
    if not hasattr(backend, "snapshot"):
        return _solr_stand_in_vectors(backend, rng)
    snap = backend.snapshot()
    store = semantic.open_store(snap.folder, create=True)
    keys = snap.meaning.document_keys()
    live = keys[mask_from_bits(snap.live_bits, snap.size) & (keys >= 0)]
    missing = np.array(store.missing(live.tolist()), dtype=np.int64)
    for start in range(0, len(missing), 20_000):
        batch = missing[start : start + 20_000]
        store.put(batch, _random_unit_vectors(rng, len(batch)))
    return {"items": int(len(live)), "stand_ins": int(len(missing))}


def _random_unit_vectors(rng, count: int):
    from search.engine import embedding

    vectors = rng.standard_normal((count, embedding.DIMENSIONS)).astype("float32")
    vectors /= (vectors**2).sum(axis=1, keepdims=True) ** 0.5
    return vectors


def _solr_stand_in_vectors(backend, rng) -> dict:
    """stand_in_vectors for the Solr backend: set in its collection's vector field."""
    from search.engine.solr import meaning

    collection = backend.generation()
    missing = f"-{meaning.HAS_VECTOR}"
    put, cursor = 0, "*"
    while True:
        answer = backend.client.post_json(
            f"{collection}/select",
            {"query": missing, "fields": "id", "sort": "id asc", "limit": 500,
             "params": {"cursorMark": cursor}},
            timeout=300,
        )
        ids = [doc["id"] for doc in answer["response"]["docs"]]
        if not ids:
            break
        vectors = _random_unit_vectors(rng, len(ids))
        backend.client.post_json(
            f"{collection}/update",
            [meaning.vector_update(i, v) for i, v in zip(ids, vectors, strict=True)],
            timeout=600,
        )
        put += len(ids)
        cursor = answer["nextCursorMark"]
    backend.client.post_json(f"{collection}/update", {"commit": {}}, timeout=600)
    return {"items": backend.vector_coverage()[1], "stand_ins": put}


def search(engine: str, peers_folder: Path, rounds: int, ranking: str = "hybrid") -> dict:
    """Latency over the mixed set (benchmarks/latency.py); ours also with its result cache.
    `ranking` "words" leaves ranking by meaning out, and with it the stand-in vectors."""
    vectors = stand_in_vectors() if engine == "ours" and ranking == "hybrid" else None
    query_list = query_set()
    result = latency.measure(
        lambda: _open_engine(engine, peers_folder, ranking), query_list, rounds, _say, engine
    )
    if engine == "ours":
        # The same queries again with our result cache on: what a user paging or re-sorting gets.
        from benchmarks.ours import OurEngine

        cached = OurEngine(cache_results=True, ranking=ranking)
        cached_samples = []
        for query in query_list:
            cached.search(query)
            ms, _ = timed_ms(lambda q=query: cached.search(q))
            cached_samples.append(ms)
        result["cached_latency"] = summarize_ms(cached_samples)
        result["vectors"] = vectors
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def sample_letters(letters_dir: Path) -> dict:
    """The sample letters: extraction, parse and end-to-end ingest speed (issue 2), and real PDFs
    end to end against pypdf's extraction alone over the same files, in the same run (issue 13)."""
    from search.ingest import ingest_paths
    from search.ingest_speed import pdf_speed
    from search.letters.extract import extract_letter_text

    corpus.prepare_database()
    folders = [letters_dir / name for name in ("seeds", "pdf") if (letters_dir / name).is_dir()]
    paths = sorted(
        p for folder in folders for p in folder.iterdir() if p.suffix in (".txt", ".pdf")
    )
    raw = [(p, p.read_bytes()) for p in paths]
    start = time.perf_counter()
    texts = [extract_letter_text(data, str(p)) for p, data in raw]
    extract_seconds = time.perf_counter() - start
    parse = corpus.parse_only(texts, repeat=5)
    # Real PDFs alone first, into the empty database, as a bulk ingest of posted letters runs.
    pdf_folders = [folder for folder in folders if folder.name == "pdf"]
    start = time.perf_counter()
    pdf_report = ingest_paths(pdf_folders)
    pdf_seconds = time.perf_counter() - start
    real_pdfs = pdf_speed(pdf_report, pdf_seconds).as_json()  # pypdf over every one of them
    start = time.perf_counter()
    report = ingest_paths(folders)
    ingest_seconds = time.perf_counter() - start
    return {
        "letters": len(paths),
        "pdf": sum(1 for p in paths if p.suffix == ".pdf"),
        "text": sum(1 for p in paths if p.suffix == ".txt"),
        "extract_seconds": extract_seconds,
        "extract_per_second": len(paths) / extract_seconds,
        "parse_per_second": parse["letters_per_second"],
        "real_pdfs": real_pdfs,
        # The rest of the sample (the text seeds; the PDFs are unchanged by now), as before.
        "ingest_seconds": ingest_seconds,
        "ingest_per_second": len(paths) / ingest_seconds,
        "ingested": pdf_report.ingested + report.ingested,
        "rejected": len(report.rejected),
        "items_indexed": pdf_report.indexed + report.indexed,
        "peak_rss_mb": peak_rss_mb(),
    }
