"""Indexing while an ingest stores: the index follows each committed batch, and anything that
stops the stream leaves letters flagged for the run's closing sync_pending."""

from __future__ import annotations

import pytest

from search import streamed_sync
from search.backends import get_backend
from search.indexing import check_index, read_pending, sync_pending
from search.ingest import IngestReport, LetterBatch, ingest_paths, store_letter
from search.models import Determination, Letter
from search.searching import SearchRequest, run_search
from search.streamed_sync import StreamedSync
from tests.search_support import hand_letter, store_synthetic

pytestmark = pytest.mark.django_db


def total(q: str = "") -> int:
    return run_search(SearchRequest(q=q)).total


def test_stored_batches_are_searchable_after_the_commit_with_their_flags_lowered():
    letters = store_synthetic(3)
    with StreamedSync() as sync:
        sync.stored([letters[0].pk])
        sync.stored([letter.pk for letter in letters[1:]])
        assert total() == 0  # written, not yet committed
        assert Letter.objects.filter(index_pending=True).count() == 3
    assert sync.commits == 1 and not sync.stopped and not sync.handed_over
    assert sync.written == Determination.objects.count() == total()
    assert not Letter.objects.filter(index_pending=True).exists()
    assert check_index().clean


def test_past_its_letters_the_stream_commits_and_leaves_the_rest_to_the_closing_sync():
    letters = store_synthetic(3)
    with StreamedSync(letters=2) as sync:
        sync.stored([letter.pk for letter in letters[:2]])
        # Committed at once: searchable while the run goes on.
        assert sync.handed_over and sync.commits == 1
        assert total() == sync.written > 0
        sync.stored([letters[2].pk])
    assert sync.commits == 1
    assert list(Letter.objects.filter(index_pending=True)) == [letters[2]]
    assert sync_pending() == letters[2].determinations.count()
    assert total() == Determination.objects.count()


def test_a_letter_replaced_within_the_run_is_indexed_once_in_its_last_version():
    parsed, text = hand_letter("CM17-0000001", [("Acupuncture 6 sessions", "Upheld", "Not shown.")])
    with StreamedSync() as sync:
        letter, _ = store_letter(parsed, text)
        sync.stored([letter.pk])
        parsed, text = hand_letter(
            "CM17-0000001", [("Acupuncture 6 sessions", "Overturned", "Improvement shown.")]
        )
        letter, _ = store_letter(parsed, text)
        sync.stored([letter.pk])
    assert total() == 1
    hits = run_search(SearchRequest(q="acupuncture")).hits
    assert [hit.outcome for hit in hits] == ["Overturned"]
    assert check_index().clean


def test_a_locked_index_stops_the_stream_and_the_closing_sync_indexes_the_letters(monkeypatch):
    monkeypatch.setattr(streamed_sync, "OPEN_WAIT_SECONDS", 0.1)
    letters = store_synthetic(2)
    with get_backend().writer():  # another writer holds the index
        with StreamedSync() as sync:
            sync.stored([letter.pk for letter in letters])
    assert "locked" in sync.stopped
    assert sync.written == 0
    assert Letter.objects.filter(index_pending=True).count() == 2
    assert sync_pending() == Determination.objects.count() == total()


def test_a_failure_while_writing_cancels_what_was_not_committed(monkeypatch):
    letters = store_synthetic(3)
    calls = []

    def failing_second_read(pks):
        calls.append(pks)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return read_pending(pks)

    monkeypatch.setattr(streamed_sync, "read_pending", failing_second_read)
    with StreamedSync() as sync:
        sync.stored([letters[0].pk])  # written, not committed
        sync.stored([letters[1].pk])  # fails: the first letter's writes are cancelled too
        sync.stored([letters[2].pk])  # nothing more is tried once stopped
    assert len(calls) == 2
    assert "No space left" in sync.stopped and sync.written == 0
    assert Letter.objects.filter(index_pending=True).count() == 3
    assert total() == 0
    assert sync_pending() == Determination.objects.count() == total()


def _recorded_streams(monkeypatch) -> list[StreamedSync]:
    streams: list[StreamedSync] = []
    plain_init = StreamedSync.__init__

    def recorded_init(self, **options):
        plain_init(self, **options)
        streams.append(self)

    monkeypatch.setattr(StreamedSync, "__init__", recorded_init)
    return streams


def _seeds(letters_dir):
    seeds = letters_dir / "seeds"
    if not seeds.is_dir():
        pytest.skip(f"no seed letters in {seeds}")
    return seeds


def test_an_ingest_indexes_its_letters_while_storing_them(letters_dir, monkeypatch):
    seeds = _seeds(letters_dir)
    streams = _recorded_streams(monkeypatch)
    monkeypatch.setattr("search.ingest.STORE_BATCH_LETTERS", 1)  # a batch per letter
    report = ingest_paths([seeds])
    assert report.ingested == len(list(seeds.glob("*.txt"))) >= 3
    (stream,) = streams
    assert stream.commits == 1 and not stream.stopped and not stream.handed_over
    # Every item went in while storing; the closing sync found nothing left.
    assert report.indexed == stream.written == Determination.objects.count() == total()
    assert not Letter.objects.filter(index_pending=True).exists()


def test_a_long_ingest_hands_its_remainder_to_the_closing_sync(letters_dir, monkeypatch):
    seeds = _seeds(letters_dir)
    streams = _recorded_streams(monkeypatch)
    monkeypatch.setattr("search.ingest.STORE_BATCH_LETTERS", 1)
    monkeypatch.setattr(streamed_sync, "STREAM_LETTERS", 2)
    report = ingest_paths([seeds])
    (stream,) = streams
    assert stream.handed_over and stream.commits == 1
    first_two = Determination.objects.filter(
        letter__in=Letter.objects.order_by("pk")[:2]
    ).count()
    assert stream.written == first_two
    assert report.indexed == Determination.objects.count() == total() > first_two
    assert not Letter.objects.filter(index_pending=True).exists()


def test_letter_batch_gives_the_ids_it_stored_after_its_commit():
    seen: list[list[int]] = []
    parsed, text = hand_letter("CM17-0000020", [("Gabapentin", "Upheld", "Not shown.")])
    with LetterBatch(IngestReport(), size=10, on_stored=seen.append) as batch:
        batch.add("a.txt", parsed, text)
        batch.add("b.txt", parsed, text)  # the same letter again: unchanged, not given
        assert seen == []
    assert seen == [[Letter.objects.get(case_number="CM17-0000020").pk]]
