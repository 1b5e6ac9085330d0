"""Fixtures and helpers shared by the search tests.

The sample letters are extracted once per session; each test module stores them once (committed,
outside the per-test transactions) and indexes them into its own folder, which tests then point
settings.SEARCH_INDEX_DIR at. Tests that write (store, sync, rebuild) use a fresh index instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.test import override_settings

from search.indexing import sync_pending
from search.ingest import store_letter
from search.letters import domain
from search.letters.extract import extract_letter_text
from search.letters.parser import parse_letter
from search.letters.synthetic import generate_letters
from search.models import Letter


@pytest.fixture(scope="session")
def sample_texts(letters_dir) -> list[tuple[str, str]]:
    """(file name, extracted text) of every sample letter, extracted once."""
    paths = sorted((letters_dir / "pdf").glob("*.pdf")) + sorted(
        (letters_dir / "seeds").glob("*.txt")
    )
    return [(p.name, extract_letter_text(p.read_bytes(), p.name)) for p in paths]


@dataclass
class Corpus:
    index_dir: Path
    letters: int


@pytest.fixture(scope="module")
def sample_corpus(django_db_setup, django_db_blocker, sample_texts, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("sample-index")
    with django_db_blocker.unblock(), override_settings(SEARCH_INDEX_DIR=index_dir):
        Letter.objects.all().delete()
        for name, text in sample_texts:
            store_letter(parse_letter(text), text, source_name=name)
        sync_pending()
        count = Letter.objects.count()
    yield Corpus(index_dir=index_dir, letters=count)
    with django_db_blocker.unblock():
        Letter.objects.all().delete()


@pytest.fixture
def corpus(sample_corpus, settings, db):
    """The sample letters, stored and indexed; the test's index folder is theirs."""
    settings.SEARCH_INDEX_DIR = sample_corpus.index_dir
    return sample_corpus


def hand_letter(
    case_number: str,
    items: list[tuple[str, str, str]],
    *,
    decided: date | None = date(2017, 1, 15),
    specialties: tuple[str, ...] = ("Internal Medicine",),
    summary: str = "The injured worker has chronic low back pain.",
    category: str = "Other",
) -> tuple[domain.ParsedLetter, str]:
    """A parsed letter built by hand: items are (request, outcome, rationale)."""
    parsed = domain.ParsedLetter(
        layout=domain.LAYOUT_POSTED,
        header=domain.Header(case_number=case_number, decision_date=decided, priority="Standard"),
        reviewer=domain.Reviewer(specialties=list(specialties)),
        summary=summary,
        items=[
            domain.Item(
                ordinal=n,
                heading=request,
                request=request,
                outcome=outcome,
                rationale=rationale,
                treatment_category=category,
                imr_guideline=domain.GuidelineText(
                    raw="MTUS Chronic Pain",
                    citations=[
                        domain.Citation(
                            source=domain.MTUS,
                            guideline="Chronic Pain",
                            sections=["Opioids"],
                            pages=["78"],
                        )
                    ],
                ),
            )
            for n, (request, outcome, rationale) in enumerate(items, start=1)
        ],
    )
    text = f"Case Number: {case_number}\n" + "\n".join(f"{r}: {o}\n{x}" for r, o, x in items)
    return parsed, text


def store_hand_letter(*args, **kwargs) -> Letter:
    parsed, text = hand_letter(*args, **kwargs)
    letter, _ = store_letter(parsed, text)
    return letter


def store_synthetic(count: int, start: int = 0) -> list[Letter]:
    """`count` synthetic letters (seed 7) stored through the real ingest path, not indexed."""
    letters = []
    for synthetic in generate_letters(count, seed=7, start=start):
        letter, _ = store_letter(parse_letter(synthetic.text), synthetic.text)
        letters.append(letter)
    return letters
