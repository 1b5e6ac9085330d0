"""Decision reasons read from rationales: the rules on sentences of our own, then the measured
agreement with our hand labels over the sample letters."""

import pytest

from benchmarks.reasons.evaluate import evaluate, load_labels, read_sample_items
from search.letters import domain
from search.letters.reasons import REASONS, find_reasons, split_sentences


def codes(rationale, outcome=domain.UPHELD, request="Physical therapy"):
    return [r.code for r in find_reasons(rationale, outcome, request)]


def test_the_taxonomy_is_documented_and_small():
    assert 10 <= len(REASONS) <= 15
    assert len({r.code for r in REASONS}) == len(REASONS)
    for reason in REASONS:
        assert reason.label and reason.definition.endswith(".")
        assert reason.outcome in domain.OUTCOMES


def test_a_denial_gets_each_deficiency_it_states_with_its_sentence():
    rationale = (
        "The guidelines recommend up to 10 visits. "
        "There is no documentation of objective functional improvement with the prior sessions. "
        "The requested number of visits exceeds the guideline recommendation. "
        "Therefore, the request is not medically necessary."
    )
    found = find_reasons(rationale, domain.UPHELD, "Physical therapy 2 times a week for 6 weeks")
    assert [f.code for f in found] == ["no_functional_improvement", "exceeds_guideline_limits"]
    assert found[0].evidence.startswith("There is no documentation of objective functional")
    assert found[1].evidence.startswith("The requested number of visits exceeds")


def test_a_guideline_sentence_is_not_a_finding_about_the_case():
    quoted = ("Per the guidelines, special studies are not needed unless a period of conservative "
              "care fails to improve symptoms. The request is not medically necessary.")
    assert codes(quoted, request="MRI of the lumbar spine") == []
    applied = "In this case there is no documentation of failed conservative care."
    assert codes(applied, request="MRI of the lumbar spine") == ["conservative_care_not_tried"]


def test_missing_findings_are_red_flags_for_imaging_and_indications_for_treatment():
    text = "The records show no focal neurological deficit or nerve root compromise."
    assert codes(text, request="MRI of the cervical spine") == ["no_red_flags"]
    gi = "There was no documentation of gastrointestinal risk factors to support ongoing use."
    assert codes(gi, request="Omeprazole 20mg #60") == ["findings_not_documented"]


def test_an_overturned_item_gets_reasons_for_necessity_only():
    text = ("The records document a reduction in work restrictions after the first sessions. "
            "Guidelines have been met. No red flags were noted.")
    assert codes(text, domain.OVERTURNED, "Acupuncture #6") == [
        "criteria_met", "improvement_documented"]


def test_an_item_may_have_no_reason_found():
    assert codes("The request is not medically necessary.") == []
    assert codes("") == []


def test_associated_services_fall_with_the_surgery():
    text = ("As the requested surgical intervention is not medically necessary, the requested "
            "ancillary service is not medically necessary.")
    assert codes(text, request="Post-op physical therapy 2x4") == ["primary_not_certified"]


def test_sentences_split_at_full_stops_but_not_abbreviations():
    assert split_sentences("See e.g. the ODG. It says No. 3 applies.  Next one.") == [
        "See e.g. the ODG.", "It says No. 3 applies.", "Next one."]


@pytest.fixture(scope="module")
def agreement(letters_dir):
    return evaluate(load_labels(), read_sample_items(letters_dir))


def test_every_labelled_item_is_in_the_sample_letters(agreement):
    assert agreement.missing == []
    assert agreement.items >= 150


def test_the_rules_agree_with_the_hand_labels(agreement):
    """BENCHMARKS.md has the figures; this keeps them from sliding back unnoticed."""
    for code, tally in agreement.reasons.items():
        if tally.labelled >= 10:
            assert tally.precision >= 0.85, (code, tally.as_json())
            assert tally.recall >= 0.8, (code, tally.as_json())
    for name, tally in agreement.sizes.items():
        assert tally.precision >= 0.9 and tally.recall >= 0.85, (name, tally.as_json())
