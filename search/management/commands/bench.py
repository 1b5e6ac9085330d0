"""`python manage.py bench`: speed of parsing, ingest and search on a synthetic corpus, with peers.

    python manage.py bench --items 100000              # build (or reuse) and measure
    python manage.py bench --items 10000 --http        # add the gunicorn load test
    python manage.py bench --items 10000 --no-peers --json

Everything runs in a data folder of its own (default var/bench/items-N-seed-S/), never in the
site's database or index. The work is done by benchmarks/ in the source tree, imported only when
the command runs (search/management/benchmarks.py).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from search.management.benchmarks import import_benchmarks


class Command(BaseCommand):
    help = "Benchmark parse, ingest and search on a synthetic corpus, side by side with peers."

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=100_000,
                            help="disputed items in the corpus (default 100,000)")
        parser.add_argument("--letters", type=int, default=0,
                            help="size the corpus in letters instead of items")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--data-dir", type=Path, default=None,
                            help="benchmark folder (default var/bench/items-N-seed-S); a corpus "
                            "built there before with the same size and seed is reused")
        parser.add_argument("--rebuild", action="store_true", help="build the corpus afresh")
        parser.add_argument("--peers", default=None,
                            help="comma-separated peers to compare (default: haystack,fts5)")
        parser.add_argument("--no-peers", action="store_true")
        parser.add_argument("--rounds", type=int, default=5,
                            help="timed passes over the query set (ours and FTS5)")
        parser.add_argument("--peer-rounds", type=int, default=2,
                            help="timed passes for haystack, which is slow at large sizes")
        parser.add_argument("--add-letters", type=int, default=1000,
                            help="letters added to a copy of the built index, timed (default "
                            "1,000; 0 skips it)")
        parser.add_argument("--http", action="store_true",
                            help="also load gunicorn (2 workers, 127.0.0.1) at 20 requests/s")
        parser.add_argument("--http-seconds", type=float, default=30.0,
                            help="seconds of load per page kind (default 30)")
        parser.add_argument("--sample-letters", type=Path, nargs="?", default=None,
                            const=Path(settings.IMR_LETTERS_DIR),
                            help="also time parse and ingest of the sample letters "
                            "(default folder: IMR_LETTERS_DIR)")
        parser.add_argument(
            "--backend", default="whoosh", choices=("whoosh", "solr"),
            help="solr: also index the corpus into the SolrCloud of IMR_SOLR_URL and search it "
                 "the same way, beside Whoosh (DEPLOYMENT.md, \"Solr\")",
        )
        parser.add_argument(
            "--ranking", default="hybrid", choices=("hybrid", "words"),
            help="how the searches rank: hybrid (words and meaning fused, as the search page "
                 "does; random stand-in item vectors) or words alone (default hybrid)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
        # Used by the parent to run one measured part in a child process.
        parser.add_argument("--phase", help=argparse.SUPPRESS)
        parser.add_argument("--phase-out", type=Path, help=argparse.SUPPRESS)
        parser.add_argument("--engine", help=argparse.SUPPRESS)
        parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
        parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
        parser.add_argument("--letters-path", type=Path, help=argparse.SUPPRESS)
        parser.add_argument("--documents-path", type=Path, help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["phase"]:
            return self.run_phase(options)
        datadir, report, runner_module = import_benchmarks("datadir", "report", "runner")
        peers = runner_module.PEERS
        items, letters, seed = options["items"], options["letters"], options["seed"]
        if items <= 0 and letters <= 0:
            raise CommandError("--items or --letters must be positive")
        size_key = letters if letters else items
        data_dir = options["data_dir"] or datadir.default_data_dir(size_key, seed)
        if letters:
            data_dir = options["data_dir"] or data_dir.with_name(f"letters-{letters}-seed-{seed}")
        requested = [] if options["no_peers"] else [
            p.strip() for p in (options["peers"] or ",".join(peers)).split(",") if p.strip()
        ]
        unknown = sorted(set(requested) - set(peers))
        if unknown:
            raise CommandError(f"unknown peers: {', '.join(unknown)} (known: {', '.join(peers)})")
        runner = runner_module.Runner(
            data_dir=data_dir, items=items if not letters else 0, letters=letters, seed=seed,
            rounds=options["rounds"], peer_rounds=options["peer_rounds"],
            ranking=options["ranking"], log=lambda message: self.stderr.write(message),
        )
        results = runner.run(
            peers=runner_module.available_peers(requested),
            http=options["http"],
            rebuild=options["rebuild"],
            add_letters=options["add_letters"],
            sample_letters=options["sample_letters"],
            http_seconds=options["http_seconds"],
            backends=(options["backend"],),
        )
        if options["json"]:
            self.stdout.write(json.dumps(results, indent=2, default=str))
        else:
            self.stdout.write(report.render(results))

    def run_phase(self, options) -> None:
        datadir, phases = import_benchmarks("datadir", "phases")
        name = options["phase"]
        data_dir = Path(options["data_dir"]).resolve()
        from django.conf import settings as live

        datadir.assert_isolated(Path(live.DATA_DIR))
        if not str(Path(live.DATA_DIR).resolve()).startswith(str(data_dir)):
            raise CommandError(f"phase {name}: IMR_DATA_DIR is not inside {data_dir}")
        peers_folder = datadir.peers_dir(data_dir)
        if name == "build":
            result = phases.build(options["items"], options["letters"], options["seed"])
        elif name == "reindex":
            result = phases.reindex()
        elif name == "add":
            result = phases.add_letters(options["seed"], options["start"], options["count"])
        elif name == "build-solr":
            (solr,) = import_benchmarks("solr")
            result = solr.build()
        elif name == "build-peer":
            result = phases.build_peer(options["engine"], peers_folder)
        elif name == "search":
            result = phases.search(options["engine"], peers_folder, options["rounds"],
                                   options["ranking"])
        elif name == "peer-documents":
            result = phases.peer_documents(options["documents_path"])
        elif name == "samples":
            result = phases.sample_letters(options["letters_path"])
        else:
            raise CommandError(f"unknown phase {name}")
        Path(options["phase_out"]).write_text(json.dumps(result, default=str))
