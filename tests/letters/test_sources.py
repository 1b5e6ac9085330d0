import io
import os
import threading
import zipfile
from pathlib import Path

import pytest

from search.letters.sources import (
    LetterFile,
    Rejected,
    candidate_files,
    is_safe_member_name,
    iter_letter_files,
    iter_zip_bytes,
    read_candidate,
)


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_folder_is_walked_recursively_and_only_letter_types_are_taken(tmp_path):
    (tmp_path / "a.txt").write_text("one")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "deeper" / "b.PDF").write_bytes(b"%PDF-1.4")
    (tmp_path / "notes.docx").write_bytes(b"ignored in folders")
    found = list(iter_letter_files([tmp_path]))
    assert [type(f) for f in found] == [LetterFile, LetterFile]
    assert {f.path.rsplit("/", 1)[-1] for f in found} == {"a.txt", "b.PDF"}


def test_missing_path_and_unsupported_file_are_rejected_with_reasons(tmp_path):
    odd = tmp_path / "letter.docx"
    odd.write_bytes(b"x")
    found = list(iter_letter_files([tmp_path / "nope.pdf", odd]))
    assert found == [
        Rejected(str(tmp_path / "nope.pdf"), "no such file or folder"),
        Rejected(str(odd), "unsupported file type .docx: use .pdf, .txt or .zip"),
    ]


def test_too_large_file_is_rejected_without_reading_it(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2000)
    (found,) = list(iter_letter_files([big], max_bytes=1000))
    assert isinstance(found, Rejected)
    assert "too large" in found.reason


def test_zip_members_are_read_and_climbing_paths_rejected(tmp_path):
    archive = tmp_path / "letters.zip"
    archive.write_bytes(
        make_zip(
            {
                "ok/one.txt": b"first",
                "../escape.txt": b"bad",
                "/etc/passwd.txt": b"bad",
                "readme.md": b"not a letter",
            }
        )
    )
    found = list(iter_letter_files([archive]))
    good = [f for f in found if isinstance(f, LetterFile)]
    bad = {f.path.split(":", 1)[1]: f.reason for f in found if isinstance(f, Rejected)}
    assert [(f.path.split(":", 1)[1], f.data) for f in good] == [("ok/one.txt", b"first")]
    assert "climbs out" in bad["../escape.txt"]
    assert "climbs out" in bad["/etc/passwd.txt"]
    assert "unsupported" in bad["readme.md"]


def test_zip_bomb_and_broken_zip_are_rejected():
    bomb = make_zip({"bomb.txt": b"0" * 5_000_000})
    (found,) = list(iter_zip_bytes("bomb.zip", bomb))
    assert isinstance(found, Rejected) and "compression" in found.reason
    (broken,) = list(iter_zip_bytes("broken.zip", b"PK\x03\x04 not really"))
    assert isinstance(broken, Rejected) and "zip" in broken.reason


def test_candidate_files_does_not_read_contents(tmp_path):
    (tmp_path / "a.txt").write_text("one")
    (tmp_path / "b.zip").write_bytes(make_zip({"c.txt": b"x"}))
    assert [p.name for p in candidate_files([tmp_path])] == ["a.txt", "b.zip"]


def test_safe_member_names():
    assert is_safe_member_name("a/b/c.pdf")
    assert not is_safe_member_name("a/../../c.pdf")
    assert not is_safe_member_name("C:\\windows\\x.txt")
    assert not is_safe_member_name("..\\x.txt")


# Folders: links are never followed, FIFOs and devices never opened, and each is reported.


def test_links_in_a_folder_are_reported_and_never_followed(tmp_path):
    folder, outside = tmp_path / "letters", tmp_path / "outside"
    (folder / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"outside the folder")
    (folder / "inside.txt").write_bytes(b"a letter")
    (folder / "to-outside.txt").symlink_to(outside / "secret.txt")
    (folder / "to-inside.txt").symlink_to(folder / "inside.txt")
    (folder / "dangling.pdf").symlink_to(tmp_path / "gone.pdf")
    (folder / "sub" / "outside-folder").symlink_to(outside, target_is_directory=True)
    (folder / "notes.md").symlink_to(outside / "secret.txt")  # reported whatever its name
    found = list(iter_letter_files([folder]))
    assert [(f.path, f.data) for f in found if isinstance(f, LetterFile)] == [
        (str(folder / "inside.txt"), b"a letter")
    ]
    skipped = {Path(f.path).name: f.reason for f in found if isinstance(f, Rejected)}
    assert set(skipped) == {
        "to-outside.txt",
        "to-inside.txt",
        "dangling.pdf",
        "outside-folder",
        "notes.md",
    }
    assert all("symbolic link" in reason for reason in skipped.values())


def test_fifo_in_a_folder_is_reported_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    os.mkfifo(tmp_path / "pipe")
    found = _within_seconds(5, lambda: list(iter_letter_files([tmp_path])))
    assert sorted((Path(f.path).name, f.reason) for f in found) == [
        ("pipe", "skipped: a FIFO (named pipe), not a regular file"),
        ("pipe.txt", "skipped: a FIFO (named pipe), not a regular file"),
    ]


def test_entry_swapped_for_a_fifo_or_link_after_listing_is_refused(tmp_path):
    """The folder is listed first and read later: what is read is checked again, by the open
    itself (no link followed, no wait on a FIFO)."""
    outside = tmp_path / "secret.txt"
    outside.write_bytes(b"outside the folder")
    fifo, link = tmp_path / "was-a-letter.txt", tmp_path / "also-a-letter.pdf"
    os.mkfifo(fifo)
    link.symlink_to(outside)
    (from_fifo,) = _within_seconds(5, lambda: list(read_candidate(fifo)))
    assert from_fifo == Rejected(str(fifo), "skipped: a FIFO (named pipe), not a regular file")
    (from_link,) = list(read_candidate(link))
    assert isinstance(from_link, Rejected) and "symbolic link" in from_link.reason


def test_a_link_named_by_the_user_is_followed(tmp_path):
    (tmp_path / "real.txt").write_bytes(b"a letter")
    (tmp_path / "named.txt").symlink_to(tmp_path / "real.txt")
    (found,) = list(iter_letter_files([tmp_path / "named.txt"]))
    assert isinstance(found, LetterFile) and found.data == b"a letter"


def _within_seconds(seconds: float, call):
    """call(), failing the test instead of hanging if it blocks (the daemon thread left blocked
    does not keep the test run from ending)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"blocked for more than {seconds} s")
    return result[0]
