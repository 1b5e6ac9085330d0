"""python manage.py check_index: exit 1 and list items the database and the index disagree on."""

from django.core.management.base import BaseCommand

from search.indexing import check_index


class Command(BaseCommand):
    help = "Compare the search index with the database; exits 1 when they disagree."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=50, help="items to list per discrepancy")

    def handle(self, *args, **options):
        report = check_index()
        for line in report.lines(limit=options["limit"]):
            self.stdout.write(line)
        if report.clean:
            self.stdout.write("The index matches the database.")
            return
        self.stdout.write(
            "The index does not match the database: run `python manage.py ingest` (it indexes "
            "pending letters) or `python manage.py rebuild_index`."
        )
        raise SystemExit(1)
