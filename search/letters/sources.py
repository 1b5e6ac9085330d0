"""Find letter files in the paths a user names: files, folders (recursively) and zip archives.

Pure Python. Every problem becomes a `Rejected` entry with a reason, never an exception, so one
bad file cannot stop the others from going in.

Inside a folder, only regular files are read: a symbolic link (to a file or a folder, inside the
folder or out of it, or dangling) is never followed, and a FIFO, socket or device is never opened;
each is reported with its reason. Files are opened without following links and without blocking,
so an entry swapped for a link or a FIFO after the folder was listed is refused too. A path the
user names itself is theirs to choose: a link named on the command line is followed.
"""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

LETTER_SUFFIXES = (".pdf", ".txt")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# A zip bomb guard: a member may not claim to expand beyond this ratio of its compressed size.
MAX_COMPRESSION_RATIO = 200


@dataclass(frozen=True)
class LetterFile:
    path: str  # what the user will recognise: a file path, or "archive.zip:member.pdf"
    data: bytes


@dataclass(frozen=True)
class Rejected:
    path: str
    reason: str


def iter_letter_files(
    paths: Iterable[str | Path], max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[LetterFile | Rejected]:
    for candidate in candidate_files(paths):
        if isinstance(candidate, Rejected):
            yield candidate
        else:
            yield from read_candidate(candidate, max_bytes)


def candidate_files(paths: Iterable[str | Path]) -> list[Path | Rejected]:
    """The files to read, folders expanded, without reading them (for a progress total)."""
    found: list[Path | Rejected] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(_folder_entries(path))
        elif path.is_file():
            # Named by the user: a link is followed here, once, to the file it names.
            found.append(path.resolve() if path.is_symlink() else path)
        elif path.exists():
            found.append(Rejected(str(path), "not a regular file"))
        else:
            found.append(Rejected(str(path), "no such file or folder"))
    return found


def _folder_entries(folder: Path) -> list[Path | Rejected]:
    """Letter files under `folder` and, as Rejected, every entry skipped for what it is; links
    are listed, never followed (os.walk with followlinks=False does not descend into them)."""
    found: list[Path | Rejected] = []

    def unreadable(error: OSError) -> None:
        found.append(
            Rejected(error.filename or str(folder), f"could not read the folder: {error.strerror}")
        )

    for parent, folders, files in os.walk(folder, onerror=unreadable):
        for name in folders:
            child = Path(parent, name)
            if child.is_symlink():
                found.append(Rejected(str(child), LINK_REASON))
        for name in files:
            child = Path(parent, name)
            try:
                mode = child.lstat().st_mode
            except OSError as exc:
                found.append(Rejected(str(child), f"could not read the entry: {exc.strerror}"))
                continue
            if not stat.S_ISREG(mode):
                found.append(Rejected(str(child), _not_regular_reason(mode)))
            elif child.suffix.lower() in LETTER_SUFFIXES + (".zip",):
                found.append(child)
    return sorted(
        found, key=lambda entry: Path(entry.path) if isinstance(entry, Rejected) else entry
    )


LINK_REASON = "skipped: a symbolic link (links inside a folder are not followed)"


def _not_regular_reason(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return LINK_REASON
    kinds = (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a folder"),
    )
    kind = next((name for test, name in kinds if test(mode)), "not a regular file")
    return f"skipped: {kind}, not a regular file"


class _NotRegular(Exception):
    def __init__(self, reason: str):
        self.reason = reason


# Open without following a final link and without blocking on a FIFO or device (both 0 where
# the system has no such flag).
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _open_regular(path: Path):
    """A binary file object on `path`, which must be a regular file and not a link."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _NotRegular(LINK_REASON) from exc
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _NotRegular(_not_regular_reason(mode))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_candidate(
    path: Path, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[LetterFile | Rejected]:
    yield from _from_file(path, max_bytes)


def _from_file(path: Path, max_bytes: int) -> Iterator[LetterFile | Rejected]:
    suffix = path.suffix.lower()
    if suffix not in LETTER_SUFFIXES + (".zip",):
        yield Rejected(
            str(path), f"unsupported file type {suffix or '(none)'}: use .pdf, .txt or .zip"
        )
        return
    try:
        handle = _open_regular(path)
    except _NotRegular as exc:
        yield Rejected(str(path), exc.reason)
        return
    except OSError as exc:
        yield Rejected(str(path), f"could not read the file: {exc.strerror or exc}")
        return
    with handle:
        if suffix == ".zip":
            yield from _from_zip(handle, max_bytes, label=str(path))
            return
        try:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                yield Rejected(
                    str(path), f"file too large ({size:,} bytes; the limit is {max_bytes:,})"
                )
                return
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            yield Rejected(str(path), f"could not read the file: {exc.strerror or exc}")
            return
        if len(data) > max_bytes:  # it grew after its size was read
            yield Rejected(str(path), f"file too large (over {max_bytes:,} bytes)")
            return
        yield LetterFile(str(path), data)


def iter_zip_bytes(name: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES):
    """Letters inside an uploaded zip held in memory."""
    import io

    yield from _from_zip(io.BytesIO(data), max_bytes, label=name)


def _from_zip(source, max_bytes: int, label: str | None = None) -> Iterator[LetterFile | Rejected]:
    label = label or str(source)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        yield Rejected(label, f"not a readable zip archive ({exc})")
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            member = f"{label}:{info.filename}"
            if not is_safe_member_name(info.filename):
                yield Rejected(member, "unsafe path in zip archive (absolute or climbs out of it)")
                continue
            suffix = PurePosixPath(info.filename).suffix.lower()
            if suffix not in LETTER_SUFFIXES:
                yield Rejected(
                    member, f"unsupported file type {suffix or '(none)'}: use .pdf or .txt"
                )
                continue
            if info.file_size > max_bytes:
                yield Rejected(
                    member, f"file too large ({info.file_size:,} bytes; the limit is {max_bytes:,})"
                )
                continue
            if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
                yield Rejected(member, "suspicious compression ratio (possible zip bomb)")
                continue
            try:
                with archive.open(info) as handle:
                    data = handle.read(max_bytes + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError) as exc:
                yield Rejected(member, f"could not read from the archive ({exc})")
                continue
            if len(data) > max_bytes:
                yield Rejected(member, f"file too large (over {max_bytes:,} bytes)")
                continue
            yield LetterFile(member, data)


def is_safe_member_name(name: str) -> bool:
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        return False
    return ".." not in PurePosixPath(normalised).parts
