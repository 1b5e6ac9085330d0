"""The letter parser, on the shared sample letters and on small invented letters.

The invented letters below are made-up text in the shape of the real ones; the real letters are
only read from the shared folder.
"""

import functools
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.letters.domain import (
    LAYOUT_DETERMINATION,
    LAYOUT_MAXIMUS,
    LAYOUT_POSTED,
    LAYOUT_PROFESSIONAL_REVIEW,
    OUTCOMES,
    OVERTURNED,
    UPHELD,
    NotALetter,
)
from search.letters.extract import clean_text, extract_letter_text
from search.letters.parser import parse_letter
from search.letters.specialties import normalise_specialties
from tests.conftest import seed_path

UP, OV = UPHELD, OVERTURNED

# --- invented letters ------------------------------------------------------------------------

PYPDF_HEADER = """Case Number: SY16-0000001
Date Assigned: 11/18/2016 Date of Injury:  10/10/2016
Decision Date: 12/19/2016 UR Denial Date:  11/09/2016
Priority:  Expedited Application
Received:
11/14/2016
"""

PDFMINER_HEADER = """Case Number:
Date Assigned:
Decision Date:
Priority:

SY16-0000001
11/18/2016
12/19/2016
Expedited

10/10/2016
Date of Injury:
UR Denial Date:   11/09/2016
11/14/2016
Application
Received:
"""

HOW_AND_SUMMARY = """HOW THE IMR FINAL DETERMINATION WAS MADE
An invented review organisation sent the file to a pretend reviewer.
The Expert Reviewer has the following credentials:
State(s) of Licensure: Nevada, Oregon
Certification(s)/Specialty: Family Practice, Sports
Medicine

CLINICAL CASE SUMMARY
The expert reviewer developed the following clinical case summary based on a review of the
case file, including all medical records:

The imaginary worker is a 47-year-old female who sustained an industrial injury on 3-4-15. She
was non-
certified twice. Notes from  were invented.

IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:
"""


def invented_item(heading: str, rationale: str = "Invented reasons. Not necessary.") -> str:
    return f"""
{heading}

Claims Administrator guideline: The Claims Administrator did not cite any medical evidence
for its decision.

MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s):
Opioids.

Decision rationale: {rationale}
"""


def invented_letter(*items: str, header: str = PYPDF_HEADER) -> str:
    return header + "\n" + HOW_AND_SUMMARY + "".join(items)


# --- invented letters: header, reviewer, patient, summary --------------------------------------


@pytest.mark.parametrize("header", [PYPDF_HEADER, PDFMINER_HEADER], ids=["pypdf", "pdfminer"])
def test_header_table_in_either_extractor_order(header):
    letter = parse_letter(invented_letter(invented_item("Widget: Upheld"), header=header))
    assert letter.layout == LAYOUT_POSTED
    h = letter.header
    assert h.case_number == "SY16-0000001"
    assert h.date_assigned == date(2016, 11, 18)
    assert h.date_of_injury == date(2016, 10, 10)
    assert h.decision_date == date(2016, 12, 19)
    assert h.ur_denial_date == date(2016, 11, 9)
    assert h.priority == "Expedited"
    assert h.application_received == date(2016, 11, 14)
    assert letter.warnings == []
    assert not letter.truncated


def test_block_credentials_patient_and_summary():
    letter = parse_letter(invented_letter(invented_item("Widget: Upheld")))
    assert letter.reviewer.licensure == ["Nevada", "Oregon"]
    assert letter.reviewer.specialties == normalise_specialties(
        ["Family Practice", "Sports Medicine"]
    )
    assert letter.reviewer.raw.startswith("State(s) of Licensure: Nevada, Oregon\n")
    assert letter.patient.age == 47
    assert letter.patient.sex == "female"
    assert letter.patient.injury_date == date(2015, 3, 4)
    # The boilerplate first sentence is gone, lines are unwrapped ("non-" joins without a
    # space) and the double space of a redacted name collapses.
    assert letter.summary.startswith("The imaginary worker is a 47-year-old")
    assert "was non-certified twice. Notes from were invented." in letter.summary
    assert "\n" not in letter.summary


def test_sentence_credentials():
    how = (
        "HOW THE IMR FINAL DETERMINATION WAS MADE\nAn invented organisation sent the file. The\n"
        "expert reviewer is Board Certified in Internal Medicine, has a subspecialty in\n"
        "Physical Medicine and Rehabilitation and Pain Management and is licensed to practice\n"
        "in Oregon and Utah. He/she has been in practice a long time.\n\n"
    )
    text = invented_letter(invented_item("Widget: Upheld")).replace(
        HOW_AND_SUMMARY.split("CLINICAL CASE SUMMARY")[0], how
    )
    reviewer = parse_letter(text).reviewer
    assert reviewer.specialties == normalise_specialties(
        ["Internal Medicine", "Physical Medicine and Rehabilitation", "Pain Management"]
    )
    assert reviewer.licensure == ["Oregon", "Utah"]
    assert reviewer.raw.startswith("The expert reviewer is Board Certified in Internal Medicine")


# --- invented letters: items -------------------------------------------------------------------


def test_item_headings_with_colons_wrapping_and_outcome_on_next_line():
    letter = parse_letter(
        invented_letter(
            invented_item("PRETEND PILLS 1MG QUANTITY: 30.00:  Upheld"),
            invented_item("Associated surgical service: Imaginary cold unit: Overturned"),
            invented_item(
                "Invented therapy twice a week for six weeks for the\nleft imaginary knee:\nUpheld"
            ),
            invented_item("Made-up scan of the spine:\n\nOverturned"),
        )
    )
    assert [(i.ordinal, i.heading, i.outcome) for i in letter.items] == [
        (1, "PRETEND PILLS 1MG QUANTITY: 30.00", UP),
        (2, "Associated surgical service: Imaginary cold unit", OV),
        (3, "Invented therapy twice a week for six weeks for the left imaginary knee", UP),
        (4, "Made-up scan of the spine", OV),
    ]
    assert letter.items[1].request == "Imaginary cold unit"
    assert letter.items[0].request == "PRETEND PILLS 1MG QUANTITY: 30.00"
    first = letter.items[0]
    assert first.claims_administrator_guideline.raw.startswith("The Claims Administrator did not")
    assert first.imr_guideline.raw.startswith("Decision based on MTUS Chronic Pain")
    assert first.rationale == "Invented reasons. Not necessary."
    assert letter.warnings == [] and not letter.truncated


def test_modified_request_headings():
    letter = parse_letter(
        invented_letter(
            invented_item(
                "Pretend pills #90 was the original request. Pretend pills #60 was\n"
                "authorized by the Claims Administrator. The remaining IMR eligible portion\n"
                "of the original request, Pretend pills #30 is:  Upheld"
            ),
            invented_item(
                "Purchase of an invented chair was the original request. The Claims\n"
                "Administrator authorized an invented chair for 1 month, leaving the original\n"
                "request IMR eligible. The original request, purchase of an invented chair is:\n"
                "Overturned"
            ),
        )
    )
    first, second = letter.items
    assert (first.request, first.original_request, first.authorized) == (
        "Pretend pills #30",
        "Pretend pills #90",
        "Pretend pills #60",
    )
    assert first.heading.startswith("Pretend pills #90 was the original request. Pretend")
    assert first.heading.endswith("original request, Pretend pills #30 is")
    assert (second.request, second.original_request, second.authorized, second.outcome) == (
        "purchase of an invented chair",
        "Purchase of an invented chair",
        "an invented chair for 1 month",
        OV,
    )


def test_rationale_lines_with_colons_and_outcome_words_are_not_headings():
    rationale = (
        "Invented guideline quote: Myalgia (ICD9 729.1): 9-10 visits.\n"
        "A made-up earlier review of this: Upheld\n"
        "and another line.\n\n"
        "Second paragraph: Overturned\n"
        "is not a heading either. Not necessary."
    )
    letter = parse_letter(invented_letter(invented_item("Widget: Upheld", rationale)))
    assert len(letter.items) == 1
    assert letter.items[0].rationale.startswith("Invented guideline quote: Myalgia (ICD9 729.1)")
    assert "\n\nSecond paragraph: Overturned is not a heading either." in letter.items[0].rationale


def test_heading_directly_after_previous_rationale_without_blank_line():
    text = invented_letter(invented_item("Widget: Upheld")) + "Gadget twice a week:\nOverturned\n"
    text += "Claims Administrator guideline: None cited.\nMAXIMUS guideline: None.\n"
    text += "Decision rationale: Invented. Necessary.\n"
    letter = parse_letter(text.replace("\n\n", "\n"))
    assert [(i.request, i.outcome) for i in letter.items] == [
        ("Widget", UP),
        ("Gadget twice a week", OV),
    ]


def test_page_breaks_inside_heading_rationale_and_before_outcome():
    raw = invented_letter(
        invented_item(
            "Invented therapy for the\n\f\nleft imaginary knee: Upheld", "Cut by a\n\fpage. Done."
        ),
        invented_item("Pretend scan of the spine:\n\f \nOverturned"),
    )
    letter = parse_letter(clean_text(raw))
    assert [(i.heading, i.outcome) for i in letter.items] == [
        ("Invented therapy for the left imaginary knee", UP),
        ("Pretend scan of the spine", OV),
    ]
    assert letter.items[0].rationale == "Cut by a page. Done."


def test_outcome_on_the_same_line_as_the_next_label():
    text = invented_letter(invented_item("Widget: Upheld")).replace(
        "Widget: Upheld\n\nClaims", "Widget: Upheld Claims"
    )
    letter = parse_letter(text)
    assert [(i.request, i.outcome) for i in letter.items] == [("Widget", UP)]
    assert letter.items[0].claims_administrator_guideline.raw.startswith("The Claims")


def test_script_tags_stay_plain_text():
    letter = parse_letter(
        invented_letter(
            invented_item("<b>Widget</b>: Upheld", "See <script>alert(1)</script> done.")
        )
    )
    assert letter.items[0].heading == "<b>Widget</b>"
    assert letter.items[0].rationale == "See <script>alert(1)</script> done."


def test_truncated_rationale_is_flagged_and_kept():
    letter = parse_letter(
        invented_letter(
            invented_item("Widget: Upheld"), invented_item("Gadget: Overturned", "Given the gre")
        )
    )
    assert letter.truncated
    assert letter.warnings == ["item 2: rationale ends mid-sentence"]
    assert [i.outcome for i in letter.items] == [UP, OV]
    assert letter.items[1].rationale == "Given the gre"


def test_item_without_rationale_or_guidelines_is_flagged():
    text = (
        invented_letter(invented_item("Widget: Upheld"))
        + "\nGadget: Overturned\n\nDecision rationale:\n"
    )
    letter = parse_letter(text)
    assert letter.truncated
    assert letter.warnings == [
        "item 2: no claims administrator guideline",
        "item 2: no MAXIMUS guideline",
        "item 2: no decision rationale",
    ]


def test_letter_without_header_is_the_determination_layout():
    letter = parse_letter(invented_letter(invented_item("Widget: Upheld"), header=""))
    assert letter.layout == LAYOUT_DETERMINATION
    assert letter.header.case_number == ""
    assert letter.warnings == ["no header table"]


def test_letter_cut_before_its_items_is_kept_as_truncated():
    letter = parse_letter(invented_letter())
    assert letter.items == []
    assert letter.truncated
    assert "no disputed items found" in letter.warnings


# --- invented letters: the other layouts -------------------------------------------------------

MAXIMUS_LETTER = """MAXIMUS Federal Services
Case Number: SY13-0000042
DOCUMENTS REVIEWED
Invented notes from an imaginary clinic.
CLINICAL CASE SUMMARY
The invented worker is a 40-year-old man who injured an imaginary elbow on 3/4/12.
IMR DECISION(S) AND RATIONALE(S)
Ten imaginary widget sessions:
Overturned
Claims Administrator guideline: The Claims Administrator did not cite any medical evidence.
MAXIMUS guideline: Decision based on MTUS Chronic Pain Treatment Guidelines Page(s): 1.
Decision rationale: Invented text. The widget is medically necessary.
"""

MAXIMUS_NUMBERED_LETTER = """MAXIMUS Federal Services
Case Number: SY13-0000043
DOCUMENTS REVIEWED
Invented records.
IMR DECISION(S) AND RATIONALE(S)
1. Twelve imaginary gizmo visits are not medically necessary and appropriate.
Decision rationale: Invented reasons for the gizmo.
2. One pretend brace is medically necessary and appropriate.
Invented reasons for the brace, with no label.
"""

PROFESSIONAL_REVIEW_LETTER = """MEDICAL PROFESSIONAL REVIEW
Case Number: SY13-0000044
ISSUE AT DISPUTE: Six pretend therapy
sessions for an imaginary knee
CASE SUMMARY: The invented patient is a 61 year old female injured on
January 5, 2012 while testing software.
DOCUMENTS REVIEWED FOR DETERMINATION: Invented notes.
MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL
REVIEWER AND WHY: MTUS Chronic Pain Treatment Guidelines, Physical Medicine, page 99.
RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT
MEDICALLY NECESSARY: Invented reasoning about the pretend knee.
MEDICAL REVIEWER QUALIFICATIONS: The reviewer is Board Certified in Neurology and is
licensed to practice in California and Nevada.
"""


def test_maximus_letterhead_layout():
    letter = parse_letter(MAXIMUS_LETTER)
    assert letter.layout == LAYOUT_MAXIMUS
    assert letter.header.case_number == "SY13-0000042"
    assert (letter.patient.age, letter.patient.sex) == (40, "male")
    assert letter.patient.injury_date == date(2012, 3, 4)
    assert [(i.request, i.outcome) for i in letter.items] == [("Ten imaginary widget sessions", OV)]
    assert letter.items[0].rationale == "Invented text. The widget is medically necessary."


def test_maximus_layout_with_numbered_decisions():
    letter = parse_letter(MAXIMUS_NUMBERED_LETTER)
    assert letter.layout == LAYOUT_MAXIMUS
    assert [(i.request, i.outcome) for i in letter.items] == [
        ("Twelve imaginary gizmo visits", UP),
        ("One pretend brace", OV),
    ]
    assert letter.items[0].rationale == "Invented reasons for the gizmo."
    assert letter.items[1].rationale == "Invented reasons for the brace, with no label."
    assert not letter.truncated


def test_professional_review_layout_with_wrapped_headings():
    letter = parse_letter(PROFESSIONAL_REVIEW_LETTER)
    assert letter.layout == LAYOUT_PROFESSIONAL_REVIEW
    assert letter.header.case_number == "SY13-0000044"
    (item,) = letter.items
    assert item.request == "Six pretend therapy sessions for an imaginary knee"
    assert item.outcome == UP
    assert item.rationale == "Invented reasoning about the pretend knee."
    assert item.imr_guideline.raw.startswith("MTUS Chronic Pain Treatment Guidelines")
    assert letter.summary.startswith("The invented patient is a 61 year old female")
    assert letter.patient.injury_date == date(2012, 1, 5)
    assert letter.reviewer.licensure == ["California", "Nevada"]
    assert letter.reviewer.specialties == normalise_specialties(["Neurology"])
    assert letter.warnings == [] and not letter.truncated


def test_professional_review_that_overturns():
    text = PROFESSIONAL_REVIEW_LETTER.replace("IS/WAS NOT\nMEDICALLY", "IS\nMEDICALLY")
    assert parse_letter(text).items[0].outcome == OV


# --- not letters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n ",
        "It was a bright cold day in April. Nothing here is upheld: Upheld\nor overturned.",
        "<html><head><title>Search</title></head><body><script>x()</script>"
        "<p>Case Number: CM16-0000000</p></body></html>",
        "CLINICAL CASE SUMMARY\nJust a heading and nothing else.",
        "IMR ISSUES, DECISIONS AND RATIONALES\nNothing follows.",
    ],
)
def test_not_a_letter(text):
    with pytest.raises(NotALetter) as caught:
        parse_letter(text)
    assert caught.value.reason


# --- the seeds -------------------------------------------------------------------------------


@functools.cache
def letter_text(path: Path) -> str:
    """Extraction is the slow part (pypdf); each sample is extracted once per test run."""
    return extract_letter_text(path.read_bytes(), path.name)


def parse_seed(letters_dir, prefix):
    return parse_letter(letter_text(seed_path(letters_dir, prefix)))


SEEDS = {
    # prefix: (headings, outcomes, raw specialties, licensure, age, sex, injury date)
    "000": (
        ["Individual psychotherapy 1 time a week for 20 sessions"],
        [UP],
        ["Psychiatry"],
        ["California", "Arizona", "Maryland"],
        55,
        "female",
        date(1996, 2, 19),
    ),
    "001": (
        [
            "Chronic pain psychology evaluation and six sessions of treatment",
            "Chronic pain physical therapy evaluation and six visits of treatment",
        ],
        [UP, OV],
        ["psychiatry"],
        ["California"],
        51,
        "male",
        date(2011, 5, 27),
    ),
    "002": (
        ["COGNITIVE BEHAVIORAL THERAPY X 12 SESSIONS", "BIOFEEDBACK X 6 SESSIONS"],
        [UP, OV],
        ["Clinical Psychology", "Health Psychology", "Pain Management"],
        ["California"],
        51,
        "male",
        date(2010, 9, 9),
    ),
    "003": (
        [
            "WEEKLY COGNITIVE BEHAVIORAL SESSIONS QUANTITY: 24 WEEKS",
            "MONTHLY MEDICATION MANAGEMENT (IN MONTHS) QUANTITY: 6.00",
            "KLONOPIN 1MG TABLETS QUANTITY: 30.00",
        ],
        [UP, OV, UP],
        ["Occupational Medicine", "Preventative Medicine"],
        ["California"],
        52,
        "female",
        date(2009, 3, 12),
    ),
    "004": (
        ["PSYCHOTHERAPY SESSIONS ONCE PER WEEK FOR 45 DAYS(SESSIONS QTY: 8"],
        [UP],
        ["Psychology", "Health Psychology", "pain management"],
        ["California"],
        49,
        "male",
        date(2014, 7, 3),
    ),
}


@pytest.mark.parametrize("prefix", sorted(SEEDS))
def test_seed(letters_dir, prefix):
    headings, outcomes, specialties, licensure, age, sex, injury = SEEDS[prefix]
    letter = parse_seed(letters_dir, prefix)
    assert letter.layout == LAYOUT_DETERMINATION
    assert [i.heading for i in letter.items] == headings
    assert [i.request for i in letter.items] == headings
    assert [i.outcome for i in letter.items] == outcomes
    assert letter.reviewer.specialties == normalise_specialties(specialties)
    assert letter.reviewer.licensure == licensure
    assert (letter.patient.age, letter.patient.sex, letter.patient.injury_date) == (
        age,
        sex,
        injury,
    )
    assert letter.summary and not letter.summary.lower().startswith("the expert reviewer developed")
    assert all(i.rationale and i.imr_guideline.raw for i in letter.items)
    assert all(i.claims_administrator_guideline.raw for i in letter.items)
    assert letter.header.case_number == ""


def test_seed_001_is_truncated_with_mojibake_repaired(letters_dir):
    letter = parse_seed(letters_dir, "001")
    assert letter.truncated
    assert letter.warnings == ["no header table", "item 2: rationale ends mid-sentence"]
    assert "\u00a7\u00a79792.20" in letter.items[0].rationale
    # The rationale keeps the text up to where the file stops, cut word included.
    last_words = seed_path(letters_dir, "001").read_text(encoding="utf-8").split()[-3:]
    assert letter.items[1].rationale.split()[-3:] == last_words
    assert not letter.items[1].rationale.rstrip().endswith((".", "!", "?"))
    assert "board certified in psychiatry" in letter.reviewer.raw.lower()


@pytest.mark.parametrize("prefix", ["000", "002", "003", "004"])
def test_complete_seeds_are_not_truncated(letters_dir, prefix):
    letter = parse_seed(letters_dir, prefix)
    assert not letter.truncated
    assert letter.warnings == ["no header table"]


def test_seed_004_redaction_blank(letters_dir):
    path = seed_path(letters_dir, "004")
    assert "officer at  on" in path.read_text()
    letter = parse_seed(letters_dir, "004")
    assert "officer at on July" in letter.summary
    assert "  " not in letter.summary


def test_seed_003_claims_administrator_guideline_is_unwrapped(letters_dir):
    item = parse_seed(letters_dir, "003").items[0]
    assert item.claims_administrator_guideline.raw.startswith("Decision based on MTUS Chronic Pain")
    assert "\n" not in item.claims_administrator_guideline.raw


# --- chosen PDFs -----------------------------------------------------------------------------


def parse_pdf(letters_dir, stem):
    path = letters_dir / "pdf" / f"{stem}.pdf"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return parse_letter(letter_text(path))


# stem: (date assigned, of injury, decision, UR denial, application received; item outcomes)
PDFS = {
    "CM17-0014449": ("01/27/2017 10/15/2016 02/27/2017 01/06/2017 01/23/2017", "U" * 15),
    "CM16-0234464": ("12/16/2016 10/14/2016 01/20/2017 11/08/2016 12/06/2016", "UUUUUU"),
    "CM16-0239110": ("12/22/2016 10/18/2016 01/20/2017 11/29/2016 12/13/2016", "O"),
    "CM17-0007142": ("01/12/2017 11/06/2016 02/13/2017 12/23/2016 01/03/2017", "OOOUOOUUU"),
    "CM16-0237844": ("12/14/2016 10/20/2016 01/12/2017 12/05/2016 12/12/2016", "U"),
    "CM17-0010885": ("01/20/2017 10/18/2016 02/14/2017 01/10/2017 01/17/2017", "OO"),
}


def us_date(text: str) -> date:
    month, day, year = (int(part) for part in text.split("/"))
    return date(year, month, day)


@pytest.mark.parametrize("stem", sorted(PDFS))
def test_chosen_pdf_header_and_items(letters_dir, stem):
    dates, outcomes = PDFS[stem]
    letter = parse_pdf(letters_dir, stem)
    h = letter.header
    assert letter.layout == LAYOUT_POSTED
    assert (h.case_number, h.priority) == (stem, "Standard")
    assert [
        h.date_assigned,
        h.date_of_injury,
        h.decision_date,
        h.ur_denial_date,
        h.application_received,
    ] == [us_date(d) for d in dates.split()]
    assert [i.outcome for i in letter.items] == [{"U": UP, "O": OV}[o] for o in outcomes]
    assert [i.ordinal for i in letter.items] == list(range(1, len(outcomes) + 1))
    assert letter.warnings == [] and not letter.truncated


def test_pdf_with_many_associated_surgical_services(letters_dir):
    letter = parse_pdf(letters_dir, "CM17-0014449")
    assert letter.items[1].heading == "Associated surgical service: Ultrasling"
    assert letter.items[1].request == "Ultrasling"
    assert letter.items[9].request == "Labs - CBC"
    assert letter.reviewer.licensure == ["Texas"]
    assert letter.reviewer.specialties == normalise_specialties(["Orthopedic Surgery"])


def test_pdf_with_modified_request_and_outcome_before_next_label(letters_dir):
    letter = parse_pdf(letters_dir, "CM16-0234464")
    item = letter.items[4]
    assert (item.request, item.original_request, item.authorized) == (
        "Cyclobenzaprine 7.5mg #27",
        "Cyclobenzaprine 7.5mg #90",
        "Cyclobenzaprine 7.5mg #63",
    )
    # The third heading shares its line with the next label in the PDF text.
    assert letter.items[2].request == "Single positional MRI of the right hand"
    assert letter.items[2].claims_administrator_guideline.raw.startswith("Decision based on MTUS")


def test_pdf_with_quantity_colon_in_heading(letters_dir):
    (item,) = parse_pdf(letters_dir, "CM16-0239110").items
    assert item.heading == "Oxycodone HCL ER 20mg #60 day supply: 30"
    assert item.outcome == OV


def test_pdf_with_modified_request_left_whole(letters_dir):
    items = parse_pdf(letters_dir, "CM16-0249724").items
    assert [i.request for i in items] == [
        "standard wheelchair for a 2 month rental",
        "purchase of a bedside 3 in 1 commode",
        "purchase of a bath/shower chair",
    ]
    assert items[2].authorized == "a bath/shower chair for 1 month"


def test_pdf_with_several_specialties_over_two_lines(letters_dir):
    letter = parse_pdf(letters_dir, "CM17-0010885")
    assert letter.reviewer.licensure == ["Iowa", "Montana", "California"]
    assert letter.reviewer.specialties == normalise_specialties(
        [
            "Preventive Medicine",
            "Occupational Medicine",
            "Public Health & General Preventive Medicine",
        ]
    )
    letter = parse_pdf(letters_dir, "CM16-0237844")
    assert letter.reviewer.specialties == normalise_specialties(
        ["Anesthesiology", "Pain Management", "Hospice & Palliative Medicine"]
    )
    assert letter.patient.age == 51 and letter.patient.sex == "female"


# --- every sample ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def all_texts(sample_texts):
    return dict(sample_texts)


def test_every_sample_extracts_to_clean_text(all_texts):
    for name, text in all_texts.items():
        assert "IMR ISSUES, DECISIONS AND RATIONALES" in text, name
        assert "\f" not in text and "\r" not in text and "\u00a0" not in text, name
        assert all(line == line.rstrip() for line in text.split("\n")), name
        assert "\n\n\n" not in text, name


def test_every_sample_parses(all_texts):
    for name, text in all_texts.items():
        letter = parse_letter(text)
        assert letter.items, name
        for item in letter.items:
            assert item.outcome in OUTCOMES, name
            assert item.request.strip() and item.heading.strip(), name
            assert item.rationale, name
            assert "Claims Administrator guideline" not in item.rationale, name
        if name.endswith(".pdf"):
            assert letter.layout == LAYOUT_POSTED
            assert letter.header.case_number == name.removesuffix(".pdf")
            assert letter.header.decision_date is not None
            assert letter.reviewer.licensure and letter.reviewer.specialties, name
            assert letter.patient.age is not None and letter.patient.sex, name
            # One item per "Claims Administrator guideline" line.
            assert len(letter.items) == text.count("Claims Administrator guideline:"), name
            if name == "CM17-0009887.pdf":
                # Its last rationale ends "... not medically necessary" with no full stop.
                assert not letter.truncated
            assert letter.warnings == [], name
            assert not letter.truncated, name
        else:
            assert letter.layout == LAYOUT_DETERMINATION


def test_parsing_is_fast(all_texts):
    texts = list(all_texts.values())
    for text in texts:
        parse_letter(text)
    started = time.perf_counter()
    for text in texts:
        parse_letter(text)
    elapsed = time.perf_counter() - started
    # Measured at over 1,000 letters a second; this only catches a pathological slowdown.
    assert len(texts) / elapsed > 100


# --- robustness --------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "IMR ISSUES, DECISIONS AND RATIONALES",
                "CLINICAL CASE SUMMARY",
                "HOW THE IMR FINAL DETERMINATION WAS MADE",
                "Case Number: CM16-0000001",
                "Widget: Upheld",
                "Gadget:",
                "Overturned",
                "Claims Administrator guideline: none",
                "MAXIMUS guideline: none",
                "Decision rationale: invented.",
                "State(s) of Licensure: Nevada",
                "The worker is a 40 year old male injured on 1/2/03.",
                "",
                "\f",
            ]
        )
        | st.text(max_size=40),
        max_size=40,
    )
)
def test_any_text_parses_or_is_refused(lines):
    try:
        letter = parse_letter("\n".join(lines))
    except NotALetter as refused:
        assert refused.reason
        return
    assert all(item.outcome in OUTCOMES and item.request for item in letter.items)
    assert letter.items or letter.truncated


def test_hostile_sizes_stay_fast():
    blank_gaps = (
        "IMR ISSUES, DECISIONS AND RATIONALES\nGadget:\n" + ("\n" * 2000 + "Upheld\n") * 300
    )
    colons = ("x: " * 3000 + "\n") * 30
    modified = (
        "IMR ISSUES, DECISIONS AND RATIONALES\n"
        + ("a was the original request. " * 40 + ": Upheld\nDecision rationale: x.\n") * 50
    )
    for text in (blank_gaps, colons, modified):
        started = time.perf_counter()
        try:
            parse_letter(text)
        except NotALetter:
            pass
        # A guard against backtracking that grows with the input (minutes), not a speed goal.
        assert time.perf_counter() - started < 10
