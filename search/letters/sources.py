"""Find letter files in the paths a user names: files, folders (recursively) and zip archives.

Pure Python. Every problem becomes a `Rejected` entry with a reason, never an exception, so one
bad file cannot stop the others from going in.
"""

from __future__ import annotations

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
            found.extend(
                child
                for child in sorted(path.rglob("*"))
                if child.is_file() and child.suffix.lower() in LETTER_SUFFIXES + (".zip",)
            )
        elif path.is_file():
            found.append(path)
        elif path.exists():
            found.append(Rejected(str(path), "not a regular file"))
        else:
            found.append(Rejected(str(path), "no such file or folder"))
    return found


def read_candidate(
    path: Path, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[LetterFile | Rejected]:
    yield from _from_file(path, max_bytes)


def _from_file(path: Path, max_bytes: int) -> Iterator[LetterFile | Rejected]:
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
        if suffix == ".zip":
            yield from _from_zip(path, max_bytes)
            return
        if suffix not in LETTER_SUFFIXES:
            yield Rejected(
                str(path), f"unsupported file type {suffix or '(none)'}: use .pdf, .txt or .zip"
            )
            return
        if size > max_bytes:
            yield Rejected(
                str(path), f"file too large ({size:,} bytes; the limit is {max_bytes:,})"
            )
            return
        yield LetterFile(str(path), path.read_bytes())
    except OSError as exc:
        yield Rejected(str(path), f"could not read the file: {exc.strerror or exc}")


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
