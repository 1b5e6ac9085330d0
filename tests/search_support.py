"""Fixtures and helpers shared by the search tests (a pytest plugin: tests/conftest.py loads it).

The sample letters are stored through the real ingest path, indexed and embedded once per
session (`sample_snapshot`); their rows are then kept in memory and their index folder on disk.
A test module that searches them (`corpus`) gets the rows back with one bulk insert, committed
outside the per-test transactions, and a copy of the index folder of its own: the index is
derived data, so copying it is the same as building it again, only faster. A test served by a
live server (`live_corpus`) has its database flushed after it, so it gets the rows and a copy
per test; `isolated_corpus` stores the rows inside the test's transaction, for modules whose
other tests count on an empty database. Tests that write (store, sync, rebuild) use the fresh
index every test gets instead.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.test import override_settings

from search.engine.query import parse_user_query
from search.indexing import embed_pending, sync_pending
from search.ingest import store_letter
from search.letters import domain
from search.letters.parser import parse_letter
from search.letters.synthetic import generate_letters
from search.models import Citation, Determination, Letter
from search.searching import run_search
from search.web.forms import SearchForm

# Parents before children, so the rows insert in this order and delete in the reverse.
STORED_MODELS = (Letter, Determination, Citation)


@dataclass(frozen=True)
class SampleSnapshot:
    """The sample letters as stored and indexed once: their rows and their index folder."""

    index_dir: Path
    rows: dict[type, list[dict]]  # model -> field values by attname, primary keys included

    @property
    def letters(self) -> int:
        return len(self.rows[Letter])

    def restore(self) -> None:
        """Insert the stored rows again with their own primary keys (the index refers to them).

        The keys came from the database's own sequences when the letters were first stored, and
        sequences never go back, so later inserts cannot collide with them.
        """
        for model in STORED_MODELS:
            model.objects.bulk_create(model(**values) for values in self.rows[model])

    def remove(self) -> None:
        Letter.objects.filter(pk__in=[row["id"] for row in self.rows[Letter]]).delete()

    def copy_index(self, target: Path) -> Path:
        shutil.copytree(self.index_dir, target)
        return target


@dataclass
class Corpus:
    index_dir: Path
    letters: int


@pytest.fixture(scope="session")
def sample_snapshot(django_db_setup, django_db_blocker, sample_texts, tmp_path_factory):
    """Store and index every sample letter once per session, then keep the rows aside."""
    index_dir = tmp_path_factory.mktemp("sample-index-built")
    with django_db_blocker.unblock(), override_settings(SEARCH_INDEX_DIR=index_dir):
        # Leftovers committed by an earlier test would otherwise be indexed with the samples.
        Letter.objects.all().delete()
        for name, text in sample_texts:
            store_letter(parse_letter(text), text, source_name=name)
        sync_pending()
        # Their vectors too, as the ingest command does: searches rank by words and meaning.
        embedded = embed_pending()
        assert not embedded.unavailable, embedded.unavailable
        rows = {
            model: list(model.objects.order_by("pk").values(*_attnames(model)))
            for model in STORED_MODELS
        }
        Letter.objects.all().delete()
    return SampleSnapshot(index_dir=index_dir, rows=rows)


def _attnames(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


@pytest.fixture(scope="module")
def sample_index(sample_snapshot, tmp_path_factory) -> Path:
    """This module's own copy of the sample letters' index folder."""
    return sample_snapshot.copy_index(tmp_path_factory.mktemp("sample-index") / "index")


@pytest.fixture(scope="module")
def sample_corpus(sample_snapshot, sample_index, django_db_blocker):
    """The sample letters for one test module: rows committed for the module's duration."""
    with django_db_blocker.unblock():
        sample_snapshot.restore()
    yield Corpus(index_dir=sample_index, letters=sample_snapshot.letters)
    with django_db_blocker.unblock():
        sample_snapshot.remove()


@pytest.fixture
def corpus(sample_corpus, settings, db):
    """The sample letters, stored and indexed; the test's index folder is theirs."""
    settings.SEARCH_INDEX_DIR = sample_corpus.index_dir
    return sample_corpus


@pytest.fixture
def isolated_corpus(sample_snapshot, sample_index, settings, db):
    """The sample letters stored inside this test's transaction, so gone after it.

    For modules whose other tests count on an empty database.
    """
    sample_snapshot.restore()
    settings.SEARCH_INDEX_DIR = sample_index
    return Corpus(index_dir=sample_index, letters=sample_snapshot.letters)


@pytest.fixture
def live_corpus(sample_snapshot, transactional_db, settings, tmp_path):
    """The sample letters for a test served by a live server: its database is flushed after
    it, and it may write to its index, so it gets the rows and an index copy of its own."""
    settings.SEARCH_INDEX_DIR = sample_snapshot.copy_index(tmp_path / "sample-index")
    sample_snapshot.restore()
    return Corpus(index_dir=settings.SEARCH_INDEX_DIR, letters=sample_snapshot.letters)


def every_item_count() -> int:
    """The items stored, by the database: what a search with nothing to search for must count."""
    return Determination.objects.count()


def search_total(params: dict[str, str | list[str]]) -> int:
    return run_search(SearchForm(params).search_request()).total


def assert_the_index_answers() -> None:
    """The search index answers: a search for nothing counts every stored item.

    A search that is down answers every query with no hits (and a notice); a hostile query that
    rightly matches nothing looks the same, so the tests of such queries check this too.
    """
    assert search_total({}) == every_item_count() > 0, "the search is down"


def assert_answered_from_the_index(query: str, result) -> None:
    """`query`, whose exact answer no test knows, was searched in the index, not by a search
    that is down: with nothing in it to search for it counts every item, as an empty search
    does; otherwise it counts at most every item, its hits are stored items, and the index
    answers."""
    everything = every_item_count()
    parsed = parse_user_query(query)
    if parsed.query is None and not parsed.case_query:
        assert result.total == everything, (query, result.total, everything)
        return
    assert len(result.hits) <= result.total <= everything, (query, result.total, everything)
    for hit in result.hits:
        stored = Determination.objects.filter(letter__public_id=hit.letter_id, ordinal=hit.ordinal)
        assert stored.exists(), hit.item_id
    assert_the_index_answers()


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
