"""The facet registry: each facet declared once, and everything else derived from it."""

from __future__ import annotations

import pytest

from search import searching
from search.engine import facets
from search.engine.whoosh import schema


def test_the_index_has_a_field_for_each_facet_and_each_date_range():
    fields = set(schema.build_schema().names())
    assert set(facets.FACET_NAMES) <= fields
    assert {schema.DAY_FIELDS[name] for name in facets.DATE_FIELDS} <= fields


def test_the_service_lists_the_registry():
    assert searching.FACETS is facets.FACETS
    assert searching.FACET_NAMES == tuple(f.name for f in facets.FACETS)
    assert len(set(facets.FACET_NAMES)) == len(facets.FACETS)


@pytest.mark.parametrize(
    ("name", "typed", "accepted"),
    [
        ("outcome", "UPHELD", "upheld"),
        ("outcome", "maybe", None),
        ("year", "2017", "2017"),
        ("year", "17", None),
        ("priority", "expedited", "Expedited"),
        ("case_outcome", "partially overturned", "Partial Overturn"),
        ("days_to_decision", "nonsense", None),
        ("source", "x" * 301, None),
    ],
)
def test_each_facet_validates_its_own_values(name, typed, accepted):
    assert facets.FACETS_BY_NAME[name].accept(typed) == accepted


def test_fixed_facets_list_every_value_with_labels():
    outcome = facets.FACETS_BY_NAME["outcome"]
    assert outcome.fixed and outcome.values == ("upheld", "overturned")
    assert outcome.label_of("overturned") == "Overturned"
    assert all(f.label for f in facets.FACETS)
    assert [f.name for f in facets.FACETS if f.more][0] == "case_outcome"
