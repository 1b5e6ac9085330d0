import re

import pytest

from search.letters.specialties import SPECIALTIES, normalise_specialties, split_specialties


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Preventive Medicine, Occupational Medicine",
            ["Preventive Medicine", "Occupational Medicine"],
        ),
        ("Health Psychology and Pain Management", ["Health Psychology", "Pain Management"]),
        ("Physical Medicine and Rehabilitation", ["Physical Medicine and Rehabilitation"]),
        (
            "Physical Medicine & Rehabilitation, Pain Management",
            ["Physical Medicine & Rehabilitation", "Pain Management"],
        ),
        (
            "Anesthesiology, Pain Management, Hospice & Palliative Medicine",
            ["Anesthesiology", "Pain Management", "Hospice & Palliative Medicine"],
        ),
        (
            "Preventive Medicine, Occupational Medicine, "
            "Public Health & General Preventive Medicine",
            [
                "Preventive Medicine",
                "Occupational Medicine",
                "Public Health & General Preventive Medicine",
            ],
        ),
        ("Basket Weaving and Tea Tasting", ["Basket Weaving", "Tea Tasting"]),
        ("", []),
    ],
)
def test_split_specialties(text, expected):
    assert split_specialties(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["Preventative Medicine"], ["Preventive Medicine"]),
        (["Physical Medicine and Rehabilitation"], ["Physical Medicine & Rehabilitation"]),
        (["PM&R"], ["Physical Medicine & Rehabilitation"]),
        (["Orthopaedic Surgery"], ["Orthopedic Surgery"]),
        (["Family Medicine"], ["Family Practice"]),
        (["Pain Medicine"], ["Pain Management"]),
        (["Chiropractor"], ["Chiropractic"]),
        (["psychiatry"], ["Psychiatry"]),
        (["Orthopedic Surgery, Sports Medicinea"], ["Orthopedic Surgery", "Sports Medicine"]),
        (["Board Certified in psychiatry"], ["Psychiatry"]),
        (
            [
                "licensed in Clinical Psychology, "
                "has a subspecialty in Health Psychology and pain management"
            ],
            ["Clinical Psychology", "Health Psychology", "Pain Management"],
        ),
        (
            ["Internal Medicine", "internal medicine", "Rheumatology"],
            ["Internal Medicine", "Rheumatology"],
        ),
        (["underwater medicine"], ["Underwater Medicine"]),
        ([], []),
    ],
)
def test_normalise_specialties(raw, expected):
    assert normalise_specialties(raw) == expected


def test_vocabulary_is_sorted_and_unique():
    assert SPECIALTIES == sorted(SPECIALTIES)
    assert len(set(SPECIALTIES)) == len(SPECIALTIES)
    assert 50 <= len(SPECIALTIES) <= 65


# The value may wrap after "&" or a comma ("Public Health &" / "General Preventive Medicine").
_SPECIALTY_RE = re.compile(r"Certification\(s\)/Specialty:([^\n]*?(?:[&,][ \t]*\n[^\n]*)?)[ \t]*\n")


def test_every_sample_specialty_is_in_the_vocabulary(sample_pdf_pages):
    # The credentials block sits on the first page, before the case summary.
    values = [
        " ".join(match.split())
        for pages in sample_pdf_pages.values()
        for match in _SPECIALTY_RE.findall(pages[0])
    ]
    assert len(values) >= 90
    found = set()
    for value in values:
        names = normalise_specialties([value])
        assert names, value
        assert set(names) <= set(SPECIALTIES), (value, names)
        found.update(names)
    print(f"\n{len(values)} credentials lines, {len(found)} specialties: {sorted(found)}")
