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


def test_the_sentences_of_a_quoted_guideline_are_not_findings_about_the_case():
    quoted = ('The guideline reads: "Opioids may be continued for a time. Stop them when there '
              'is no functional improvement." The request is not medically necessary.')
    assert codes(quoted, request="Tramadol 50mg #60") == []
    applied = quoted + " Here the notes show no functional improvement since June."
    found = find_reasons(applied, domain.UPHELD, "Tramadol 50mg #60")
    assert [(f.code, f.evidence) for f in found] == [
        ("no_functional_improvement", "Here the notes show no functional improvement since June.")]


def test_an_unpaired_quotation_mark_does_not_hide_the_sentences_after_it():
    text = 'The brace was a 10" splint. The notes show no functional improvement with it.'
    assert codes(text, request="Wrist splint") == ["no_functional_improvement"]


def test_who_a_treatment_is_for_in_general_is_not_a_finding():
    general = ("Patients with no risk factors for bleeding do not need a stomach protector. "
               "The request is not medically necessary.")
    assert codes(general, request="Omeprazole 20mg #30") == []
    helpful = ("A nerve study can be helpful when there are subtle neurologic findings "
               "(not a screening study).")
    assert codes(helpful, request="EMG of both legs") == []


def test_a_routine_use_the_guideline_advises_against_is_not_a_blanket_no():
    assert codes("The ODG does not recommend the routine use of a scan for neck pain.",
                 request="CT of the neck") == []
    assert codes("The ODG does not recommend magnets for back pain.",
                 request="Magnetic belt") == ["not_recommended"]


def test_fewer_sessions_certified_means_the_rest_went_beyond_the_guideline():
    text = "The request was modified to 4 additional sessions of therapy."
    assert codes(text, request="Physical therapy x 12") == ["exceeds_guideline_limits"]
    assert codes("The request was modified to one month of use.",
                 request="TENS unit rental") == []


def test_imaging_criteria_in_the_guidelines_own_words_are_red_flags():
    for sentence in (
        "The notes do not show radiculopathy on the last two visits.",
        "There has been no significant change in symptoms since the prior study.",
        "The examination showed no abnormal neurologic findings.",
    ):
        assert codes(sentence, request="Repeat MRI of the lumbar spine") == ["no_red_flags"], (
            sentence)
    assert codes("The examination showed no abnormal findings.",
                 request="Bone scan of the ankle") == ["no_red_flags"]


def test_a_word_far_from_the_negation_is_not_a_missing_indication():
    far = ("She has not returned to work since the fall in the warehouse last spring and "
           "was diagnosed with a sprain.")
    assert codes(far, request="Knee brace") == []
    near = "She has not been diagnosed with osteoarthritis of the knee."
    assert codes(near, request="Knee brace") == ["findings_not_documented"]


def test_a_missing_reason_for_the_request_is_a_missing_rationale():
    for sentence in ("The notes give no reason for the request at this time.",
                     "It is not clear why a second brace is needed."):
        assert codes(sentence, request="Knee brace") == ["rationale_not_documented"], sentence


def test_what_a_treatment_might_do_is_not_a_lack_of_past_improvement():
    text = "It is not certain that she would benefit from more sessions."
    assert "no_functional_improvement" not in codes(text)
    assert codes("She had no benefit from the earlier sessions.") == ["no_functional_improvement"]


def test_sentences_split_at_full_stops_but_not_abbreviations():
    assert split_sentences("See e.g. the ODG. It says No. 3 applies.  Next one.") == [
        "See e.g. the ODG.", "It says No. 3 applies.", "Next one."]


@pytest.fixture(scope="module")
def sample_items(letters_dir):
    return read_sample_items(letters_dir)


@pytest.fixture(scope="module")
def agreement(sample_items):
    """Over the two parts of the first 156 items, which the thresholds below were set on."""
    first = [label for label in load_labels() if label["part"] in ("tune", "held_out")]
    return evaluate(first, sample_items)


def test_every_item_of_the_sample_letters_is_labelled_once(sample_items):
    labels = load_labels()
    keys = [(label["case"], label["ordinal"]) for label in labels]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(sample_items)
    assert {label["part"] for label in labels} == {"tune", "held_out", "held_out_2"}


def test_every_labelled_item_is_in_the_sample_letters(agreement):
    assert agreement.missing == []
    assert agreement.items >= 150


def test_the_items_labelled_last_are_read_about_as_well_as_measured(sample_items):
    """The second held-out part, measured once before any rule was written with it in view
    (BENCHMARKS.md); the third round of rules saw it, so this is now an in-sample floor that
    keeps it from sliding back."""
    result = evaluate(load_labels(), sample_items, "held_out_2")
    assert result.missing == [] and result.items == 73
    right = sum(t.true_positive for t in result.reasons.values())
    found = right + sum(t.false_positive for t in result.reasons.values())
    labelled = sum(t.labelled for t in result.reasons.values())
    assert right / found >= 0.95, (right, found)
    assert right / labelled >= 0.95, (right, labelled)


def test_the_rules_agree_with_the_hand_labels(agreement):
    """BENCHMARKS.md has the figures; this keeps them from sliding back unnoticed."""
    for code, tally in agreement.reasons.items():
        if tally.labelled >= 10:
            assert tally.precision >= 0.85, (code, tally.as_json())
            assert tally.recall >= 0.8, (code, tally.as_json())
    for name, tally in agreement.sizes.items():
        assert tally.precision >= 0.9 and tally.recall >= 0.85, (name, tally.as_json())


# The wording classes below were added when the rules were revised with every labelled item in
# view; each sentence is our own, written in the guidelines' and reviewers' register.

@pytest.mark.parametrize("sentence, request_text", [
    ("Sedative hypnotics are not recommended for the treatment of chronic pain.", "Zolpidem 5mg"),
    ("Her pain is neuropathic, for which this medication is not recommended.", "Ibuprofen 800mg"),
    ('Traction is deemed "not recommended" in the management of low back complaints.',
     "Home traction unit"),
    ("The guidelines do not support the use of a surface EMG for back pain.", "Surface EMG"),
    ("Anti-epilepsy drugs in topical form are not supported by the guidelines.",
     "Gabapentin 10% cream"),
])
def test_a_treatment_the_guideline_does_not_recommend_for_this_use(sentence, request_text):
    assert codes(sentence, request=request_text) == ["not_recommended"], sentence


def test_not_for_routine_or_long_use_or_without_findings_is_not_a_blanket_no():
    assert codes("Knee MRI is not recommended for routine knee pain.",
                 request="Knee brace") == []
    assert codes("Hypnotics are not recommended for long-term use.",
                 request="Zolpidem 5mg") == ["short_term_only"]
    assert codes("The ODG does not recommend a CT of the neck in the absence of red flags.",
                 request="Wrist brace") == []


def test_a_compound_falls_with_a_drug_it_contains_a_single_drug_does_not():
    rule = ("The guidelines say any compounded product that contains at least one drug that is "
            "not recommended is not recommended.")
    assert codes(rule, request="Ketoprofen 10%/Lidocaine 5% cream") == ["not_recommended"]
    assert codes(rule, request="Lidocaine 5% patch") == []


@pytest.mark.parametrize("sentence", [
    "This opioid is not indicated for long-term use.",
    "Muscle relaxants are advised for a brief course, and long-term use may not be warranted.",
    "The guideline does not allow a recommendation for chronic use of this class.",
    "There is no documentation that its use would be short-term.",
    "The records do not show that this is the shortest period of use possible.",
    "Given the risks of long-term use, more cannot be supported.",
])
def test_a_treatment_for_short_term_use_only(sentence):
    assert codes(sentence, request="Carisoprodol 350mg #60") == ["short_term_only"], sentence


def test_a_guidelines_general_advice_on_short_use_is_not_a_finding():
    assert codes("NSAIDs are recommended at the lowest dose for the shortest period.",
                 request="Naproxen 500mg") == []
    assert codes("There is little evidence for it, but it may help in the short term.",
                 request="Heat wrap") == []


@pytest.mark.parametrize("sentence, request_text", [
    ('Anti-inflammatories are "recommended" for acute neck pain, as here.', "Naproxen 500mg"),
    ("She has a positive drawer test, which warrants an MRI.", "MRI of the knee"),
    ("The patient has been approved to undergo a shoulder repair.", "Post-op sling"),
    ("The guidelines would support a referral in a case such as this.", "Hand surgeon referral"),
    ("On examination the claimant has sensory and motor deficits of the hand.", "EMG of the arm"),
])
def test_an_overturned_item_whose_criteria_are_met(sentence, request_text):
    assert codes(sentence, domain.OVERTURNED, request_text) == ["criteria_met"], sentence


def test_deficits_that_are_absent_do_not_meet_the_criteria():
    assert codes("There are no sensory or motor deficits.", domain.OVERTURNED, "EMG") == []


def test_an_overturned_item_with_improvement_or_within_limits():
    assert codes("The notes say the therapy helped her walk further.", domain.OVERTURNED,
                 "Physical therapy x 6") == ["improvement_documented"]
    assert codes("The therapy was not helpful.", domain.OVERTURNED, "Physical therapy x 6") == []
    assert codes("Four visits are not in excess of the guideline.", domain.OVERTURNED,
                 "Chiropractic x 4") == ["within_guideline_limits"]
    assert codes("The ODG guidelines recommend far more than four visits for this.",
                 domain.OVERTURNED, "Chiropractic x 4") == ["within_guideline_limits"]


@pytest.mark.parametrize("sentence", [
    "The exam notes reflexes and strength are intact in both legs.",
    "There was an unremarkable lower extremity neurological examination.",
    "Straight leg raise testing was negative on both sides.",
    "The objective findings provided do not support the study.",
    "Her normal grip strength undermines any theory of nerve entrapment.",
    "No plain films of the spine are noted.",
    "The x-ray report was not provided.",
])
def test_a_normal_examination_or_missing_plain_films_are_no_red_flags(sentence):
    assert codes(sentence, request="MRI of the lumbar spine") == ["no_red_flags"], sentence


@pytest.mark.parametrize("sentence", [
    "There was no indication the patient was unable to swallow tablets.",
    "The records do not document failure of acetaminophen first.",
])
def test_first_line_or_oral_care_not_shown_to_fail(sentence):
    assert codes(sentence, request="Ibuprofen oral suspension") == [
        "conservative_care_not_tried"], sentence


@pytest.mark.parametrize("sentence", [
    "There is no documentation the patient has trigger points on examination.",
    "There is no history of ulcer or bleeding.",
    "There is no evidence of a diagnosis of depression.",
    "There is no indication she takes high doses to warrant treatment.",
    "The records do not show her hip pain is due to arthritis.",
    "Her symptoms do not appear to meet the threshold for ongoing care.",
])
def test_the_indication_the_guideline_names_is_not_shown(sentence):
    assert codes(sentence, request="Omeprazole 20mg") == ["findings_not_documented"], sentence


def test_care_tried_before_is_not_a_missing_indication():
    assert codes("There is no documentation the patient has been to therapy.",
                 request="Omeprazole 20mg") == []


@pytest.mark.parametrize("sentence", [
    "The outcome of the prior sessions was not documented.",
    "The records show no evidence of the outcome of any trial of therapy.",
])
def test_the_result_of_the_earlier_course_missing(sentence):
    assert codes(sentence) == ["no_functional_improvement"], sentence


def test_a_goal_of_improvement_is_not_a_lack_of_it():
    text = "No plan was given for the visits, with goals for objective functional improvement."
    assert "no_functional_improvement" not in codes(text)


def test_a_negation_does_not_reach_past_a_colon():
    text = "Refer if there is lack of progress: with objective functional improvement, 10 visits."
    assert codes(text, request="Psychotherapy 1 time a week") == []


@pytest.mark.parametrize("sentence", [
    "In this case the request asks for more visits than the ODG recommends.",
    "Six more visits would surpass the upper limit the guideline allows.",
    "There are no facts to support the full number of 12 visits.",
])
def test_more_than_the_guideline_allows_in_other_words(sentence):
    assert codes(sentence, request="Physical therapy x 12") == [
        "exceeds_guideline_limits"], sentence


def test_a_missing_justification_and_how_it_would_help():
    for sentence in ("Justification for further use was not provided.",
                     "The rationale as to why she would need a second anti-inflammatory drug "
                     "is not apparent.",
                     "Nothing describes how the brace would help her work."):
        assert codes(sentence, request="Knee brace") == ["rationale_not_documented"], sentence


def test_an_item_falls_with_the_item_it_goes_with():
    text = ("Given that the ibuprofen was not medically necessary, the stomach protector is "
            "also not medically necessary.")
    assert codes(text, request="Omeprazole 20mg") == ["primary_not_certified"]


def test_monitoring_is_for_opioids_not_stomach_risk_or_the_drug_test_itself():
    assert codes("There was no cardiovascular risk assessment.", request="Omeprazole 20mg") == []
    assert codes("There was no urine drug screen on file.", request="Urine drug test") == []
    assert codes("There was no urine drug screen on file.", request="Oxycodone 10mg") == [
        "opioid_monitoring"]


def test_a_guideline_cited_after_an_opening_word_is_still_the_guideline():
    text = "Additionally, per the ACOEM guidelines, heat wraps have no proven efficacy."
    assert codes(text, request="Heat wrap") == []


# Over all 229 labelled items (every part was seen when the rules were last written, so these
# are in-sample figures): the precision and recall reached, as floors, for every reason with 10
# or more labelled items and every request-size field, where the goal (reasons 0.9 / 0.8,
# sizes 0.9 / 0.85) is reached. `short_term_only` precision (0.89) is below the goal; its floor
# stays at the earlier 0.85.
_FLOORS = {
    "no_functional_improvement": (1.0, 1.0),
    "exceeds_guideline_limits": (1.0, 1.0),
    "short_term_only": (0.85, 1.0),
    "not_recommended": (1.0, 1.0),
    "no_red_flags": (1.0, 0.95),
    "conservative_care_not_tried": (1.0, 1.0),
    "findings_not_documented": (0.95, 0.95),
    "primary_not_certified": (1.0, 1.0),
    "rationale_not_documented": (0.92, 0.96),
    "criteria_met": (1.0, 1.0),
    "sessions": (1.0, 0.97),
    "quantity": (1.0, 1.0),
    "frequency": (1.0, 1.0),
    "duration": (1.0, 1.0),
    "strength": (1.0, 1.0),
}


def test_every_labelled_item_is_read_at_least_as_well_as_now(sample_items):
    result = evaluate(load_labels(), sample_items)
    assert result.missing == [] and result.items == 229
    tallies = {**result.reasons, **result.sizes}
    frequent = {code for code, tally in result.reasons.items() if tally.labelled >= 10}
    assert frequent | set(result.sizes) == set(_FLOORS)
    for name, (precision, recall) in _FLOORS.items():
        tally = tallies[name]
        assert tally.precision >= precision and tally.recall >= recall, (name, tally.as_json())
