"""The haystack peer's own process (see __init__.py for why it has one):

    python -m benchmarks.peers.haystack_whoosh build --index DIR --documents FILE --out OUT
    python -m benchmarks.peers.haystack_whoosh search --index DIR --database DB --rounds N --out OUT

`build` indexes the documents file (one JSON object a line, phases.peer_documents); `search`
times the query set of the corpus in DB (read with sqlite3). Each writes one JSON object to OUT,
with its peak memory and what the process loaded of Whoosh and of our code.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

from benchmarks import latency
from benchmarks.peers.haystack_whoosh import INDEX_ENV, SETTINGS_MODULE
from benchmarks.queries import query_set_for_database
from benchmarks.stats import peak_rss_mb, timed_build

BATCH = 1000
OUR_PACKAGE = "search"


def _say(message: str) -> None:
    print(f"  [haystack process] {message}", file=sys.stderr, flush=True)


def read_documents(path: Path) -> Iterator[list[SimpleNamespace]]:
    batch = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            batch.append(SimpleNamespace(**json.loads(line)))
            if len(batch) >= BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def facets_of_documents(path: Path) -> tuple[str, ...]:
    with open(path, encoding="utf-8") as lines:
        first = lines.readline()
    return tuple(json.loads(first)["facets"]) if first else ()


def whoosh_as_loaded() -> dict:
    """What this process runs on: our modules must be absent, so Whoosh is as shipped."""
    import whoosh.codec

    codec = whoosh.codec.default_codec
    return {
        "our_modules": sorted(
            name for name in sys.modules
            if name == OUR_PACKAGE or name.startswith(f"{OUR_PACKAGE}.")
        ),
        "default_codec": f"{codec.__module__}.{codec.__qualname__}",
    }


def build(index: Path, documents: Path) -> dict:
    from benchmarks.peers.haystack_whoosh import engine

    shutil.rmtree(index, ignore_errors=True)
    return timed_build(
        lambda: engine.build(read_documents(documents), facets_of_documents(documents)), index
    )


def search(index: Path, database: Path, rounds: int) -> dict:
    from benchmarks.peers.haystack_whoosh import engine

    queries = query_set_for_database(database)
    return latency.measure(lambda: engine.HaystackEngine(index), queries, rounds, _say,
                           "haystack")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers.haystack_whoosh")
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build")
    build_parser.add_argument("--documents", type=Path, required=True)
    search_parser = commands.add_parser("search")
    search_parser.add_argument("--database", type=Path, required=True)
    search_parser.add_argument("--rounds", type=int, default=2)
    for sub in (build_parser, search_parser):
        sub.add_argument("--index", type=Path, required=True)
        sub.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args(argv)

    index = arguments.index.resolve()
    os.environ[INDEX_ENV] = str(index)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()
    if arguments.command == "build":
        result = build(index, arguments.documents)
    else:
        result = search(index, arguments.database, arguments.rounds)
    result["whoosh"] = whoosh_as_loaded()
    if result["whoosh"]["our_modules"]:
        _say(f"our code was loaded, so Whoosh may be patched: {result['whoosh']['our_modules']}")
        return 1
    result["peak_rss_mb"] = peak_rss_mb()
    arguments.out.write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
