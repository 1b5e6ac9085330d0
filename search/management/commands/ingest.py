"""python manage.py ingest PATH... : store IMR letters from files, folders and zip archives."""

import argparse
import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from search.indexing import embed_pending, embedding_json, embedding_line
from search.ingest import ReaderOptions, ingest_paths
from search.ingest_speed import pdf_speed
from search.ingest_workers import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS, default_workers

# PDFs of the run pypdf extracts alone afterwards, for the speed line (about 3 s here).
PYPDF_SAMPLE = 10


class Command(BaseCommand):
    help = (
        "Ingest IMR final determination letters (.pdf, .txt, folders, .zip). Exit code 0 when "
        "every file was stored or already present, 1 when any file was rejected, 2 on usage "
        "errors, 3 when the run stopped early (database or disk full or unavailable; the report "
        "says what was stored and what was not)."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="letter files, folders or zip archives")
        parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="print one JSON report on stdout and nothing else",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar even on a terminal"
        )
        parser.add_argument(
            "--no-embed", action="store_true",
            help="store and index by words only; leave ranking by meaning to `embed_items`",
        )
        parser.add_argument(
            "--workers",
            type=_positive(int),
            default=None,
            help=f"processes reading files (default: one per core, {default_workers()} here)",
        )
        parser.add_argument(
            "--timeout",
            type=_positive(float),
            default=DEFAULT_TIMEOUT_SECONDS,
            help="seconds one file may take to read; past that it is rejected "
            f"(default {DEFAULT_TIMEOUT_SECONDS:g})",
        )
        parser.add_argument(
            "--memory-limit",
            type=_positive(int),
            default=DEFAULT_MEMORY_MB,
            metavar="MB",
            help="memory a worker may use reading one file; past that the file is rejected "
            f"(default {DEFAULT_MEMORY_MB})",
        )
        parser.add_argument(
            "--pypdf-sample",
            type=int,
            default=PYPDF_SAMPLE,
            metavar="N",
            help="after a run that read PDFs, time pypdf's extraction alone over N of them and "
            f"print the run's speed against it (default {PYPDF_SAMPLE}; 0: speed only; not with "
            "--json)",
        )

    def run_from_argv(self, argv):
        # argparse exits with 2 on usage errors already; keep CommandError at 2 as well.
        try:
            super().run_from_argv(argv)
        except CommandError as exc:
            self.stderr.write(f"ingest: {exc}")
            sys.exit(2)

    def handle(self, *args, paths, as_json=False, no_progress=False, no_embed=False, **options):
        show_progress = not as_json and not no_progress and sys.stderr.isatty()
        readers = ReaderOptions(
            workers=options["workers"],
            timeout=options["timeout"],
            memory_mb=options["memory_limit"],
        )
        started = time.perf_counter()
        report = ingest_paths(
            paths, progress=_progress_bar if show_progress else None, readers=readers
        )
        seconds = time.perf_counter() - started
        if show_progress:
            sys.stderr.write("\n")
        # The letters are searchable by words now; their vectors follow (the embedding rate is
        # reported apart from the ingest rate).
        embedded = (
            None if no_embed or report.error
            else embed_pending(workers=options["workers"] or default_workers())
        )
        if as_json:
            out = report.as_json()
            if embedded is not None:
                out["embedding"] = embedding_json(embedded)
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            for rejected in report.rejected:
                self.stderr.write(f"rejected {rejected['path']}: {rejected['reason']}")
            for left_out in report.not_stored:
                self.stderr.write(f"not stored {left_out['path']}: {left_out['reason']}")
            # `indexed` counts search items, one per disputed treatment, not letters.
            self.stdout.write(
                f"{report.ingested} ingested, {report.unchanged} unchanged, "
                f"{report.replaced} replaced, {len(report.rejected)} rejected; "
                f"{report.indexed} items indexed (one per disputed treatment)"
            )
            speed = pdf_speed(report, seconds, sample=max(0, options["pypdf_sample"]))
            if speed.pdf_letters:
                self.stdout.write(speed.summary())
            if embedded is not None:
                self.stdout.write(embedding_line(embedded))
        if report.error:
            left_out = f"{len(report.not_stored)} files not stored. " if report.not_stored else ""
            self.stderr.write(
                f"ingest stopped: {report.error}. {left_out}Run the same ingest again once that "
                "is fixed: letters already stored are kept and not stored twice."
            )
            sys.exit(3)
        if report.rejected:
            sys.exit(1)


def _positive(kind):
    def parse(value: str):
        try:
            number = kind(value)
        except ValueError:
            number = 0
        if not number > 0:
            raise argparse.ArgumentTypeError(f"must be a positive number, not {value!r}")
        return number

    return parse


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
    sys.stderr.flush()
