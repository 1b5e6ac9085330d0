"""`python manage.py loadtest`: the site under gunicorn, loaded with a realistic and hostile mix.

    python manage.py loadtest                          # 100,000 items, 5 minutes at 20/s
    python manage.py loadtest --items 10000 --seconds 30
    python manage.py loadtest --items 10000 --seconds 30 --json

The corpus is a benchmark folder (default var/bench/items-N-seed-S/, built like `manage.py bench`
builds it when missing, reused otherwise); gunicorn runs with IMR_DATA_DIR inside it, so the
site's own database and index are never opened. The load comes from a separate process. Exit
code 0 when nothing failed, 1 on any error, 2 when gunicorn could not start. The work is done
by benchmarks/ in the source tree, imported only when the command runs; see BENCHMARKS.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from search.management.benchmarks import import_benchmarks


class Command(BaseCommand):
    help = (
        "Load gunicorn with searches, facet clicks, letter pages, the API, feed, CSV and hostile "
        "input at a fixed rate from a separate process; print throughput, latency per kind, "
        "errors and memory per worker. Exit 1 on any error."
    )

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=100_000,
                            help="disputed items in the benchmark corpus (default 100,000)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--data-dir", type=Path, default=None,
                            help="benchmark folder (default var/bench/items-N-seed-S, shared "
                            "with `manage.py bench`); built there when missing")
        parser.add_argument("--rebuild", action="store_true",
                            help="allow replacing a folder that holds no finished corpus of "
                            "this size and seed (a failed build, or another corpus)")
        parser.add_argument(
            "--workers", type=int, default=3,
            help="gunicorn sync workers (default 3). Searches are CPU-bound Python, so on this "
            "2-core machine one worker more than cores keeps both cores busy while a worker "
            "waits on SQLite, the disk or a slow client; gunicorn's 2 x cores + 1 (5) would "
            "only add contention and memory (each worker holds its own index searcher and "
            "caches, about 1 GB at 100,000 items)",
        )
        parser.add_argument("--seconds", type=float, default=300.0,
                            help="length of the timed run (default 300)")
        parser.add_argument("--rate", type=float, default=20.0,
                            help="requests a second, open loop: sent on schedule whether or not "
                            "earlier ones were answered (default 20)")
        parser.add_argument("--timeout", type=float, default=15.0,
                            help="client timeout per request, seconds (default 15)")
        parser.add_argument("--worker-timeout", type=int, default=30,
                            help="gunicorn --timeout (default 30, as in DEPLOYMENT.md): a worker "
                            "busy longer than this is killed and its request fails")
        parser.add_argument(
            "--limit-request-line", type=int, default=None,
            help="gunicorn --limit-request-line (default 0, no limit). gunicorn's default 4094 "
            "refuses a search carrying a 10,000-character query with 414, and it clamps any "
            "value above 8190 to 8190, so 0 is the only setting that admits it. With a limit, "
            "longer hostile URLs are expected to get that 414",
        )
        parser.add_argument("--max-in-flight", type=int, default=None,
                            help="most requests waiting at once before the client counts "
                            "further ones as not sent (default: 2 seconds of requests, at "
                            "least 40)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")

    def handle(self, *args, **options):
        datadir, server, report = import_benchmarks(
            "datadir", "loadtest.server", "loadtest.report"
        )
        items, seed = options["items"], options["seed"]
        if items <= 0:
            raise CommandError("--items must be positive")
        if options["rate"] <= 0 or options["seconds"] <= 0 or options["workers"] <= 0:
            raise CommandError("--rate, --seconds and --workers must be positive")
        data_dir = Path(options["data_dir"] or datadir.default_data_dir(items, seed)).resolve()
        self.refuse_foreign_folder(data_dir, items, seed, options["rebuild"])
        try:
            result = server.run(
                data_dir=data_dir,
                items=items,
                seed=seed,
                workers=options["workers"],
                seconds=options["seconds"],
                rate=options["rate"],
                timeout=options["timeout"],
                worker_timeout=options["worker_timeout"],
                limit_request_line=options["limit_request_line"],
                max_in_flight=options["max_in_flight"],
                log=lambda message: self.stderr.write(message),
            )
        except server.GunicornDidNotStart as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except server.LoadTestError as exc:
            log = data_dir / "loadtest" / "gunicorn.log"
            raise CommandError(f"{exc} (server log: {log})", returncode=1) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, default=str))
        else:
            self.stdout.write(report.render(result))
        errors = result["summary"]["error_count"]
        if errors:
            raise CommandError(f"{errors:,} errors under load", returncode=1)

    @staticmethod
    def refuse_foreign_folder(data_dir: Path, items: int, seed: int, rebuild: bool) -> None:
        """Never delete a folder that another build may be filling, or another corpus."""
        if rebuild or not data_dir.exists() or not any(data_dir.iterdir()):
            return
        (datadir,) = import_benchmarks("datadir")
        manifest = datadir.read_manifest(data_dir)
        wanted = {"items": items, "letters": 0, "seed": seed}
        if not manifest.get("build"):
            raise CommandError(
                f"{data_dir} holds no finished corpus (a build may be running, e.g. `manage.py "
                "bench`, or it failed): wait for it, or pass --rebuild to build it afresh"
            )
        if manifest.get("corpus") != wanted:
            raise CommandError(
                f"{data_dir} holds another corpus ({manifest.get('corpus')}): pass --rebuild to "
                "replace it, or choose another --data-dir"
            )
