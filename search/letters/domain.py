"""What a parsed IMR letter is, as plain dataclasses.

This module and the parsers that fill it import nothing from Django, so parsing can be tested and
benchmarked in microseconds and reused outside the web app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

UPHELD = "upheld"
OVERTURNED = "overturned"
OUTCOMES = (UPHELD, OVERTURNED)
# An item's outcome as readers see it: the letters' own word after each item's heading.
OUTCOME_LABELS = {UPHELD: "Upheld", OVERTURNED: "Overturned"}

# A letter's outcome over all its items, in the words of the state's search.
CASE_UPHELD = "Upheld"
CASE_PARTIAL = "Partial Overturn"
CASE_OVERTURNED = "Overturned"
CASE_OUTCOMES = (CASE_UPHELD, CASE_PARTIAL, CASE_OVERTURNED)

# Guideline sources, in the order facets list them.
MTUS = "MTUS"
ODG = "ODG"
ACOEM = "ACOEM"
OTHER = "Other"
NONE = "None"
SOURCES = (MTUS, ODG, ACOEM, OTHER, NONE)

# Citation flags: facts about how a guideline was cited that users filter on.
FLAG_NO_EVIDENCE = "no_evidence_cited"  # "did not cite any medical evidence"
FLAG_NOT_MTUS = "not_based_on_mtus"  # "did not base their decision on the MTUS"
FLAG_MTUS_AS_NON_MTUS = "mtus_cited_as_non_mtus"  # "Non-MTUS Citation MTUS: ..."

# Letter layouts the parser knows.
LAYOUT_POSTED = "posted"  # 2016 on: header table, then the determination sections
LAYOUT_DETERMINATION = "determination"  # 2013-2015 text: the same sections, no header
LAYOUT_MAXIMUS = "maximus"  # MAXIMUS letterhead with DOCUMENTS REVIEWED
LAYOUT_PROFESSIONAL_REVIEW = "professional_review"  # early MEDICAL PROFESSIONAL REVIEW


class NotALetter(ValueError):
    """The text is not an IMR final determination letter; `reason` says why, for the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Citation:
    """One normalised guideline citation, e.g. MTUS > Chronic Pain, sections, pages."""

    source: str  # one of SOURCES
    guideline: str = ""  # "Chronic Pain", "Low Back", "Mental Illness & Stress", "" if unknown
    sections: list[str] = field(default_factory=list)  # sections or topics, as normalised names
    pages: list[str] = field(default_factory=list)  # "23", "100-102"
    edition: str = ""  # "2004", "2016", "3rd ed." where the letter says
    raw: str = ""  # the fragment of the guideline text this citation came from
    flags: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Facet label users read: "MTUS > Chronic Pain", "ODG > Low Back", "Other"."""
        return f"{self.source} > {self.guideline}" if self.guideline else self.source

    @property
    def section_labels(self) -> list[str]:
        """ "MTUS > Chronic Pain > Topical analgesics" for each section or topic."""
        return [f"{self.label} > {section}" for section in self.sections]

    @property
    def page_labels(self) -> list[str]:
        """ "MTUS Chronic Pain p. 98-99" for each cited page or range."""
        name = f"{self.source} {self.guideline}".strip()
        return [f"{name} p. {page}" for page in self.pages]


@dataclass
class GuidelineText:
    """What one party (claims administrator or IMR reviewer) cited, raw and normalised."""

    raw: str = ""
    citations: list[Citation] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # letter-level flags, e.g. FLAG_NO_EVIDENCE


@dataclass
class Item:
    """One disputed item and its decision: the unit of precedent."""

    ordinal: int  # 1-based, in letter order
    heading: str  # as written, without the outcome
    request: str  # what was asked for (the IMR-eligible part for modified requests)
    outcome: str  # UPHELD or OVERTURNED
    claims_administrator_guideline: GuidelineText = field(default_factory=GuidelineText)
    imr_guideline: GuidelineText = field(default_factory=GuidelineText)
    rationale: str = ""
    treatment_category: str = "Other"  # official category, e.g. "Pharmaceuticals"
    treatment_subcategory: str = ""  # drug class or subcategory, e.g. "Opioids"
    original_request: str = ""  # modified requests: "<X> was the original request"
    authorized: str = ""  # modified requests: "<Y> was authorized"


@dataclass
class Header:
    """The header table of posted letters; every field is absent on older letters."""

    case_number: str = ""  # "CM16-0213037"
    date_assigned: date | None = None
    date_of_injury: date | None = None
    decision_date: date | None = None
    ur_denial_date: date | None = None
    priority: str = ""  # "Standard" or "Expedited"
    application_received: date | None = None


@dataclass
class Reviewer:
    licensure: list[str] = field(default_factory=list)  # "California", "Texas"
    specialties: list[str] = field(default_factory=list)  # official specialty vocabulary
    raw: str = ""  # the credentials text as written


@dataclass
class Patient:
    age: int | None = None
    sex: str = ""  # "female", "male" or ""
    injury_date: date | None = None  # from the summary when the header has none


@dataclass
class ParsedLetter:
    layout: str
    header: Header = field(default_factory=Header)
    reviewer: Reviewer = field(default_factory=Reviewer)
    patient: Patient = field(default_factory=Patient)
    summary: str = ""
    items: list[Item] = field(default_factory=list)
    truncated: bool = False
    warnings: list[str] = field(default_factory=list)


def outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, outcome)


def item_id(public_id: str, ordinal: int) -> str:
    """A disputed item's key, "CM16-0213037#2": its letter's public id and its ordinal. The
    search index knows each item by it."""
    return f"{public_id}#{ordinal}"


def case_outcome(outcomes) -> str:
    """All items upheld: Upheld; all overturned: Overturned; otherwise Partial Overturn."""
    outcomes = set(outcomes)
    if outcomes == {OVERTURNED}:
        return CASE_OVERTURNED
    if OVERTURNED in outcomes:
        return CASE_PARTIAL
    return CASE_UPHELD
