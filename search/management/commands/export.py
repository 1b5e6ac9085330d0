"""python manage.py export --jsonl : every letter as one JSON object per line."""

import json

from django.core.management.base import BaseCommand, CommandError

from search.serializers import letter_as_json, letter_queryset


class Command(BaseCommand):
    help = "Export the stored letters as JSON Lines (one letter per line) on stdout."

    def add_arguments(self, parser):
        parser.add_argument("--jsonl", action="store_true", help="JSON Lines (the only format)")

    def handle(self, *args, jsonl: bool = False, **options):
        if not jsonl:
            raise CommandError("say --jsonl: JSON Lines is the export format")
        queryset = letter_queryset().order_by("public_id")
        for letter in queryset.iterator(chunk_size=500):
            self.stdout.write(
                json.dumps(letter_as_json(letter), ensure_ascii=False, sort_keys=True)
            )
