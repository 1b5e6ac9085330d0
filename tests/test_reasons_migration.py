"""Migration 0003 gives items stored before it their reasons and request size."""

import importlib

import pytest
from django.apps import apps

from search.models import Determination
from tests.search_support import store_hand_letter

migration = importlib.import_module("search.migrations.0003_determination_reasons_request_size")


@pytest.mark.django_db
def test_items_stored_before_the_migration_get_their_reasons_and_size():
    store_hand_letter("CM16-0000301", [
        ("Physical therapy 2 times a week for 6 weeks", "upheld",
         "There is no documentation of objective functional improvement from prior therapy."),
        ("Naproxen 550mg #60", "overturned", "The guideline criteria have been met."),
    ])
    Determination.objects.update(reasons=[], request_size={})
    migration.read_stored_items(apps, None)
    therapy, drug = Determination.objects.order_by("ordinal")
    assert therapy.reason_codes == ["no_functional_improvement"]
    assert therapy.request_size == {"sessions": 12, "frequency": "2/week", "duration": "6 weeks"}
    assert drug.reason_codes == ["criteria_met"]
    assert drug.request_size == {"quantity": 60, "strength": "550 mg"}
