"""PDFium (the extractor ingest uses) and pypdf (its fallback) give the same parsed letter.

Field by field over the posted sample letters: header, items, outcomes, guidelines, citations,
rationales, summary, warnings. pypdf is the slow side (a quarter of a second a letter), so the
default run takes every tenth letter and the slow run (.ci/run) all of them.
"""

import pytest

from benchmarks.extractors import differences
from search.ingest import text_hash
from search.letters.extract import clean_text, pdfium_text, pypdf_text
from search.letters.parser import parse_letter


def _assert_same_letter(path):
    data = path.read_bytes()
    by_pdfium = clean_text(pdfium_text(data))
    by_pypdf = clean_text(pypdf_text(data))
    found = list(differences(parse_letter(by_pypdf), parse_letter(by_pdfium)))
    assert not found, f"{path.name}: {found[:3]}"
    # The same identity too, so a letter stored from pypdf's text reads as unchanged.
    assert text_hash(by_pdfium) == text_hash(by_pypdf), path.name


def test_the_extractors_parse_every_tenth_letter_the_same(pdf_paths):
    for path in pdf_paths[::10]:
        _assert_same_letter(path)


@pytest.mark.slow
def test_the_extractors_parse_every_letter_the_same(pdf_paths):
    assert len(pdf_paths) >= 100, "the posted sample has 100 letters"
    for path in pdf_paths:
        _assert_same_letter(path)
