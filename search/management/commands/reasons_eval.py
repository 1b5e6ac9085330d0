"""`python manage.py reasons_eval`: how well decision reasons and request sizes are read.

    python manage.py reasons_eval                 # every labelled item
    python manage.py reasons_eval --part held_out # only the items the rules were not tuned on
    python manage.py reasons_eval --part held_out_2  # the items labelled last
    python manage.py reasons_eval --misses        # and which items each figure missed
    python manage.py reasons_eval --json

Compares search.letters.reasons and search.letters.request_size with our hand labels
(tests/letters/reasons_labels.json) over the sample letters (IMR_LETTERS_DIR); writes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

try:
    from benchmarks.reasons import evaluate
except ImportError:  # an installed site without the source tree
    evaluate = None


def _figure(value: float | None) -> str:
    return "   -" if value is None else f"{value:.2f}"


class Command(BaseCommand):
    help = "Precision and recall of decision reasons and request sizes against hand labels."

    def add_arguments(self, parser):
        parser.add_argument("--letters-dir", type=Path, default=Path(settings.IMR_LETTERS_DIR),
                            help="folder with the sample letters (default IMR_LETTERS_DIR)")
        parser.add_argument("--part", choices=evaluate.PARTS if evaluate else None,
                            help="only the items of this part of the labels")
        parser.add_argument("--misses", action="store_true", help="list the items missed")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if evaluate is None:
            raise CommandError("reasons_eval needs the source tree's benchmarks/ folder")
        letters = Path(options["letters_dir"])
        if not (letters / "pdf").is_dir():
            raise CommandError(
                f"no sample letters at {letters} (set IMR_LETTERS_DIR or --letters-dir)")
        result = evaluate.evaluate(
            evaluate.load_labels(), evaluate.read_sample_items(letters), options["part"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), indent=1))
            return
        self.stdout.write(f"{result.items} labelled items ({options['part'] or 'all parts'})")
        if result.missing:
            self.stdout.write(f"not in the letters: {', '.join(result.missing)}")
        for title, tallies in (("reason", result.reasons), ("request size", result.sizes)):
            self.stdout.write(f"\n{title:28} labelled  found  precision  recall")
            for name, tally in tallies.items():
                found = tally.true_positive + tally.false_positive
                self.stdout.write(
                    f"{name:28} {tally.labelled:8} {found:6} {_figure(tally.precision):>10} "
                    f"{_figure(tally.recall):>7}")
                if options["misses"] and tally.misses:
                    self.stdout.write("    " + " ".join(tally.misses))
