"""Parse the clean text of an IMR final determination letter into a `ParsedLetter`.

Input is the output of `search.extract.clean_text`: hard-wrapped lines, one blank line between
paragraphs, no page breaks. The parser finds the sections by their uppercase headings, reads
the header table (posted letters), the reviewer's credentials, the patient facts of the case
summary, and one `Item` per disputed treatment.

An item heading is recognised only where it ends with ": Upheld" or ": Overturned" (the outcome
may sit alone on the next line) *and* the next line is a guideline or rationale label: rationales
quote guidelines full of colons, and that second condition keeps their lines out.

Paragraphs are unwrapped and runs of spaces collapsed, so the double space a redacted name
leaves behind becomes a single space.

Everything here is plain Python and regular expressions compiled once; no expression runs a
nested quantifier over the whole text, and every backwards or forwards look for a heading's
neighbours is bounded, so a letter parses in about a millisecond and hostile text stays linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from search.letters.domain import (
    LAYOUT_DETERMINATION,
    LAYOUT_MAXIMUS,
    LAYOUT_POSTED,
    LAYOUT_PROFESSIONAL_REVIEW,
    OVERTURNED,
    UPHELD,
    Header,
    Item,
    NotALetter,
    ParsedLetter,
    Patient,
    Reviewer,
)

# ---------------------------------------------------------------------------------------------
# Section headings. Words are joined by \s+ so that a heading wrapped over two lines still
# matches; each heading must stand on its own line (an optional colon may end it).

_HEADING_LINE = r"(?m)^[ \t]*{}[ \t]*:?[ \t]*$"
_HOW_MADE = re.compile(
    _HEADING_LINE.format(r"HOW\s+THE\s+IMR\s+FINAL\s+DETERMINATION\s+WAS\s+MADE")
)
_CASE_SUMMARY = re.compile(_HEADING_LINE.format(r"CLINICAL\s+CASE\s+SUMMARY"))
_ISSUES = re.compile(_HEADING_LINE.format(r"IMR\s+ISSUES\s*,?\s+DECISIONS\s*,?\s+AND\s+RATIONALES"))
_MAXIMUS_DECISIONS = re.compile(
    _HEADING_LINE.format(r"IMR\s+DECISION\s*\(\s*S\s*\)\s+AND\s+RATIONALE\s*\(\s*S\s*\)")
)
_DOCUMENTS_REVIEWED = re.compile(_HEADING_LINE.format(r"DOCUMENTS\s+REVIEWED"))

# The early "MEDICAL PROFESSIONAL REVIEW" layout: labelled headings whose text may follow the
# colon on the same line, and which may wrap.
_PR_START = r"(?m)^[ \t]*"
_PR_TITLE = re.compile(_PR_START + r"MEDICAL\s+PROFESSIONAL\s+REVIEW\b")
_PR_ISSUE = re.compile(_PR_START + r"ISSUES?\s+AT\s+DISPUTE\s*:")
_PR_SUMMARY = re.compile(_PR_START + r"CASE\s+SUMMARY\s*:")
_PR_DOCUMENTS = re.compile(_PR_START + r"DOCUMENTS\s+REVIEWED\s+FOR\s+DETERMINATION\s*:")
_PR_GUIDELINES = re.compile(
    _PR_START + r"MEDICAL\s+TREATMENT\s+GUIDELINE\s*\(\s*S\s*\)\s+RELIED\s+UPON\s+BY\s+"
    r"PROFESSIONAL\s+REVIEWER\s+AND\s+WHY\s*:"
)
_PR_RATIONALE = re.compile(
    _PR_START + r"RATIONALE\s+FOR\s+WHY\s+THE\s+REQUESTED\s+TREATMENT\s*/\s*SERVICE\s+"
    r"(?:IS\s*/\s*WAS|IS|WAS)\s+(?P<negation>NOT\s+)?MEDICALLY\s+NECESSARY\s*:"
)
_PR_QUALIFICATIONS = re.compile(_PR_START + r"MEDICAL\s+REVIEWER\s+QUALIFICATIONS\s*:")

# Boilerplate sentences that are not part of the content they introduce.
_ISSUES_INTRO = re.compile(
    r"The\s+Final\s+Determination\s+was\s+based\s+on\s+decisions\s+for\s+the\s+disputed\s+"
    r"items\s*/\s*services\s+set\s+forth\s+below\s*:",
    re.I,
)
_SUMMARY_INTRO = re.compile(
    r"^\s*The\s+(?:expert\s+|physician\s+|professional\s+|medical\s+)?reviewer\s+developed\s+"
    r"the\s+following\s+clinical\s+case\s+summary\b[^:\n]*(?:\n[^:\n]*)?:\s*",
    re.I,
)

# ---------------------------------------------------------------------------------------------
# Header table.

_CASE_NUMBER = re.compile(r"\b(?:CM|SY)\d{2}-\d{7}\b")
_HEADER_DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")
_PRIORITY = re.compile(r"\b(?:Standard|Expedited)\b", re.I)
# (Header attribute, label, kind of value). pypdf puts each value after its label (with
# "Application Received" split around the priority's value); pdfminer lists labels, then values.
_HEADER_FIELDS = (
    ("case_number", r"Case\s+Number", "case"),
    ("date_assigned", r"Date\s+Assigned", "date"),
    ("date_of_injury", r"Date\s+of\s+Injury", "date"),
    ("decision_date", r"Decision\s+Date", "date"),
    ("ur_denial_date", r"UR\s+Denial\s+Date", "date"),
    ("priority", r"Priority", "priority"),
    ("application_received", r"Application\s+Received", "date"),
)
_HEADER_LABEL = re.compile(
    "|".join(f"(?P<{name}>\\b{label}\\s*:)" for name, label, _ in _HEADER_FIELDS), re.I
)
_HEADER_KIND = {name: kind for name, _, kind in _HEADER_FIELDS}
_HEADER_VALUE = re.compile(
    rf"(?P<case>{_CASE_NUMBER.pattern})|(?P<date>{_HEADER_DATE.pattern})|(?P<priority>{_PRIORITY.pattern})",
    re.I,
)
# pdfminer can put the application date inside its own label ("Application 12/14/2016 Received:").
_SPLIT_APPLICATION_LABEL = re.compile(
    r"Application\s+(?P<date>\d{2}/\d{2}/\d{4})\s+Received\s*:", re.I
)
_DATES_IN_TIME_ORDER = (
    "date_of_injury",
    "ur_denial_date",
    "application_received",
    "date_assigned",
    "decision_date",
)
# Where the header table is looked for when the letter has no "HOW THE IMR ..." heading.
_HEADER_WINDOW = 1500

# ---------------------------------------------------------------------------------------------
# Items.

_OUTCOME_WORDS = {"upheld": UPHELD, "overturned": OVERTURNED}
_OUTCOME_AT_END = re.compile(r":[ \t]*(?P<outcome>upheld|overturned)\.?[ \t]*$", re.I)
_OUTCOME_ALONE = re.compile(r"^[ \t]*(?P<outcome>upheld|overturned)\.?[ \t]*$", re.I)
_OUTCOME_TAIL = re.compile(r"[ \t]*:?[ \t]*(?:upheld|overturned)\.?[ \t]*$", re.I)
# Some pages put the next label on the outcome's line ("...: Upheld Claims Administrator ...").
_OUTCOME_BEFORE_LABEL = re.compile(
    r"(?P<outcome>\b(?:Upheld|Overturned))[ \t]+(?=(?:Claims\s+Administrator|MAXIMUS|Expert\s+"
    r"Reviewer|IMR|Decision\s+rationale)\b)",
)
CLAIMS_ADMINISTRATOR = "claims_administrator"
IMR_REVIEWER = "imr"
RATIONALE = "rationale"
_ITEM_LABEL = re.compile(
    r"^[ \t]*(?:(?P<claims_administrator>Claims\s+Administrator(?:'s)?\s+guidelines?)"
    r"|(?P<imr>(?:MAXIMUS|Expert\s+Reviewer|IMR\s+Reviewer|IMR|Reviewer)(?:'s)?\s+guidelines?)"
    r"|(?P<rationale>Decision\s+rationale|Rationale\s+for\s+the\s+decision))[ \t]*:[ \t]*",
    re.I,
)
# A heading never runs longer than this many lines (modified requests take up to about 7).
_MAX_HEADING_LINES = 10
# Blank lines tolerated between a heading, its outcome and the first label.
_MAX_BLANK_GAP = 4
# A rationale that stops without a full stop is complete if it ends on its usual conclusion.
_CONCLUSION_END = re.compile(r"(?:necessary|appropriate|indicated|supported|certified)\W*$", re.I)
# Sentences inside a modified-request heading that end a line without ending the heading.
_MODIFIED_LINK = re.compile(
    r"(?:was\s+the\s+original\s+request|by\s+the\s+Claims\s+Administrator|IMR\s+eligible)\.$",
    re.I,
)
_MODIFIED_PORTION = re.compile(
    r"^(?P<original>.+?)\s+was\s+the\s+original\s+request\.\s*(?P<authorized>.+?)\s+was\s+"
    r"authorized(?:\s+by\s+the\s+Claims\s+Administrator)?\.?\s+The\s+remaining\s+IMR\s+eligible\s+"
    r"portion\s+of\s+the\s+original\s+request\s*,?\s*(?P<request>.+?)(?:\s+is)?$",
    re.I,
)
_MODIFIED_WHOLE = re.compile(
    r"^(?P<original>.+?)\s+was\s+the\s+original\s+request\.\s*The\s+Claims\s+Administrator\s+"
    r"authorized\s+(?P<authorized>.+?)\s*,\s*leaving\s+the\s+original\s+request\s+IMR\s+"
    r"eligible\.\s*The\s+original\s+request\s*,?\s*(?P<request>.+?)(?:\s+is)?$",
    re.I,
)
_NUMBER_MARK = re.compile(r"(?m)^[ \t]*\d{1,2}[.)][ \t]+")
_REQUEST_PREFIX = re.compile(r"^Associated\s+surgical\s+services?\s*:\s*", re.I)
_TRAILING_IS = re.compile(r"\s+is$", re.I)

# MAXIMUS letterhead items may state the decision as a sentence instead of a heading.
_NUMBERED_DECISION = re.compile(
    r"(?m)^[ \t]*\d{1,2}[.)][ \t]+(?P<request>[^\n]+?)\s+(?:is|was|are|were)\s+"
    r"(?P<negation>not\s+)?medically\s+necessary(?:\s+and\s+appropriate)?\.?[ \t]*$",
    re.I,
)

# ---------------------------------------------------------------------------------------------
# Reviewer and patient.

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

# ---------------------------------------------------------------------------------------------
# Unwrapping.

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_CLOSING_MARKS = "\"'”’)]"
_SHORT_LINE_RATIO = 0.6


def parse_letter(text: str) -> ParsedLetter:
    """Parse clean letter text; raises NotALetter when the text is not an IMR letter."""
    if not text or not text.strip():
        raise NotALetter("The file is empty.")
    text = text.replace("\r\n", "\n").replace("\f", "\n")
    if _ISSUES.search(text) or (_HOW_MADE.search(text) and _CASE_SUMMARY.search(text)):
        return _parse_determination(text)
    if _MAXIMUS_DECISIONS.search(text):
        return _parse_maximus(text)
    if _PR_ISSUE.search(text) and (_PR_RATIONALE.search(text) or _PR_TITLE.search(text)):
        return _parse_professional_review(text)
    raise NotALetter(
        "This does not look like an IMR final determination letter: none of its section "
        "headings were found."
    )


# ---------------------------------------------------------------------------------------------
# Layouts.


def _parse_determination(text: str) -> ParsedLetter:
    """Posted letters (header table) and the older letters with the same sections."""
    sections = _Sections(text, {"how": _HOW_MADE, "summary": _CASE_SUMMARY, "issues": _ISSUES})
    header_end = sections.start("how")
    if header_end is None:
        header_end = min(_HEADER_WINDOW, sections.first_start())
    header = _parse_header(text[:header_end])
    letter = ParsedLetter(layout=LAYOUT_POSTED if header.case_number else LAYOUT_DETERMINATION)
    letter.header = header
    if not header.case_number:
        letter.warnings.append("no header table")
    _fill_reviewer_and_summary(letter, sections.body("how"), sections.body("summary"))
    issues = sections.body("issues")
    if issues is None:
        letter.warnings.append("could not find the IMR ISSUES, DECISIONS AND RATIONALES section")
        letter.truncated = True
        return _check_found_something(letter)
    letter.items = _parse_items(_ISSUES_INTRO.sub("", issues, count=1), letter)
    return _check_found_something(letter)


def _parse_maximus(text: str) -> ParsedLetter:
    """MAXIMUS letterhead: DOCUMENTS REVIEWED, then IMR DECISION(S) AND RATIONALE(S)."""
    sections = _Sections(
        text,
        {
            "how": _HOW_MADE,
            "summary": _CASE_SUMMARY,
            "documents": _DOCUMENTS_REVIEWED,
            "decisions": _MAXIMUS_DECISIONS,
        },
    )
    letter = ParsedLetter(layout=LAYOUT_MAXIMUS)
    letter.header = _parse_header(text[: min(_HEADER_WINDOW, sections.first_start())])
    if not letter.header.case_number:
        letter.warnings.append("no header table")
    _fill_reviewer_and_summary(letter, sections.body("how") or text, sections.body("summary"))
    decisions = _ISSUES_INTRO.sub("", sections.body("decisions") or "", count=1)
    # Items are either headed like the other layouts or numbered decision sentences; the
    # attempt that finds nothing leaves no warnings behind.
    attempt = ParsedLetter(layout=LAYOUT_MAXIMUS)
    items = _parse_items(decisions, attempt)
    if not items:
        attempt = ParsedLetter(layout=LAYOUT_MAXIMUS)
        items = _parse_numbered_decisions(decisions, attempt)
    letter.items = items
    letter.warnings.extend(attempt.warnings)
    letter.truncated = letter.truncated or attempt.truncated
    return _check_found_something(letter)


def _parse_professional_review(text: str) -> ParsedLetter:
    """Early MEDICAL PROFESSIONAL REVIEW letters: one labelled block per part of the review."""
    sections = _Sections(
        text,
        {
            "issue": _PR_ISSUE,
            "summary": _PR_SUMMARY,
            "documents": _PR_DOCUMENTS,
            "guidelines": _PR_GUIDELINES,
            "rationale": _PR_RATIONALE,
            "qualifications": _PR_QUALIFICATIONS,
        },
    )
    letter = ParsedLetter(layout=LAYOUT_PROFESSIONAL_REVIEW)
    letter.header = _parse_header(text[: min(_HEADER_WINDOW, sections.first_start())])
    if not letter.header.case_number:
        letter.warnings.append("no header table")
    _fill_reviewer_and_summary(letter, sections.body("qualifications"), sections.body("summary"))
    rationale = _unwrap(sections.body("rationale") or "")
    guideline_raw = _unwrap(sections.body("guidelines") or "")
    rationale_heading = _PR_RATIONALE.search(text)
    # The rationale's own heading says which way the decision went.
    default_outcome = ""
    if rationale_heading:
        default_outcome = UPHELD if rationale_heading.group("negation") else OVERTURNED
    issues = _split_issues(sections.body("issue") or "")
    for ordinal, issue in enumerate(issues, start=1):
        heading, outcome = issue, default_outcome
        tail = _OUTCOME_AT_END.search(issue)
        if tail:
            heading = issue[: tail.start()].strip()
            outcome = _OUTCOME_WORDS[tail.group("outcome").lower()]
        if not outcome:
            letter.warnings.append(f"item {ordinal}: no outcome found")
            letter.truncated = True
            continue
        item = _make_item(len(letter.items) + 1, heading, outcome)
        item.imr_guideline = _guideline(guideline_raw)
        item.rationale = rationale
        letter.items.append(item)
    if not rationale:
        letter.warnings.append("no rationale section")
        letter.truncated = True
    return _check_found_something(letter)


def _split_issues(body: str) -> list[str]:
    """Numbered issues ("1. ...") become one item each; otherwise each paragraph does."""
    numbered = _NUMBER_MARK.split(body)
    if len(numbered) > 1:
        parts = numbered[1:]
    else:
        parts = _BLANK_LINE.split(body)
    return [" ".join(part.split()) for part in parts if part.strip()]


def _check_found_something(letter: ParsedLetter) -> ParsedLetter:
    """A letter with no header and no items is not something we can use: refuse it."""
    if not letter.items:
        if not letter.header.case_number and not letter.summary:
            raise NotALetter(
                "This looks like part of an IMR letter but has no case number and no decisions."
            )
        if "no disputed items found" not in letter.warnings:
            letter.warnings.append("no disputed items found")
        letter.truncated = True
    return letter


class _Sections:
    """Where each known heading starts and what text follows it, up to the next heading."""

    def __init__(self, text: str, headings: dict[str, re.Pattern[str]]):
        self.text = text
        self.spans: dict[str, tuple[int, int]] = {}
        for name, pattern in headings.items():
            match = pattern.search(text)
            if match:
                self.spans[name] = (match.start(), match.end())
        self.order = sorted(self.spans.values())

    def start(self, name: str) -> int | None:
        span = self.spans.get(name)
        return span[0] if span else None

    def first_start(self) -> int:
        return self.order[0][0] if self.order else len(self.text)

    def body(self, name: str) -> str | None:
        span = self.spans.get(name)
        if span is None:
            return None
        following = [start for start, _ in self.order if start > span[0]]
        end = min(following) if following else len(self.text)
        return self.text[span[1] : end]


# ---------------------------------------------------------------------------------------------
# Header.


def _parse_header(region: str) -> Header:
    region = _SPLIT_APPLICATION_LABEL.sub(r"Application Received: \g<date>", region)
    labels = [(m.start(), "label", m.lastgroup) for m in _HEADER_LABEL.finditer(region)]
    header = Header()
    if not any(name == "case_number" for _, _, name in labels):
        return header
    values = [(m.start(), m.lastgroup, m.group()) for m in _HEADER_VALUE.finditer(region)]
    tokens = sorted(labels + values)
    pairs = list(zip(tokens[::2], tokens[1::2], strict=False))
    if len(tokens) % 2 == 0 and all(
        label[1] == "label" and value[1] == _HEADER_KIND[label[2]] for label, value in pairs
    ):
        # pypdf order: each label followed by its own value.
        for label, value in pairs:
            _set_header_value(header, label[2], value[2])
        return header
    # pdfminer order: labels and values in separate runs, sometimes a value before its label.
    # Case number and priority are told apart by their form; the dates by their order in time,
    # which the process fixes: injury, UR denial, application, assignment, decision.
    for name, kind in (("case_number", "case"), ("priority", "priority")):
        value = next((v for v in values if v[1] == kind), None)
        if value is not None:
            _set_header_value(header, name, value[2])
    date_labels = [name for name in _DATES_IN_TIME_ORDER if any(lb[2] == name for lb in labels)]
    dates = sorted((_header_date(v[2]) for v in values if v[1] == "date"), key=_date_sort_key)
    if len(dates) == len(date_labels):
        for name, value in zip(date_labels, dates, strict=True):
            setattr(header, name, value)
    return header


def _date_sort_key(value: date | None) -> date:
    return value or date.min


def _header_date(value: str) -> date | None:
    month, day, year = (int(part) for part in value.split("/"))
    return _make_date(year, month, day)


def _set_header_value(header: Header, name: str, value: str) -> None:
    kind = _HEADER_KIND[name]
    if kind == "case":
        header.case_number = value.upper()
    elif kind == "priority":
        header.priority = value.capitalize()
    else:
        setattr(header, name, _header_date(value))


# ---------------------------------------------------------------------------------------------
# Reviewer, summary, patient.


def _fill_reviewer_and_summary(letter: ParsedLetter, how: str | None, summary: str | None) -> None:
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
    letter.summary = _unwrap(_SUMMARY_INTRO.sub("", summary, count=1))
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
    return _make_date(_full_year(year), month, day)


def _full_year(year: str) -> int:
    """Two-digit years: the latest year not after this one ("96" is 1996, "11" is 2011)."""
    value = int(year)
    if len(year) > 2:
        return value
    this_year = date.today().year
    return 2000 + value if 2000 + value <= this_year else 1900 + value


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Items.


@dataclass
class _Heading:
    start: int  # first line of the heading
    outcome_line: int  # line holding the outcome word
    text: str  # heading text without the outcome, whitespace collapsed
    outcome: str


def _parse_items(section: str, letter: ParsedLetter) -> list[Item]:
    section = _OUTCOME_BEFORE_LABEL.sub(lambda m: m.group("outcome") + "\n", section)
    lines = section.split("\n")
    headings = _find_headings(lines)
    items: list[Item] = []
    for index, heading in enumerate(headings):
        end = headings[index + 1].start if index + 1 < len(headings) else len(lines)
        item = _make_item(index + 1, heading.text, heading.outcome)
        _fill_item_body(item, lines[heading.outcome_line + 1 : end], letter)
        items.append(item)
    labels_without_heading = _count_unclaimed_labels(lines, headings)
    if labels_without_heading:
        letter.warnings.append(
            f"{labels_without_heading} claims administrator guideline line(s) without an item "
            "heading and outcome were skipped"
        )
        letter.truncated = True
    if items:
        _check_last_rationale(items[-1], letter)
    return items


def _find_headings(lines: list[str]) -> list[_Heading]:
    headings: list[_Heading] = []
    floor = 0
    for index, line in enumerate(lines):
        lowered = line.lower()
        if "upheld" not in lowered and "overturned" not in lowered:
            continue
        at_end = _OUTCOME_AT_END.search(line)
        if at_end:
            text_end = index
            outcome = at_end.group("outcome")
        else:
            alone = _OUTCOME_ALONE.match(line)
            if not alone:
                continue
            # The outcome wrapped onto its own line: the heading text ends with a colon above.
            text_end = _previous_content_line(lines, index, floor)
            if text_end is None or not lines[text_end].rstrip().endswith(":"):
                continue
            if _ITEM_LABEL.match(lines[text_end]):
                continue
            outcome = alone.group("outcome")
        following = _next_content_line(lines, index)
        if following is None or not _ITEM_LABEL.match(lines[following]):
            continue
        start = _heading_start(lines, text_end, floor)
        text = " ".join(" ".join(lines[start : index + 1]).split())
        text = _OUTCOME_TAIL.sub("", text).rstrip(" :")
        if not text:
            continue
        headings.append(_Heading(start, index, text, _OUTCOME_WORDS[outcome.lower()]))
        floor = index + 1
    return headings


def _heading_start(lines: list[str], text_end: int, floor: int) -> int:
    """Walk up from the heading's last line to its first: stop at a blank line, a label, the
    end of a sentence (the previous rationale, when no blank line separates them)."""
    start = text_end
    while start - 1 >= floor and text_end - start + 1 < _MAX_HEADING_LINES:
        above = lines[start - 1].strip()
        if not above or _ITEM_LABEL.match(above):
            break
        if _ends_sentence(above) and not _MODIFIED_LINK.search(above):
            break
        start -= 1
    return start


def _previous_content_line(lines: list[str], index: int, floor: int) -> int | None:
    # Only a few lines up: an outcome is never far from its heading, and a bound keeps
    # hostile input (thousands of blank lines) linear.
    for candidate in range(index - 1, max(floor, index - _MAX_BLANK_GAP) - 1, -1):
        if lines[candidate].strip():
            return candidate
    return None


def _next_content_line(lines: list[str], index: int) -> int | None:
    for candidate in range(index + 1, min(len(lines), index + _MAX_BLANK_GAP + 1)):
        if lines[candidate].strip():
            return candidate
    return None


def _make_item(ordinal: int, heading: str, outcome: str) -> Item:
    item = Item(ordinal=ordinal, heading=heading, request=heading, outcome=outcome)
    modified = None
    if "original request" in heading.lower():
        modified = _MODIFIED_PORTION.match(heading) or _MODIFIED_WHOLE.match(heading)
    if modified:
        item.original_request = modified.group("original").strip()
        item.authorized = modified.group("authorized").strip()
        item.request = modified.group("request").strip()
    item.request = _TRAILING_IS.sub("", _REQUEST_PREFIX.sub("", item.request)).strip(" :")
    if not item.request:
        item.request = heading
    item.treatment_category, item.treatment_subcategory = _classify(item.request)
    return item


def _fill_item_body(
    item: Item, lines: list[str], letter: ParsedLetter, unlabelled: str | None = None
) -> None:
    """Split an item's body at its labels; text before the first label goes to `unlabelled`."""
    parts: dict[str, list[str]] = {}
    current = unlabelled
    if unlabelled is not None:
        parts[unlabelled] = []
    for line in lines:
        label = _ITEM_LABEL.match(line)
        if label:
            current = label.lastgroup
            # A repeated label (rare) continues the same part rather than replacing it.
            parts.setdefault(current, []).append(line[label.end() :])
        elif current is not None:
            parts[current].append(line)
    if CLAIMS_ADMINISTRATOR in parts:
        item.claims_administrator_guideline = _guideline(
            _unwrap("\n".join(parts[CLAIMS_ADMINISTRATOR]))
        )
    else:
        letter.warnings.append(f"item {item.ordinal}: no claims administrator guideline")
    if IMR_REVIEWER in parts:
        item.imr_guideline = _guideline(_unwrap("\n".join(parts[IMR_REVIEWER])))
    else:
        letter.warnings.append(f"item {item.ordinal}: no MAXIMUS guideline")
    item.rationale = _unwrap("\n".join(parts.get(RATIONALE, [])))
    if not item.rationale:
        letter.warnings.append(f"item {item.ordinal}: no decision rationale")
        letter.truncated = True


def _check_last_rationale(item: Item, letter: ParsedLetter) -> None:
    rationale = item.rationale
    if rationale and not (_ends_sentence(rationale) or _CONCLUSION_END.search(rationale[-40:])):
        letter.warnings.append(f"item {item.ordinal}: rationale ends mid-sentence")
        letter.truncated = True


def _count_unclaimed_labels(lines: list[str], headings: list[_Heading]) -> int:
    """Claims administrator labels that no recognised heading precedes: a lost item."""
    claimed = 0
    total = 0
    heading_lines = iter([h.outcome_line for h in headings] + [len(lines)])
    next_heading = next(heading_lines)
    open_item = False
    for index, line in enumerate(lines):
        if index == next_heading:
            open_item = True
            next_heading = next(heading_lines)
            continue
        label = _ITEM_LABEL.match(line)
        if label and label.lastgroup == CLAIMS_ADMINISTRATOR:
            total += 1
            if open_item:
                claimed += 1
                open_item = False
    return total - claimed


def _parse_numbered_decisions(section: str, letter: ParsedLetter) -> list[Item]:
    """Numbered "1. <treatment> is not medically necessary" statements, each with its reasons."""
    matches = list(_NUMBERED_DECISION.finditer(section))
    items: list[Item] = []
    for index, match in enumerate(matches):
        outcome = UPHELD if match.group("negation") else OVERTURNED
        item = _make_item(index + 1, " ".join(match.group("request").split()), outcome)
        end = matches[index + 1].start() if index + 1 < len(matches) else len(section)
        _fill_item_body(item, section[match.end() : end].split("\n"), letter, RATIONALE)
        items.append(item)
    if items:
        _check_last_rationale(items[-1], letter)
    return items


def _guideline(raw: str):
    from search.letters.citations import parse_guideline

    return parse_guideline(raw)


def _classify(request: str) -> tuple[str, str]:
    from search.letters.categories import classify_request

    return classify_request(request)


# ---------------------------------------------------------------------------------------------
# Unwrapping.


def _unwrap(text: str) -> str:
    """Join hard-wrapped lines into paragraphs, paragraphs separated by one blank line.

    A paragraph ends at a blank line, or at a line that ends a sentence while being clearly
    shorter than the block's full lines. A line ending in a hyphen or slash right after a
    letter or digit ("non-", "10/14/") is joined without a space.
    """
    paragraphs: list[str] = []
    for block in _BLANK_LINE.split(text):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        short = _SHORT_LINE_RATIO * max(len(line) for line in lines) if len(lines) >= 3 else 0
        current: list[str] = []
        for line in lines:
            if current and _joins_without_space(current[-1]):
                current[-1] += line
            else:
                current.append(line)
            if len(line) < short and _ends_sentence(line):
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def _ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSING_MARKS)[-1:] in (".", "!", "?")


def _joins_without_space(line: str) -> bool:
    return len(line) >= 2 and line[-1] in "-/" and line[-2].isalnum()
