"""python manage.py rebuild_index: build a fresh index from the database and switch to it."""

import time

from django.core.management.base import BaseCommand

from search.indexing import rebuild_index


class Command(BaseCommand):
    help = "Rebuild the search index from the database; searches keep working meanwhile."

    def handle(self, *args, **options):
        started = time.monotonic()

        def progress(count: int) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"{count} items indexed")

        count = rebuild_index(progress=progress)
        elapsed = time.monotonic() - started
        self.stdout.write(f"Indexed {count} items in {elapsed:.1f} s.")
