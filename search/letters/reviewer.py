"""Read the reviewer's credentials and the patient facts of the clinical case summary."""

from __future__ import annotations

import re
from datetime import date

from search.letters.domain import ParsedLetter, Patient, Reviewer
from search.letters.header import make_date
from search.letters.unwrap import unwrap

# Boilerplate sentence that is not part of the case summary it introduces.
_SUMMARY_INTRO = re.compile(
    r"^\s*The\s+(?:expert\s+|physician\s+|professional\s+|medical\s+)?reviewer\s+developed\s+"
    r"the\s+following\s+clinical\s+case\s+summary\b[^:\n]*(?:\n[^:\n]*)?:\s*",
    re.I,
)

_LICENSURE_BLOCK = re.compile(
    r"State\s*\(\s*s\s*\)\s+of\s+Licensure\s*:[ \t]*(?P<value>[^\n]*)", re.I
)
_SPECIALTY_BLOCK = re.compile(
    r"Certification\s*\(\s*s\s*\)\s*/\s*Specialty\s*:[ \t]*(?P<value>[^\n]*(?:\n[ \t]*\S[^\n]*)*)",
    re.I,
)
_CREDENTIAL_SENTENCE = re.compile(
    r"board\s+certified|certified\s+in|licensed\s+(?:in|to\s+practice)|subspecialty", re.I
)
_CERTIFIED_IN = re.compile(
    r"\b(?:board\s+)?certified\s+in\s+(?P<value>.+?)(?=,\s*has\b|,?\s+and\s+(?:is|has)\b|,?\s+is\b|\.|$)",
    re.I,
)
_LICENSED_IN = re.compile(
    r"\blicensed\s+in\s+(?P<value>.+?)(?=,\s*has\b|,?\s+and\s+(?:is|has)\b|,?\s+is\b|\.|$)", re.I
)
_SUBSPECIALTY_IN = re.compile(
    r"\bsub-?specialty\s+in\s+(?P<value>.+?)(?=,?\s+and\s+is\b|,\s*has\b|,?\s+is\b|\.|$)", re.I
)
_LICENSED_TO_PRACTICE = re.compile(
    r"\blicensed\s+to\s+practice\s+in\s+(?:the\s+states?\s+of\s+)?(?P<value>.+?)(?=,?\s+and\s+(?:is|has)\b|\.|$)",
    re.I,
)
# Specialty names that contain "and" and must not be split on it.
_SPECIALTIES_WITH_AND = re.compile(
    r"physical\s+medicine\s+(?:and|&)\s+rehabilitation|hospice\s+(?:and|&)\s+palliative\s+medicine"
    r"|public\s+health\s+(?:and|&)\s+general\s+preventive\s+medicine|obstetrics\s+(?:and|&)\s+"
    r"gynecology|allergy\s+(?:and|&)\s+immunology|psychiatry\s+(?:and|&)\s+neurology"
    r"|plastic\s+(?:and|&)\s+reconstructive\s+surgery|head\s+(?:and|&)\s+neck\s+surgery",
    re.I,
)
_LIST_SEPARATOR = re.compile(r"\s*[,;]\s*|\s+and\s+", re.I)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")

_AGE = re.compile(r"\b(?P<age>\d{1,3})\s*-?\s*years?\s*-?\s*old\b", re.I)
_SEX = re.compile(r"\b(?P<sex>female|male|woman|man|gentleman|lady)\b", re.I)
_SEX_WORDS = {
    "female": "female",
    "woman": "female",
    "lady": "female",
    "male": "male",
    "man": "male",
    "gentleman": "male",
}
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ANY_DATE = (
    r"(?:(?P<m>\d{1,2})[/-](?P<d>\d{1,2})[/-]\s?(?P<y>\d{4}|\d{2})\b"
    rf"|(?P<month>{_MONTH_NAMES})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}}))"
)
_INJURY_DATE = re.compile(
    r"\b(?:injur(?:y|ed)|occupational\s+claim|date\s+of\s+loss)\b[^.]{0,100}?" + _ANY_DATE, re.I
)


def fill_reviewer_and_summary(letter: ParsedLetter, how: str | None, summary: str | None) -> None:
    if how is None:
        letter.warnings.append(
            "could not find the HOW THE IMR FINAL DETERMINATION WAS MADE section"
        )
    else:
        letter.reviewer = _parse_reviewer(how)
        if not letter.reviewer.raw:
            letter.warnings.append("could not find the reviewer's credentials")
    if summary is None:
        letter.warnings.append("could not find the CLINICAL CASE SUMMARY section")
        return
    letter.summary = unwrap(_SUMMARY_INTRO.sub("", summary, count=1))
    letter.patient = _parse_patient(letter.summary)


def _parse_reviewer(text: str) -> Reviewer:
    licensure = _LICENSURE_BLOCK.search(text)
    specialty = _SPECIALTY_BLOCK.search(text)
    if licensure or specialty:
        raw_lines = [m.group(0).strip() for m in (licensure, specialty) if m]
        states = _split_list(licensure.group("value")) if licensure else []
        names = (
            [s.strip() for s in re.split(r"[,;]", " ".join(specialty.group("value").split()))]
            if specialty
            else []
        )
        return Reviewer(
            licensure=states,
            specialties=_normalise_specialties([n for n in names if n]),
            raw="\n".join(raw_lines),
        )
    sentences = [
        s for s in _SENTENCE_SPLIT.split(" ".join(text.split())) if _CREDENTIAL_SENTENCE.search(s)
    ]
    if not sentences:
        return Reviewer()
    raw = " ".join(sentences)
    names: list[str] = []
    for pattern in (_CERTIFIED_IN, _LICENSED_IN, _SUBSPECIALTY_IN):
        for match in pattern.finditer(raw):
            names.extend(_split_specialties(match.group("value")))
    states: list[str] = []
    for match in _LICENSED_TO_PRACTICE.finditer(raw):
        states.extend(_split_list(match.group("value")))
    return Reviewer(licensure=states, specialties=_normalise_specialties(names), raw=raw)


def _split_list(value: str) -> list[str]:
    return [part.strip(" .") for part in _LIST_SEPARATOR.split(value.strip()) if part.strip(" .")]


def _split_specialties(value: str) -> list[str]:
    """Split "Health Psychology and Pain Management", not "Physical Medicine and Rehabilitation"."""
    protected: list[str] = []

    def protect(match: re.Match[str]) -> str:
        protected.append(match.group(0))
        return f"\x00{len(protected) - 1}\x00"

    masked = _SPECIALTIES_WITH_AND.sub(protect, value)
    parts = _split_list(masked)
    return [re.sub(r"\x00(\d+)\x00", lambda m: protected[int(m.group(1))], part) for part in parts]


def _normalise_specialties(names: list[str]) -> list[str]:
    from search.letters.specialties import normalise_specialties

    return normalise_specialties(names)


def _parse_patient(summary: str) -> Patient:
    patient = Patient()
    age = _AGE.search(summary)
    if age:
        patient.age = int(age.group("age"))
        sex = _SEX.search(summary, age.end(), age.end() + 60)
        if sex:
            patient.sex = _SEX_WORDS[sex.group("sex").lower()]
    injury = _INJURY_DATE.search(summary)
    if injury:
        patient.injury_date = _date_from_match(injury)
    return patient


def _date_from_match(match: re.Match[str]) -> date | None:
    if match.group("m"):
        month, day, year = int(match.group("m")), int(match.group("d")), match.group("y")
    else:
        month = _MONTHS[match.group("month").lower()]
        day, year = int(match.group("day")), match.group("year")
    return make_date(_full_year(year), month, day)


def _full_year(year: str) -> int:
    """Two-digit years: the latest year not after this one ("96" is 1996, "11" is 2011)."""
    value = int(year)
    if len(year) > 2:
        return value
    this_year = date.today().year
    return 2000 + value if 2000 + value <= this_year else 1900 + value
