"""python manage.py rebuild_index: build a fresh index from the database and switch to it."""

import os
import time

from django.core.management.base import BaseCommand

from search.indexing import embed_pending, embedding_line, rebuild_index


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the database; searches keep working meanwhile. The new "
        "generation keeps the item vectors of the old one; items without one are embedded "
        "after the switch unless --no-embed (then: python manage.py embed_items)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-embed", action="store_true",
                            help="leave embedding new items to `embed_items`")

    def handle(self, *args, **options):
        started = time.monotonic()

        def progress(count: int) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"{count} items indexed")

        count = rebuild_index(progress=progress)
        elapsed = time.monotonic() - started
        self.stdout.write(f"Indexed {count} items in {elapsed:.1f} s.")
        if not options["no_embed"]:
            self.stdout.write(embedding_line(embed_pending(workers=os.cpu_count() or 1)))
