import re

import pytest

from search.letters.citations import (
    MTUS_GUIDELINES,
    MTUS_SECTIONS,
    ODG_CHAPTERS,
    parse_guideline,
    split_sections,
)
from search.letters.domain import (
    ACOEM,
    FLAG_MTUS_AS_NON_MTUS,
    FLAG_NO_EVIDENCE,
    FLAG_NOT_MTUS,
    MTUS,
    ODG,
    OTHER,
    SOURCES,
)


def summary(text: str) -> list[tuple]:
    """(source, guideline, sections, pages, edition, flags) per citation."""
    return [
        (c.source, c.guideline, c.sections, c.pages, c.edition, c.flags)
        for c in parse_guideline(text).citations
    ]


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        (
            "The Claims Administrator did not cite any medical evidence for its decision.",
            [FLAG_NO_EVIDENCE],
        ),
        (
            "The Expert Reviewer did not cite any medical evidence for its decision.",
            [FLAG_NO_EVIDENCE],
        ),
        ("", []),
    ],
)
def test_no_evidence_gives_a_flag_and_no_citation(text, flags):
    result = parse_guideline(text)
    assert result.citations == []
    assert result.flags == flags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Decision based on MTUS Chronic Pain Treatment Guidelines Page(s): 23, 100-102",
            [(MTUS, "Chronic Pain", [], ["23", "100-102"], "", [])],
        ),
        (
            "Decision based on MTUS Chronic Pain Treatment Guidelines Benzodiazepines Page(s): 24.",
            [(MTUS, "Chronic Pain", ["Benzodiazepines"], ["24"], "", [])],
        ),
        (
            "Decision based on MTUS Chronic Pain Treatment Guidelines Psychological treatment "
            "Page(s): Page(s) 23, 100-102.",
            [(MTUS, "Chronic Pain", ["Psychological treatment"], ["23", "100-102"], "", [])],
        ),
        (
            "Decision based on MTUS ACOEM Chapter 15 Stress Related Conditions Page(s): 398",
            [(MTUS, "Stress Related Conditions", [], ["398"], "", [])],
        ),
        (
            "Decision based on MTUS ACOEM Chapter 12 Page(s): 303",
            [(MTUS, "Low Back", [], ["303"], "", [])],
        ),
        (
            "Decision based on MTUS Low Back Complaints 2004.",
            [(MTUS, "Low Back", [], [], "2004", [])],
        ),
        (
            "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): "
            "Topical analgesics.",
            [(MTUS, "Chronic Pain", ["Topical analgesics"], [], "2016", [])],
        ),
        (
            "Decision based on MTUS Opioid Treatment 2016, Section(s): "
            "2. Opioids for Subacute Pain.",
            [(MTUS, "Opioid Treatment", ["2. Opioids for Subacute Pain"], [], "2016", [])],
        ),
        (
            "Decision based on MTUS Elbow Complaints 2007, Section(s): 326, Diagnostic Criteria.",
            [(MTUS, "Elbow", ["Diagnostic Criteria"], ["326"], "2007", [])],
        ),
    ],
)
def test_mtus_citations(text, expected):
    assert summary(text) == expected


def test_section_names_with_commas_stay_whole():
    text = (
        "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): NSAIDs "
        "(non-steroidal anti-inflammatory drugs), NSAIDs, GI symptoms & cardiovascular risk, "
        "Proton Pump Inhibitors (PPIs)."
    )
    assert summary(text) == [
        (
            MTUS,
            "Chronic Pain",
            [
                "NSAIDs (non-steroidal anti-inflammatory drugs)",
                "NSAIDs, GI symptoms & cardiovascular risk",
                "Proton Pump Inhibitors (PPIs)",
            ],
            [],
            "2016",
            [],
        )
    ]


def test_section_spelling_follows_the_vocabulary():
    assert split_sections(
        "tens, chronic pain (transcutaneous electrical nerve stimulation), Summary"
    ) == [
        "tens, chronic pain (transcutaneous electrical nerve stimulation)",
        "Summary",
    ]
    text = (
        "Decision based on MTUS Low Back Complaints 2004, Section(s): "
        "Diagnositc Criteria, special studies."
    )
    assert summary(text)[0][2] == ["Diagnostic Criteria", "Special Studies"]


def test_several_mtus_guidelines_in_one_sentence():
    text = (
        "Decision based on MTUS Low Back Complaints 2004, Section(s): Summary, and Chronic Pain "
        "Medical Treatment 2016, Section(s): Facet blocks. Decision based on Non-MTUS Citation "
        "ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back Disorders, pg. 607."
    )
    result = parse_guideline(text)
    assert [(c.source, c.guideline, c.sections, c.pages, c.edition) for c in result.citations] == [
        (MTUS, "Low Back", ["Summary"], [], "2004"),
        (MTUS, "Chronic Pain", ["Facet blocks"], [], "2016"),
        (ACOEM, "Low Back Disorders", [], ["607"], "3rd ed."),
    ]
    assert result.citations[0].raw == "Low Back Complaints 2004, Section(s): Summary"
    assert result.citations[2].raw.startswith("ACOEM Occupational Medicine")


def test_forearm_guideline_and_postsurgical_section_with_commas():
    text = (
        "Decision based on MTUS Forearm, Wrist, and Hand Complaints 2004, Section(s): "
        "Work-Relatedness, and Postsurgical Treatment 2009, Section(s): Forearm, Wrist, & Hand."
    )
    assert summary(text) == [
        (MTUS, "Forearm, Wrist, and Hand", ["Work-Relatedness"], [], "2004", []),
        (MTUS, "Postsurgical Treatment", ["Forearm, Wrist, & Hand"], [], "2009", []),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Official Disability Guidelines (ODG) Low Back Chapter, Heat therapy.",
            [(ODG, "Low Back", ["Heat therapy"])],
        ),
        (
            "Official Disability Guidelines, Low Back - Lumbar & Thoracic (Acute & Chronic), "
            "Electrodiagnostic Studies (EDS); Nerve Conduction Studies (NCS).",
            [
                (
                    ODG,
                    "Low Back",
                    ["Electrodiagnostic studies (EDS)", "Nerve conduction studies (NCS)"],
                )
            ],
        ),
        ("Official Disability Guidelines (ODG) Pain, MRI.", [(ODG, "Pain (Chronic)", ["MRI"])]),
        (
            "Official Disability Guidelines (ODG) Pain (Benzodiazepines).",
            [(ODG, "Pain (Chronic)", ["Benzodiazepines"])],
        ),
        (
            "Official Disability Guidelines (ODG), Knee & Leg (updated 11/22/16) Chapter: "
            "Skilled nursing facility (SNF) care.",
            [(ODG, "Knee & Leg", ["Skilled nursing facility (SNF) care"])],
        ),
        (
            "Official Disability Guidelines, 2016, Web Version, "
            "Criteria for skilled nursing facility.",
            [(ODG, "", ["Criteria for skilled nursing facility"])],
        ),
        (
            "ODG Guidelines, 14th Edition, 2016, Knee Chapter.",
            [(ODG, "Knee & Leg", [])],
        ),
        (
            "Official Disability Guidelines, Forearm, Wrist, and Hand Chapter (Online Version): "
            "Physical/Occupational Therapy",
            [(ODG, "Forearm, Wrist & Hand", ["Physical/Occupational therapy"])],
        ),
        (
            "Official Disability Guidelines (ODG) Mental Illnes and Stress Chapter, Office Visits",
            [(ODG, "Mental Illness & Stress", ["Office visits"])],
        ),
        (
            "Official Disability Guidelines (ODG) mental illness and stress chapter, topic: "
            "cognitive behavioral therapy, psychotherapy guidelines, November 2014 update.",
            [
                (
                    ODG,
                    "Mental Illness & Stress",
                    ["Cognitive behavioral therapy", "Psychotherapy guidelines"],
                )
            ],
        ),
        (
            "Official Disability Guidelines (ODG) Knee Chapter Indications for surgery.",
            [(ODG, "Knee & Leg", ["Indications for surgery"])],
        ),
        (
            "Official Disability Guidelines, Shoulder Chapter, Hand Chapter, Physical therapy.",
            [
                (ODG, "Shoulder", ["Physical therapy"]),
                (ODG, "Forearm, Wrist & Hand", ["Physical therapy"]),
            ],
        ),
        (
            "Official Disability Guidelines (ODG) Knee/DME, "
            "Low Back Lumbar and Thoracic/Mattress selection",
            [(ODG, "Knee & Leg", ["DME"]), (ODG, "Low Back", ["Mattress selection"])],
        ),
        (
            "Shoulder (Acute & Chronic), Physical Therapy, ODG Preface – Physical Therapy.",
            [(ODG, "Shoulder", ["Physical therapy"]), (ODG, "Preface", ["Physical therapy"])],
        ),
    ],
)
def test_odg_chapters_and_topics(text, expected):
    result = parse_guideline(f"Decision based on Non-MTUS Citation {text}")
    assert [(c.source, c.guideline, c.sections) for c in result.citations] == expected


def test_outside_mtus_preamble_sets_the_not_mtus_flag():
    text = (
        "The Expert Reviewer did not base their decision on the MTUS. Decision based on "
        "Non-MTUS Citation Official Disability Guidelines (ODG) Pain, Behavioral Interventions."
    )
    result = parse_guideline(text)
    assert result.flags == [FLAG_NOT_MTUS]
    assert summary(text) == [(ODG, "Pain (Chronic)", ["Behavioral interventions"], [], "", [])]


def test_mtus_cited_as_non_mtus_is_flagged():
    text = (
        "The Expert Reviewer did not base their decision on the MTUS. Decision based on Non-MTUS "
        "Citation MTUS: CHRONIC PAIN MEDICAL TREATMENT GUIDELINES, PART TWO, BEHAVIORAL "
        "INTERVENTIONS, COGNITIVE BAHAVIORAL THERAPY, 24-25"
    )
    result = parse_guideline(text)
    assert result.flags == [FLAG_NOT_MTUS, FLAG_MTUS_AS_NON_MTUS]
    assert summary(text) == [
        (
            MTUS,
            "Chronic Pain",
            ["Behavioral interventions", "Cognitive behavioral therapy"],
            ["24-25"],
            "",
            [FLAG_MTUS_AS_NON_MTUS],
        )
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ACOEM Hip and Groin Chapter/Diagnostic and treatment recommendations.",
            [(ACOEM, "Hip and Groin Disorders", ["Diagnostic and treatment recommendations"])],
        ),
        ("http://www.drugs.com/famotidine.html.", [(OTHER, "Drugs.com", [])]),
        ("UpToDate: Treatment of lumbar spinal stenosis.", [(OTHER, "UpToDate", [])]),
        (
            "Centers for Medicare and Medicaid services, Physician Fee Schedule Search.",
            [(OTHER, "CMS", [])],
        ),
        ("Smith J et al. A study of something. J Pain 2010.", [(OTHER, "", [])]),
        (
            "ACOEM guidelines and the Official Disability Guidelines.",
            [(ACOEM, "", []), (ODG, "", [])],
        ),
        (
            "Official Disability Guidelines (ODG) Low Back/Intra-operative monitoring and Other "
            "Medical Treatment Guidelines http://www.aetna.com/cpb/medical/data/100_199/0181.html.",
            [(ODG, "Low Back", ["Intra-operative monitoring"]), (OTHER, "Aetna", [])],
        ),
    ],
)
def test_acoem_and_other_sources(text, expected):
    result = parse_guideline(f"Decision based on Non-MTUS Citation {text}")
    assert [(c.source, c.guideline, c.sections) for c in result.citations] == expected


def test_whitespace_is_normalised_and_raw_kept():
    result = parse_guideline(
        "Decision based on MTUS Low Back\n  Complaints 2004,\nSection(s): Summary."
    )
    assert result.raw == "Decision based on MTUS Low Back Complaints 2004, Section(s): Summary."
    assert summary(result.raw) == [(MTUS, "Low Back", ["Summary"], [], "2004", [])]
    assert (
        parse_guideline("Decision based on Non- MTUS Citation ODG Neck Chapter").citations[0].source
        == ODG
    )


def test_labels_read_as_facets():
    citation = parse_guideline(
        "Decision based on MTUS Chronic Pain Treatment Guidelines Topical analgesics "
        "Page(s): 111-113."
    ).citations[0]
    assert citation.label == "MTUS > Chronic Pain"
    assert citation.section_labels == ["MTUS > Chronic Pain > Topical analgesics"]
    assert citation.page_labels == ["MTUS Chronic Pain p. 111-113"]


def test_vocabularies_are_exported():
    assert MTUS_GUIDELINES[0] == "Chronic Pain"
    assert "Low Back" in ODG_CHAPTERS and "Pain (Chronic)" in ODG_CHAPTERS
    assert "NSAIDs, GI symptoms & cardiovascular risk" in MTUS_SECTIONS
    assert len(set(MTUS_SECTIONS)) == len(MTUS_SECTIONS)


# --- the sample letters -------------------------------------------------------------------------

_GUIDELINE_RE = re.compile(
    r"(Claims Administrator|MAXIMUS) guideline:(.*?)(?=Decision rationale:|MAXIMUS guideline:|$)",
    re.S,
)


def test_every_guideline_paragraph_of_the_sample_letters_is_understood(sample_pdf_pages):
    paragraphs = [
        (name, party, match)
        for name, pages in sample_pdf_pages.items()
        for party, match in _GUIDELINE_RE.findall("\n".join(pages))
    ]
    assert len(paragraphs) > 400
    odg_chapters, sections, unnamed_odg = set(), set(), 0
    for name, party, text in paragraphs:
        result = parse_guideline(text)
        assert result.citations or result.flags, (name, party, text)
        for citation in result.citations:
            assert citation.source in SOURCES and citation.source, (name, text)
            assert citation.raw, (name, text)
            if citation.source == ODG:
                assert citation.guideline in ODG_CHAPTERS or citation.guideline == "", (name, text)
                odg_chapters.add(citation.guideline)
                unnamed_odg += citation.guideline == ""
            if citation.source == MTUS:
                assert citation.guideline in MTUS_GUIDELINES, (name, text)
                sections.update(citation.sections)
    print(f"\n{len(paragraphs)} guideline paragraphs; ODG chapters: {sorted(odg_chapters)}")
    print(f"ODG citations without a chapter: {unnamed_odg}; MTUS sections: {len(sections)}")
    unknown = sorted(s for s in sections if s not in MTUS_SECTIONS)
    assert not unknown, unknown
