"""python manage.py embed_items: give indexed items their vectors (ranking by meaning)."""

import json
import time

from django.core.management.base import BaseCommand

from search.indexing import embed_pending, embedding_json, embedding_line


class Command(BaseCommand):
    help = (
        "Embed the indexed items that have no vector yet, so that search ranks them by meaning "
        "as well as by words. An item is found by its words as soon as it is indexed; this is "
        "the step after. --follow keeps catching up (run it beside the server)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None,
                            help="embed at most this many items per pass")
        parser.add_argument("--follow", action="store_true",
                            help="keep running: catch up again every --interval seconds")
        parser.add_argument("--interval", type=float, default=30.0,
                            help="seconds between passes with --follow (default 30)")
        parser.add_argument("--workers", type=int, default=1,
                            help="processes that embed (default 1: leave the other cores to the "
                                 "server; a bulk catch-up may use them all)")
        parser.add_argument("--json", dest="as_json", action="store_true",
                            help="one JSON object per pass on stdout")

    def handle(self, *args, limit=None, follow=False, interval=30.0, as_json=False, workers=1,
               **options):
        while True:
            report = embed_pending(limit=limit, workers=max(1, workers))
            if as_json:
                self.stdout.write(json.dumps(embedding_json(report)))
            elif report.embedded or report.unavailable or not follow:
                self.stdout.write(embedding_line(report))
            if not follow:
                return
            if report.unavailable and "not installed" in report.unavailable:
                return  # nothing will change until the model is installed
            time.sleep(max(1.0, interval))
