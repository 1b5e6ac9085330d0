"""`python manage.py relevance`: ranking quality on the judged query set over the sample letters.

    python manage.py relevance                  # averages, keyword and pasted apart
    python manage.py relevance --per-query      # and every query's figures
    python manage.py relevance --json

The sample letters (IMR_LETTERS_DIR/pdf) are ingested into a data folder of its own (default
var/relevance/, reused while the letters and the code's index format are the same; --rebuild
starts afresh), never the site's. The queries and judgments are in
benchmarks/relevance/judged_queries.json; the figures are nDCG@10, P@10, recall@20 and MRR.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

try:
    from benchmarks import datadir
    from benchmarks.relevance import metrics, runner, tuning
except ImportError:  # an installed site without the source tree
    datadir = metrics = runner = tuning = None

FIGURES = ("ndcg@10", "p@10", "recall@20", "mrr")


class Command(BaseCommand):
    help = "Ranking quality (nDCG@10, P@10, recall@20, MRR) on the judged query set."

    def add_arguments(self, parser):
        parser.add_argument("--letters-dir", type=Path, default=Path(settings.IMR_LETTERS_DIR),
                            help="folder with the sample letters' pdf/ (default IMR_LETTERS_DIR)")
        parser.add_argument("--data-dir", type=Path,
                            default=Path(settings.BASE_DIR) / "var" / "relevance")
        parser.add_argument("--rebuild", action="store_true")
        parser.add_argument("--per-query", action="store_true")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--tune", action="store_true",
                            help="try fusion weights (benchmarks/relevance/tuning.py) instead")
        parser.add_argument("--phase", help="(internal) rank inside the data folder")
        parser.add_argument("--phase-out", type=Path, help="(internal)")

    def handle(self, *args, **options):
        if runner is None:
            raise CommandError("relevance needs the source tree's benchmarks/ folder")
        if options["phase"] == "rank":
            datadir.assert_isolated(Path(options["data_dir"]) / "app")
            options["phase_out"].write_text(json.dumps(runner.rank_all()))
            return
        if options["phase"] == "tune":
            datadir.assert_isolated(Path(options["data_dir"]) / "app")
            options["phase_out"].write_text(json.dumps(tuning.tune()))
            return
        app = Path(options["data_dir"]).resolve() / "app"
        pdfs = Path(options["letters_dir"]) / "pdf"
        if not pdfs.is_dir():
            raise CommandError(
                f"no sample letters at {pdfs} (set IMR_LETTERS_DIR or --letters-dir)"
            )
        self._build(app, pdfs, options["rebuild"])
        phase = "tune" if options["tune"] else "rank"
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch) / "runs.json"
            self._manage(app, "relevance", "--phase", phase, "--phase-out", str(out),
                         "--data-dir", str(options["data_dir"]))
            runs = json.loads(out.read_text())
        if options["tune"]:
            self._print_tuning(runs, options["json"])
            return
        report = self._report(runs)
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self._print(report, options["per_query"])

    def _print_tuning(self, rows: list[dict], as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        self.stdout.write("nDCG@10 of the search box by fusion setting (meaning weight 0: words "
                          "alone)")
        self.stdout.write(f"{'words':>6} {'meaning':>8} {'k':>4} {'keyword':>8} {'pasted':>8} "
                          f"{'all':>8}")
        for row in rows:
            self.stdout.write(
                f"{row['word_weight']:>6.2f} {row['meaning_weight']:>8.2f} {row['k']:>4} "
                f"{row['keyword']:>8.3f} {row['pasted']:>8.3f} {row['all']:>8.3f}"
            )

    def _manage(self, app: Path, *args: str) -> None:
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args]
        done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            command, env=datadir.child_environment(app), capture_output=True, text=True
        )
        allowed = (0, 1) if args[0] == "ingest" else (0,)  # ingest: 1 when a file was rejected
        if done.returncode not in allowed:
            raise CommandError(f"{' '.join(args[:1])} failed:\n{done.stderr[-2000:]}")

    def _build(self, app: Path, pdfs: Path, rebuild: bool) -> None:
        marker = app / "letters.json"
        wanted = sorted(p.name for p in pdfs.glob("*.pdf"))
        if not rebuild and marker.exists() and json.loads(marker.read_text()) == wanted:
            # The letters are stored; the code may store (migrations) and index them
            # differently since the last run.
            self._manage(app, "migrate", "--noinput")
            self._manage(app, "rebuild_index")
            return
        if app.exists():
            for path in sorted(app.rglob("*"), reverse=True):
                path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
        app.mkdir(parents=True, exist_ok=True)
        self._manage(app, "migrate", "--noinput")
        self._manage(app, "ingest", str(pdfs))
        marker.write_text(json.dumps(wanted))

    def _report(self, runs: dict) -> dict:
        judged = runner.load_judged()
        queries = judged["queries"]
        pasted = [q for q in queries if q["kind"] == "pasted"]
        report = {"queries": len(queries), "systems": {}, "per_query": {}}
        for system, ranked in runs.items():
            subset = pasted if system.startswith("finder") else queries
            report["systems"][system] = metrics.summary(ranked, subset)
        for query in queries:
            report["per_query"][query["id"]] = {
                system: metrics.evaluate_query(ranked.get(query["id"], []), query["judgments"])
                for system, ranked in runs.items()
                if query["id"] in ranked
            }
        return report

    def _print(self, report: dict, per_query: bool) -> None:
        write = self.stdout.write
        write(f"Judged queries: {report['queries']} (benchmarks/relevance/judged_queries.json)")
        write(f"{'system':<13} {'kind':<8} " + " ".join(f"{f:>9}" for f in FIGURES))
        for system, by_kind in report["systems"].items():
            for kind in ("keyword", "pasted", "all"):
                if kind in by_kind and by_kind[kind].get("queries"):
                    row = by_kind[kind]
                    write(f"{system:<13} {kind:<8} "
                          + " ".join(f"{row[f]:>9.3f}" for f in FIGURES))
        if per_query:
            write("")
            for query_id, systems in report["per_query"].items():
                cells = "  ".join(f"{s} {v['ndcg@10']:.2f}" for s, v in systems.items())
                write(f"{query_id:<32} nDCG@10: {cells}")
