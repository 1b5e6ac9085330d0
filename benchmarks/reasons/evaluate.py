"""Precision and recall of the decision reasons and request sizes against our hand labels.

The labels (tests/letters/reasons_labels.json) were written by reading each item's rationale and
request, keyed by case number and item ordinal (no letter text is kept there). Each labelled
letter belongs to one part: "tune" (the rules were adjusted while looking at these) or
"held_out" (only measured), alternating by case number over the first 156 items, so the
held-out figures say how the rules do on items they were not fitted to; "held_out_2" is every
other item of the sample letters, labelled later and measured once before the rules were
adjusted with it in view. A third round of rules was written looking at every part, so figures
taken since are in-sample for all of them (BENCHMARKS.md keeps the earlier held-out figures).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from search.letters.extract import extract_letter_text
from search.letters.parser import parse_letter
from search.letters.reasons import REASON_CODES, find_reasons
from search.letters.request_size import SIZE_FIELDS, read_request_size

LABELS = Path(__file__).resolve().parents[2] / "tests" / "letters" / "reasons_labels.json"
PARTS = ("tune", "held_out", "held_out_2")


@dataclass(frozen=True)
class SampleItem:
    outcome: str
    request: str
    rationale: str


def load_labels(path: Path = LABELS) -> list[dict]:
    return json.loads(path.read_text())["items"]


def read_sample_items(letters_dir: Path) -> dict[tuple[str, int], SampleItem]:
    """Every item of the sample letters, by (case number, ordinal)."""
    paths = sorted((letters_dir / "pdf").glob("*.pdf"))
    paths += sorted((letters_dir / "seeds").glob("*.txt"))
    items = {}
    for path in paths:
        parsed = parse_letter(extract_letter_text(path.read_bytes(), path.name))
        case = parsed.header.case_number or path.stem
        for item in parsed.items:
            items[(case, item.ordinal)] = SampleItem(item.outcome, item.request, item.rationale)
    return items


@dataclass
class Tally:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    misses: list[str] = field(default_factory=list)  # "CASE#N +found" / "CASE#N -missed"

    @property
    def labelled(self) -> int:
        return self.true_positive + self.false_negative

    @property
    def precision(self) -> float | None:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else None

    @property
    def recall(self) -> float | None:
        return self.true_positive / self.labelled if self.labelled else None

    def as_json(self) -> dict:
        return {"labelled": self.labelled, "found": self.true_positive + self.false_positive,
                "precision": self.precision, "recall": self.recall}


@dataclass
class Evaluation:
    items: int
    reasons: dict[str, Tally]
    sizes: dict[str, Tally]
    missing: list[str]  # labelled items the sample letters no longer have

    def as_json(self) -> dict:
        return {"items": self.items, "missing": self.missing,
                "reasons": {k: t.as_json() for k, t in self.reasons.items()},
                "sizes": {k: t.as_json() for k, t in self.sizes.items()}}


def evaluate(labels: Iterable[dict], items: dict[tuple[str, int], SampleItem],
             part: str | None = None) -> Evaluation:
    reasons = {code: Tally() for code in REASON_CODES}
    sizes = {name: Tally() for name in SIZE_FIELDS}
    missing, count = [], 0
    for label in labels:
        if part and label["part"] != part:
            continue
        key = (label["case"], label["ordinal"])
        name = f"{key[0]}#{key[1]}"
        item = items.get(key)
        if item is None:
            missing.append(name)
            continue
        count += 1
        found = {r.code for r in find_reasons(item.rationale, item.outcome, item.request)}
        _tally(reasons, set(label["reasons"]), found, name)
        size = read_request_size(item.request).as_json()
        for field_name in SIZE_FIELDS:
            expected, got = label["size"].get(field_name), size.get(field_name)
            tally = sizes[field_name]
            if expected is not None and got == expected:
                tally.true_positive += 1
                continue
            if got is not None:
                tally.false_positive += 1
                tally.misses.append(f"{name} +{got}")
            if expected is not None:
                tally.false_negative += 1
                tally.misses.append(f"{name} -{expected}")
    return Evaluation(count, reasons, sizes, missing)


def _tally(tallies: dict[str, Tally], expected: set[str], found: set[str], name: str) -> None:
    for code in expected | found:
        tally = tallies[code]
        if code in expected and code in found:
            tally.true_positive += 1
        elif code in found:
            tally.false_positive += 1
            tally.misses.append(f"{name} +found")
        else:
            tally.false_negative += 1
            tally.misses.append(f"{name} -missed")
