"""Normalise the guideline citations of an IMR letter into facet-friendly Citation objects."""

from __future__ import annotations

import re

from search.domain import FLAG_NO_EVIDENCE, FLAG_NOT_MTUS, GuidelineText


def parse_guideline(raw: str) -> GuidelineText:
    text = re.sub(r"\s+", " ", raw or "").strip()
    flags = []
    if re.search(r"did not cite any medical evidence", text, re.I):
        flags.append(FLAG_NO_EVIDENCE)
    if re.search(r"did not base (?:their|his|her|its) decision on the MTUS", text, re.I):
        flags.append(FLAG_NOT_MTUS)
    return GuidelineText(raw=text, citations=[], flags=flags)
