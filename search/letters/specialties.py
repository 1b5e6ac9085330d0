"""Normalise reviewer specialties onto one vocabulary, the values of the specialty facet.

Letters write credentials as "Certification(s)/Specialty: Preventive Medicine, Occupational
Medicine" or in a sentence ("is licensed in Clinical Psychology, has a subspecialty in Health
Psychology and Pain Management"). Names contain "and" and "&" ("Physical Medicine and
Rehabilitation"), so splitting matches the vocabulary first and only then splits on separators.
Unknown values are kept, title-cased, rather than dropped.
"""

from __future__ import annotations

import difflib
import re

# Official-style list, alphabetical as in the state's drop-down.
SPECIALTIES: list[str] = [
    "Acupuncture",
    "Addiction Medicine",
    "Allergy & Immunology",
    "Anesthesiology",
    "Cardiology",
    "Chiropractic",
    "Clinical Neurophysiology",
    "Clinical Psychology",
    "Colon & Rectal Surgery",
    "Critical Care Medicine",
    "Dentistry",
    "Dermatology",
    "Emergency Medicine",
    "Endocrinology",
    "Family Practice",
    "Gastroenterology",
    "General Surgery",
    "Geriatric Medicine",
    "Hand Surgery",
    "Health Psychology",
    "Hematology & Oncology",
    "Hospice & Palliative Medicine",
    "Infectious Disease",
    "Internal Medicine",
    "Medical Toxicology",
    "Nephrology",
    "Neurological Surgery",
    "Neurology",
    "Neuromuscular Medicine",
    "Neuropsychology",
    "Nurse Practitioner",
    "Obstetrics & Gynecology",
    "Occupational Medicine",
    "Occupational Therapy",
    "Ophthalmology",
    "Optometry",
    "Oral & Maxillofacial Surgery",
    "Orthopedic Surgery",
    "Otolaryngology",
    "Pain Management",
    "Pediatric Rehabilitation Medicine",
    "Pediatrics",
    "Pharmacology",
    "Physical Medicine & Rehabilitation",
    "Physical Therapy",
    "Plastic Surgery",
    "Podiatry",
    "Preventive Medicine",
    "Psychiatry",
    "Psychology",
    "Public Health & General Preventive Medicine",
    "Pulmonary Disease",
    "Radiology",
    "Rheumatology",
    "Sleep Medicine",
    "Spinal Cord Injury Medicine",
    "Sports Medicine",
    "Thoracic Surgery",
    "Urology",
    "Vascular Surgery",
]

# Other spellings, lower-cased, with "and" already folded to "&".
_ALIASES: dict[str, str] = {
    "preventative medicine": "Preventive Medicine",
    "general preventive medicine": "Preventive Medicine",
    "public health & preventive medicine": "Public Health & General Preventive Medicine",
    "public health": "Public Health & General Preventive Medicine",
    "physical medicine & rehab": "Physical Medicine & Rehabilitation",
    "physical medicine": "Physical Medicine & Rehabilitation",
    "physiatry": "Physical Medicine & Rehabilitation",
    "pm&r": "Physical Medicine & Rehabilitation",
    "pmr": "Physical Medicine & Rehabilitation",
    "rehabilitation medicine": "Physical Medicine & Rehabilitation",
    "orthopaedic surgery": "Orthopedic Surgery",
    "orthopedics": "Orthopedic Surgery",
    "orthopaedics": "Orthopedic Surgery",
    "orthopedic": "Orthopedic Surgery",
    "orthopedic sports medicine": "Sports Medicine",
    "sports medicine (orthopedic surgery)": "Sports Medicine",
    "family medicine": "Family Practice",
    "general practice": "Family Practice",
    "pain medicine": "Pain Management",
    "pain": "Pain Management",
    "interventional pain management": "Pain Management",
    "interventional pain medicine": "Pain Management",
    "chiropractor": "Chiropractic",
    "chiropractic medicine": "Chiropractic",
    "doctor of chiropractic": "Chiropractic",
    "acupuncturist": "Acupuncture",
    "licensed acupuncturist": "Acupuncture",
    "acupuncture & oriental medicine": "Acupuncture",
    "psychologist": "Psychology",
    "clinical psychologist": "Clinical Psychology",
    "psychiatrist": "Psychiatry",
    "psychiatry & neurology": "Psychiatry",
    "neurosurgery": "Neurological Surgery",
    "neurologic surgery": "Neurological Surgery",
    "neurological surgeon": "Neurological Surgery",
    "anesthesia": "Anesthesiology",
    "anaesthesiology": "Anesthesiology",
    "podiatric medicine": "Podiatry",
    "podiatric surgery": "Podiatry",
    "podiatric medicine & surgery": "Podiatry",
    "foot & ankle surgery": "Podiatry",
    "dental": "Dentistry",
    "general dentistry": "Dentistry",
    "cardiovascular disease": "Cardiology",
    "cardiovascular medicine": "Cardiology",
    "endocrinology, diabetes & metabolism": "Endocrinology",
    "hematology": "Hematology & Oncology",
    "medical oncology": "Hematology & Oncology",
    "oncology": "Hematology & Oncology",
    "obstetrics": "Obstetrics & Gynecology",
    "gynecology": "Obstetrics & Gynecology",
    "ob/gyn": "Obstetrics & Gynecology",
    "otolaryngology - head & neck surgery": "Otolaryngology",
    "ent": "Otolaryngology",
    "pulmonology": "Pulmonary Disease",
    "pulmonary medicine": "Pulmonary Disease",
    "diagnostic radiology": "Radiology",
    "geriatrics": "Geriatric Medicine",
    "hospice & palliative care": "Hospice & Palliative Medicine",
    "palliative medicine": "Hospice & Palliative Medicine",
    "toxicology": "Medical Toxicology",
    "addiction psychiatry": "Addiction Medicine",
    "surgery": "General Surgery",
    "surgery of the hand": "Hand Surgery",
    "spine surgery": "Orthopedic Surgery",
    "pharmacy": "Pharmacology",
    "clinical pharmacology": "Pharmacology",
    "pharmd": "Pharmacology",
    "physical therapist": "Physical Therapy",
    "occupational therapist": "Occupational Therapy",
    "emergency": "Emergency Medicine",
    "internal": "Internal Medicine",
    "nurse": "Nurse Practitioner",
    "family nurse practitioner": "Nurse Practitioner",
    "neuropsychologist": "Neuropsychology",
    "clinical neuropsychology": "Neuropsychology",
    "electrodiagnostic medicine": "Clinical Neurophysiology",
}


def _key(value: str) -> str:
    value = value.lower().replace(" and ", " & ").replace("&amp;", "&")
    value = re.sub(r"\s*&\s*", " & ", value)
    return " ".join(value.strip(" .,;:").split())


_CANONICAL: dict[str, str] = {_key(name): name for name in SPECIALTIES}
_CANONICAL.update({_key(alias): name for alias, name in _ALIASES.items()})

# Longest names first, so "Public Health & General Preventive Medicine" beats "Preventive Medicine".
_VOCABULARY_RE = re.compile(
    r"(?<![\w&])(?:"
    + "|".join(
        re.escape(name).replace(r"\ \&\ ", r"\s*(?:&|and)\s*").replace(r"\ ", r"\s+")
        for name in sorted(
            [*SPECIALTIES, *(a for a in _ALIASES if len(a) > 3)], key=len, reverse=True
        )
    )
    + r")(?![\w&])",
    re.I,
)
_SEPARATOR_RE = re.compile(r"\s*(?:,|;|/(?!r\b)|\band\b|&|\bwith\b|\|)\s*", re.I)
# Sentence-style credentials leave these words around the names.
_NOISE_RE = re.compile(
    r"^(?:(?:(?:is|are)\s+)?(?:board[- ])?certified|licensed|(?:has\s+)?(?:a\s+)?sub-?specialty"
    r"|american\s+board\s+of|in|the|an?|is|has|practice|to)\b\s*",
    re.I,
)
_SMALL_WORDS = {"and", "of", "the", "in", "for", "&"}


def split_specialties(text: str) -> list[str]:
    """Split a credentials string into specialty names, matching the vocabulary first."""
    text = " ".join((text or "").split())
    values: list[str] = []
    pos = 0
    for match in _VOCABULARY_RE.finditer(text):
        values.extend(_split_unknown(text[pos : match.start()]))
        values.append(match.group(0))
        pos = match.end()
    values.extend(_split_unknown(text[pos:]))
    return values


def normalise_specialty(value: str) -> str:
    """One specialty in vocabulary spelling; unknown values title-cased; "" for noise."""
    value = " ".join(value.split()).strip(" .,;:")
    while (stripped := _NOISE_RE.sub("", value, count=1)) != value:
        value = stripped.strip(" .,;:")
    if not value:
        return ""
    key = _key(value)
    if key in _CANONICAL:
        return _CANONICAL[key]
    # Typos and stray letters from line breaks ("Sports Medicinea").
    close = difflib.get_close_matches(key, list(_CANONICAL), n=1, cutoff=0.9)
    if close:
        return _CANONICAL[close[0]]
    return _title(value)


def normalise_specialties(raw: list[str]) -> list[str]:
    """Vocabulary names for each raw value (split further when needed), deduplicated, in order."""
    result: list[str] = []
    for value in raw:
        for part in split_specialties(value):
            name = normalise_specialty(part)
            if name and name not in result:
                result.append(name)
    return result


def _split_unknown(text: str) -> list[str]:
    return [part for part in (p.strip(" .,;:") for p in _SEPARATOR_RE.split(text)) if part]


def _title(value: str) -> str:
    words = value.split()
    return " ".join(
        word.lower() if index and word.lower() in _SMALL_WORDS else word[:1].upper() + word[1:]
        for index, word in enumerate(words)
    )


_OFFICIAL_KEYS: dict[str, str] = {_key(name): name for name in SPECIALTIES}


def official_specialty(value: str) -> str:
    """A specialty in the state's spelling when it is one of SPECIALTIES (or a known other
    spelling of one); other values are returned as they are."""
    key = _key(value or "")
    return _OFFICIAL_KEYS.get(key) or _CANONICAL.get(key) or value
