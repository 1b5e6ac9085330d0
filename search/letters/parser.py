"""Parse the clean text of an IMR final determination letter into a `ParsedLetter`.

Input is the output of `search.extract.clean_text`: hard-wrapped lines, one blank line between
paragraphs, no page breaks. The parser finds the sections by their uppercase headings and tells
the layouts apart; `header`, `reviewer` and `items` read the header table (posted letters), the
reviewer's credentials and the patient facts of the case summary, and one `Item` per disputed
treatment.

Everything here is plain Python and regular expressions compiled once; no expression runs a
nested quantifier over the whole text, and every backwards or forwards look for a heading's
neighbours is bounded, so a letter parses in about a millisecond and hostile text stays linear.
"""

from __future__ import annotations

import re

from search.letters.domain import (
    LAYOUT_DETERMINATION,
    LAYOUT_MAXIMUS,
    LAYOUT_POSTED,
    LAYOUT_PROFESSIONAL_REVIEW,
    OVERTURNED,
    UPHELD,
    NotALetter,
    ParsedLetter,
)
from search.letters.header import parse_header
from search.letters.items import (
    OUTCOME_AT_END,
    OUTCOME_WORDS,
    make_item,
    parse_items,
    parse_numbered_decisions,
    read_guideline,
)
from search.letters.reviewer import fill_reviewer_and_summary
from search.letters.unwrap import BLANK_LINE, unwrap

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

# Boilerplate sentence that is not part of the issues it introduces.
_ISSUES_INTRO = re.compile(
    r"The\s+Final\s+Determination\s+was\s+based\s+on\s+decisions\s+for\s+the\s+disputed\s+"
    r"items\s*/\s*services\s+set\s+forth\s+below\s*:",
    re.I,
)

# Where the header table is looked for when the letter has no "HOW THE IMR ..." heading.
_HEADER_WINDOW = 1500
# Issue numbers ("1. ") in the early layout's ISSUE(S) AT DISPUTE.
_NUMBER_MARK = re.compile(r"(?m)^[ \t]*\d{1,2}[.)][ \t]+")


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
    header = parse_header(text[:header_end])
    letter = ParsedLetter(layout=LAYOUT_POSTED if header.case_number else LAYOUT_DETERMINATION)
    letter.header = header
    if not header.case_number:
        letter.warnings.append("no header table")
    fill_reviewer_and_summary(letter, sections.body("how"), sections.body("summary"))
    issues = sections.body("issues")
    if issues is None:
        letter.warnings.append("could not find the IMR ISSUES, DECISIONS AND RATIONALES section")
        letter.truncated = True
        return _check_found_something(letter)
    letter.items = parse_items(_ISSUES_INTRO.sub("", issues, count=1), letter)
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
    letter.header = parse_header(text[: min(_HEADER_WINDOW, sections.first_start())])
    if not letter.header.case_number:
        letter.warnings.append("no header table")
    fill_reviewer_and_summary(letter, sections.body("how") or text, sections.body("summary"))
    decisions = _ISSUES_INTRO.sub("", sections.body("decisions") or "", count=1)
    # Items are either headed like the other layouts or numbered decision sentences; the
    # attempt that finds nothing leaves no warnings behind.
    attempt = ParsedLetter(layout=LAYOUT_MAXIMUS)
    items = parse_items(decisions, attempt)
    if not items:
        attempt = ParsedLetter(layout=LAYOUT_MAXIMUS)
        items = parse_numbered_decisions(decisions, attempt)
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
    letter.header = parse_header(text[: min(_HEADER_WINDOW, sections.first_start())])
    if not letter.header.case_number:
        letter.warnings.append("no header table")
    fill_reviewer_and_summary(letter, sections.body("qualifications"), sections.body("summary"))
    rationale = unwrap(sections.body("rationale") or "")
    guideline_raw = unwrap(sections.body("guidelines") or "")
    rationale_heading = _PR_RATIONALE.search(text)
    # The rationale's own heading says which way the decision went.
    default_outcome = ""
    if rationale_heading:
        default_outcome = UPHELD if rationale_heading.group("negation") else OVERTURNED
    issues = _split_issues(sections.body("issue") or "")
    for ordinal, issue in enumerate(issues, start=1):
        heading, outcome = issue, default_outcome
        tail = OUTCOME_AT_END.search(issue)
        if tail:
            heading = issue[: tail.start()].strip()
            outcome = OUTCOME_WORDS[tail.group("outcome").lower()]
        if not outcome:
            letter.warnings.append(f"item {ordinal}: no outcome found")
            letter.truncated = True
            continue
        item = make_item(len(letter.items) + 1, heading, outcome)
        item.imr_guideline = read_guideline(guideline_raw)
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
        parts = BLANK_LINE.split(body)
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
