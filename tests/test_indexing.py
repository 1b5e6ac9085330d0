"""The index follows the database: pending letters, repair after a crash, rebuild, check."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command

from search import indexing
from search.backends import index_dir
from search.engine.whoosh import storage
from search.indexing import check_index, rebuild_index, sync_pending
from search.models import Determination, Letter
from search.searching import SearchRequest, run_search
from tests.search_support import store_hand_letter, store_synthetic

pytestmark = pytest.mark.django_db


def total(q: str = "") -> int:
    return run_search(SearchRequest(q=q)).total


def test_a_stored_letter_stays_pending_until_synced_then_check_is_clean():
    letters = store_synthetic(5)
    assert all(letter.index_pending for letter in letters)
    report = check_index()
    assert not report.clean
    assert len(report.missing_from_index) == Determination.objects.count()
    assert sorted(report.pending_letters) == sorted(letter.public_id for letter in letters)

    written = sync_pending()
    assert written == Determination.objects.count()
    assert not Letter.objects.filter(index_pending=True).exists()
    assert check_index().clean
    assert total() == Determination.objects.count()


def test_check_index_command_exit_codes(capsys):
    store_synthetic(2)
    with pytest.raises(SystemExit) as exited:
        call_command("check_index")
    assert exited.value.code == 1
    assert "in the database but not in the index" in capsys.readouterr().out
    sync_pending()
    call_command("check_index")
    assert "matches" in capsys.readouterr().out


def test_a_crash_between_database_and_index_is_repaired_by_the_next_run():
    store_synthetic(3)
    sync_pending()
    # The process "dies" after the database commit of new letters, before indexing them.
    store_synthetic(2, start=3)
    assert not check_index().clean
    # The next ingest run ends with sync_pending, which indexes everything still flagged.
    sync_pending()
    assert check_index().clean


def test_a_replaced_letter_replaces_its_items_together():
    letter = store_hand_letter(
        "CM16-0000002",
        [("Knee brace", "upheld", "A brace is not indicated."), ("MRI knee", "upheld", "No.")],
    )
    sync_pending()
    assert total("CM16-0000002") == 2
    store_hand_letter("CM16-0000002", [("Knee brace", "overturned", "A brace is indicated now.")])
    letter.refresh_from_db()
    assert letter.index_pending
    sync_pending()
    result = run_search(SearchRequest(q="CM16-0000002"))
    assert [(h.ordinal, h.outcome) for h in result.hits] == [(1, "overturned")]
    assert check_index().clean


def test_a_letter_stored_again_while_indexing_stays_pending(monkeypatch):
    letter = store_hand_letter("CM16-0000003", [("Knee brace", "upheld", "Not indicated.")])
    real = indexing.documents_for_letters

    def restore_meanwhile(rows):
        documents = list(real(rows))
        store_hand_letter("CM16-0000003", [("Knee brace", "overturned", "Indicated after all.")])
        return iter(documents)

    monkeypatch.setattr(indexing, "documents_for_letters", restore_meanwhile)
    sync_pending()
    letter.refresh_from_db()
    assert letter.index_pending
    monkeypatch.undo()
    sync_pending()
    letter.refresh_from_db()
    assert not letter.index_pending
    assert check_index().clean


def test_items_of_deleted_letters_are_removed():
    letters = store_synthetic(3)
    sync_pending()
    letters[0].delete()
    report = check_index()
    assert report.missing_from_database and not report.missing_from_index
    store_synthetic(1, start=10)
    sync_pending()
    assert check_index().clean


def test_rebuild_while_searching_keeps_answering():
    store_synthetic(20)
    sync_pending()
    expected = Determination.objects.count()
    stop = threading.Event()
    answers: list[int] = []
    errors: list[BaseException] = []

    def search_loop():
        while not stop.is_set():
            try:
                answers.append(run_search(SearchRequest(q="therapy")).total)
                answers.append(run_search(SearchRequest()).total)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    thread = threading.Thread(target=search_loop)
    thread.start()
    try:
        before = storage.current_generation(index_dir())
        for _ in range(2):
            assert rebuild_index() == expected
        assert storage.current_generation(index_dir()) != before
    finally:
        stop.set()
        thread.join()
    assert not errors, errors[:3]
    assert answers and expected in answers
    assert check_index().clean
    assert total() == expected


def test_rebuild_needs_few_queries(django_assert_max_num_queries):
    store_synthetic(10)
    with django_assert_max_num_queries(12):
        rebuild_index()


def test_rebuild_index_command(capsys):
    store_synthetic(2)
    call_command("rebuild_index")
    assert "Indexed" in capsys.readouterr().out
    assert check_index().clean


def test_remove_letters_drops_their_items():
    letters = store_synthetic(2)
    sync_pending()
    gone = letters[0].public_id
    letters[0].delete()
    assert indexing.remove_letters([gone]) == 1
    assert check_index().clean


# --- One writer and one commit per sync; several processes for large ones -------------------


@pytest.fixture
def commits(monkeypatch):
    """Counts commits of Whoosh writers (the single-process and the parallel one)."""
    from whoosh.multiproc import MpWriter
    from whoosh.writing import SegmentWriter

    counted = {"commits": 0, "parallel": 0}

    def counting(original, parallel):
        def commit(self, *args, **kwargs):
            counted["commits"] += 1
            counted["parallel"] += parallel
            return original(self, *args, **kwargs)

        return commit

    monkeypatch.setattr(SegmentWriter, "commit", counting(SegmentWriter.commit, 0))
    monkeypatch.setattr(MpWriter, "commit", counting(MpWriter.commit, 1))
    return counted


def test_one_sync_run_commits_once_however_many_chunks(monkeypatch, commits):
    monkeypatch.setattr(indexing, "SYNC_CHUNK_LETTERS", 3)
    store_synthetic(10)
    written = sync_pending()
    assert written == Determination.objects.count()
    # The empty index's creation commits once too (the schema document); then the sync.
    assert commits["commits"] == 2 and commits["parallel"] == 0
    assert check_index().clean
    assert total() == written


def test_a_large_sync_writes_with_several_processes_and_still_replaces(monkeypatch, commits):
    monkeypatch.setattr(indexing, "PARALLEL_SYNC_ITEMS", 1)
    monkeypatch.setattr(indexing, "SYNC_CHUNK_LETTERS", 4)
    store_synthetic(12)
    letter = store_hand_letter(
        "CM16-0000009",
        [("Knee brace", "upheld", "A brace is not indicated."), ("MRI knee", "upheld", "No.")],
    )
    sync_pending()
    assert commits["parallel"] == 1
    assert check_index().clean
    assert total("CM16-0000009") == 2
    # Deletes by letter id apply in the parallel writer too: the old items go, the new come.
    store_hand_letter("CM16-0000009", [("Knee brace", "overturned", "A brace is indicated.")])
    store_synthetic(3, start=12)
    sync_pending()
    assert commits["parallel"] == 2
    letter.refresh_from_db()
    assert not letter.index_pending
    result = run_search(SearchRequest(q="CM16-0000009"))
    assert [(h.ordinal, h.outcome) for h in result.hits] == [(1, "overturned")]
    assert check_index().clean
    assert total() == Determination.objects.count()


def test_a_failed_sync_lowers_no_flag_and_leaves_no_writer_process(monkeypatch):
    import multiprocessing

    monkeypatch.setattr(indexing, "PARALLEL_SYNC_ITEMS", 1)
    monkeypatch.setattr(indexing, "SYNC_CHUNK_LETTERS", 2)
    store_synthetic(6)
    real = indexing.documents_for_letters
    calls = []

    def fail_on_the_third_chunk(rows):
        calls.append(len(rows))
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real(rows)

    monkeypatch.setattr(indexing, "documents_for_letters", fail_on_the_third_chunk)
    with pytest.raises(RuntimeError):
        sync_pending()
    # The writer processes that indexed the first chunks were stopped, nothing was committed,
    # and every letter is still pending.
    assert multiprocessing.active_children() == []
    assert Letter.objects.filter(index_pending=True).count() == 6
    monkeypatch.undo()
    sync_pending()
    assert check_index().clean
