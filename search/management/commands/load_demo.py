"""Load demo data: the sample letters when they are beside the project, else synthetic ones."""

from django.conf import settings
from django.core.management.base import BaseCommand

from search.ingest import ingest_paths, store_letter, sync_index
from search.letters.extract import clean_text
from search.letters.parser import parse_letter
from search.models import Letter


class Command(BaseCommand):
    help = "Ingest ../shared/letters (or IMR_LETTERS_DIR); without it, a synthetic sample."

    def add_arguments(self, parser):
        parser.add_argument("--synthetic", type=int, default=0, help="synthetic letters to add")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, synthetic: int = 0, seed: int = 0, **options):
        letters_dir = settings.IMR_LETTERS_DIR
        folders = [letters_dir / name for name in ("seeds", "pdf") if (letters_dir / name).is_dir()]
        if folders and not synthetic:
            report = ingest_paths(folders)
            self.stdout.write(
                f"Sample letters from {letters_dir}: {report.ingested} ingested, "
                f"{report.unchanged} unchanged, {len(report.rejected)} rejected; "
                f"{report.indexed} items indexed."
            )
            if report.error:
                self.stderr.write(f"load_demo stopped: {report.error}.")
                raise SystemExit(3)
            return
        count = synthetic or 2000
        if not folders:
            self.stdout.write(f"No sample letters at {letters_dir}: loading synthetic data.")
        self.load_synthetic(count, seed)

    def load_synthetic(self, count: int, seed: int) -> None:
        from search.letters.synthetic import generate_letters

        existing = set(Letter.objects.filter(synthetic=True).values_list("public_id", flat=True))
        added = 0
        for letter in generate_letters(count, seed=seed):
            if letter.case_number in existing:
                continue
            text = clean_text(letter.text)
            store_letter(parse_letter(text), text, source_name="synthetic")
            added += 1
        indexed = sync_index()
        self.stdout.write(
            f"Synthetic letters (labelled synthetic): {added} added, {indexed} items indexed."
        )
