"""Fill a benchmark data folder with synthetic letters through the real ingest path.

Letters go through `parse_letter` and a `LetterBatch` (batches of letters in one transaction, a
savepoint each), exactly as the ingest command stores them, and the index is brought up to date
once at the end (one commit per ingest run), so the measured speed is the product's speed, not a
benchmark-only shortcut.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.management import call_command

CHUNK = 500  # letters generated at a time: bounds memory without slowing generation


def prepare_database() -> None:
    call_command("migrate", verbosity=0, interactive=False)


def ingest_synthetic(
    *,
    seed: int,
    start: int,
    max_letters: int | None = None,
    min_items: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Parse and store letters `start`, `start + 1`, ... until either bound is reached, then sync.

    Returns the counts and the seconds spent parsing, storing (database) and indexing.
    """
    from search.ingest import IngestReport, LetterBatch, sync_index
    from search.letters.parser import parse_letter
    from search.letters.synthetic import generate_letters

    letters = items = 0
    parse_seconds = store_seconds = 0.0
    wall_start = time.perf_counter()
    next_index = start
    last_report = wall_start
    report = IngestReport()
    store = LetterBatch(report)
    while True:
        if max_letters is not None and letters >= max_letters:
            break
        if min_items is not None and items >= min_items:
            break
        count = CHUNK if max_letters is None else min(CHUNK, max_letters - letters)
        for synthetic in generate_letters(count, seed=seed, start=next_index):
            t0 = time.perf_counter()
            parsed = parse_letter(synthetic.text)
            t1 = time.perf_counter()
            store.add(f"synthetic-{start + letters}", parsed, synthetic.text, "synthetic")
            t2 = time.perf_counter()
            parse_seconds += t1 - t0
            store_seconds += t2 - t1
            letters += 1
            items += len(parsed.items)
            if min_items is not None and items >= min_items:
                break
        next_index = start + letters
        now = time.perf_counter()
        if progress and now - last_report > 15:
            progress(f"stored {letters:,} letters ({items:,} items)")
            last_report = now
    t0 = time.perf_counter()
    store.flush()
    store_seconds += time.perf_counter() - t0
    if report.rejected:
        raise RuntimeError(f"synthetic letters were rejected: {report.rejected[:3]}")
    t_index = time.perf_counter()
    if progress:
        progress(f"stored {letters:,} letters ({items:,} items); indexing")
    indexed = sync_index()
    index_seconds = time.perf_counter() - t_index
    return {
        "start": start,
        "letters": letters,
        "items": items,
        "indexed": indexed,
        "parse_seconds": parse_seconds,
        "store_seconds": store_seconds,
        "index_seconds": index_seconds,
        "wall_seconds": time.perf_counter() - wall_start,
    }


def parse_only(texts: list[str], repeat: int = 1) -> dict:
    """Parse speed alone: letters a second over `texts`, read before the clock starts."""
    from search.letters.parser import parse_letter

    start = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            parse_letter(text)
    seconds = time.perf_counter() - start
    letters = len(texts) * repeat
    return {"letters": letters, "seconds": seconds, "letters_per_second": letters / seconds}
