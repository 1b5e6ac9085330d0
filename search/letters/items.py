"""Read the disputed items of a letter: heading, outcome, request, guidelines and rationale.

An item heading is recognised only where it ends with ": Upheld" or ": Overturned" (the outcome
may sit alone on the next line) *and* the next line is a guideline or rationale label: rationales
quote guidelines full of colons, and that second condition keeps their lines out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search.letters.domain import OVERTURNED, UPHELD, Item, ParsedLetter
from search.letters.unwrap import ends_sentence, unwrap

OUTCOME_WORDS = {"upheld": UPHELD, "overturned": OVERTURNED}
OUTCOME_AT_END = re.compile(r":[ \t]*(?P<outcome>upheld|overturned)\.?[ \t]*$", re.I)
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
_REQUEST_PREFIX = re.compile(r"^Associated\s+surgical\s+services?\s*:\s*", re.I)
_TRAILING_IS = re.compile(r"\s+is$", re.I)

# MAXIMUS letterhead items may state the decision as a sentence instead of a heading.
_NUMBERED_DECISION = re.compile(
    r"(?m)^[ \t]*\d{1,2}[.)][ \t]+(?P<request>[^\n]+?)\s+(?:is|was|are|were)\s+"
    r"(?P<negation>not\s+)?medically\s+necessary(?:\s+and\s+appropriate)?\.?[ \t]*$",
    re.I,
)


@dataclass
class _Heading:
    start: int  # first line of the heading
    outcome_line: int  # line holding the outcome word
    text: str  # heading text without the outcome, whitespace collapsed
    outcome: str


def parse_items(section: str, letter: ParsedLetter) -> list[Item]:
    section = _OUTCOME_BEFORE_LABEL.sub(lambda m: m.group("outcome") + "\n", section)
    lines = section.split("\n")
    headings = _find_headings(lines)
    items: list[Item] = []
    for index, heading in enumerate(headings):
        end = headings[index + 1].start if index + 1 < len(headings) else len(lines)
        item = make_item(index + 1, heading.text, heading.outcome)
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
        at_end = OUTCOME_AT_END.search(line)
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
        headings.append(_Heading(start, index, text, OUTCOME_WORDS[outcome.lower()]))
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
        if ends_sentence(above) and not _MODIFIED_LINK.search(above):
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


def make_item(ordinal: int, heading: str, outcome: str) -> Item:
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
        item.claims_administrator_guideline = read_guideline(
            unwrap("\n".join(parts[CLAIMS_ADMINISTRATOR]))
        )
    else:
        letter.warnings.append(f"item {item.ordinal}: no claims administrator guideline")
    if IMR_REVIEWER in parts:
        item.imr_guideline = read_guideline(unwrap("\n".join(parts[IMR_REVIEWER])))
    else:
        letter.warnings.append(f"item {item.ordinal}: no MAXIMUS guideline")
    item.rationale = unwrap("\n".join(parts.get(RATIONALE, [])))
    if not item.rationale:
        letter.warnings.append(f"item {item.ordinal}: no decision rationale")
        letter.truncated = True


def _check_last_rationale(item: Item, letter: ParsedLetter) -> None:
    rationale = item.rationale
    if rationale and not (ends_sentence(rationale) or _CONCLUSION_END.search(rationale[-40:])):
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


def parse_numbered_decisions(section: str, letter: ParsedLetter) -> list[Item]:
    """Numbered "1. <treatment> is not medically necessary" statements, each with its reasons."""
    matches = list(_NUMBERED_DECISION.finditer(section))
    items: list[Item] = []
    for index, match in enumerate(matches):
        outcome = UPHELD if match.group("negation") else OVERTURNED
        item = make_item(index + 1, " ".join(match.group("request").split()), outcome)
        end = matches[index + 1].start() if index + 1 < len(matches) else len(section)
        _fill_item_body(item, section[match.end() : end].split("\n"), letter, RATIONALE)
        items.append(item)
    if items:
        _check_last_rationale(items[-1], letter)
    return items


def read_guideline(raw: str):
    from search.letters.citations import parse_guideline

    return parse_guideline(raw)


def _classify(request: str) -> tuple[str, str]:
    from search.letters.categories import classify_request

    return classify_request(request)
