"""Item vectors for one index generation: a flat file store, memory-mapped, scanned exactly.

The store lives in the generation's folder, beside its index, as four files:

    vectors.json         {"format", "dims", "dtype", "model", "rows", "part"}: the commit record
    vectors-<part>.ids   int64 item id of each row (-1: a row replaced or removed)
    vectors-<part>.data  rows x dims, int8 (with a scale per row) or float32
    vectors-<part>.scale float32 per row, int8 only: a row is data * scale

Rows are only ever appended, under an exclusive lock on `vectors.lock`; the JSON record, replaced
atomically after the rows are on disk, says how many rows count, so a crash mid-write leaves the
store as it was (bytes past `rows` are ignored and cut by the next writer). Putting an item again
appends its new row and marks its old one -1; a row's item is the last row with its id, so a crash
between the two still reads right. `compact()` (run by `put` when a quarter of the rows are dead)
writes the live rows to a new part and switches the record to it; readers that have the old part
mapped keep reading it until they `refresh()`.

int8 keeps each vector as round(v / s * 127) with s = max |v| per row: 4 times smaller than float32
(384 bytes + 4 a row) and the same ranking to within a hair (docs/embedding.md measures recall@20
against float32). `nearest()` scans every live row: a matrix-vector product, then the filter, then
the best `limit`; the filter is applied before the cut, so every result is allowed and the best
allowed ones are returned. Past a few hundred thousand items an approximate index takes over (see
docs/embedding.md).

Three classes: VectorFiles (the files, the lock and the commits), MappedVectors (one committed
state mapped for lookup and the flat scan) and VectorStore (the store, composing the two).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

FORMAT = 1
RECORD = "vectors.json"
LOCK = "vectors.lock"
DTYPES = {"int8": np.int8, "float32": np.float32}
DEAD = -1


class VectorStoreError(RuntimeError):
    """The store is missing, of another format, or of another model or size than asked for."""


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 rows, float32 scale per row) with rows * scale close to `vectors`."""
    vectors = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(vectors).max(axis=1) if len(vectors) else np.zeros(0, np.float32)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    rows = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8)
    return rows, scale


class VectorFiles:
    """The store's files in one folder: the commit record, the parts, and every change to them.

    Each change runs under the folder's lock and ends with a new record (see the module's
    docstring); readers see it when they next map the files (`map`).
    """

    def __init__(self, folder: Path):
        self.folder = folder

    @staticmethod
    def create(folder: Path, *, dims: int, model: str, dtype: str) -> None:
        """An empty store in `folder`, unless one with the same dims, dtype and model is there."""
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {sorted(DTYPES)}, not {dtype!r}")
        folder.mkdir(parents=True, exist_ok=True)
        record_path = folder / RECORD
        with _locked(folder):
            if record_path.exists():
                record = json.loads(record_path.read_text(encoding="utf-8"))
                wanted = {"dims": dims, "dtype": dtype, "model": model}
                found = {key: record.get(key) for key in wanted}
                if found != wanted:
                    raise VectorStoreError(f"{record_path} holds {found}, not {wanted}")
            else:
                record = {"format": FORMAT, "dims": dims, "dtype": dtype, "model": model,
                          "rows": 0, "part": 0}
                for path in _part_paths(folder, 0, dtype).values():
                    path.touch()
                _write_record(folder, record)

    def stamp(self) -> tuple[int, int, int]:
        """What changes whenever a writer commits: the record's mtime, size and inode."""
        try:
            stat = (self.folder / RECORD).stat()
        except FileNotFoundError:
            raise VectorStoreError(f"no vector store at {self.folder}") from None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def committed(self) -> dict:
        """The commit record, checked for its format."""
        path = self.folder / RECORD
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("format") != FORMAT:
            raise VectorStoreError(f"{path}: format {record.get('format')}, not {FORMAT}")
        return record

    def map(self, record: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(ids, data, scale or None) of the record's rows, memory-mapped read-only."""
        rows, dims, dtype = int(record["rows"]), int(record["dims"]), record["dtype"]
        paths = _part_paths(self.folder, int(record["part"]), dtype)
        ids = _map(paths["ids"], np.int64, (rows,))
        data = _map(paths["data"], DTYPES[dtype], (rows, dims))
        scale = _map(paths["scale"], np.float32, (rows,)) if dtype == "int8" else None
        return ids, data, scale

    def append(
        self, ids: np.ndarray, data: np.ndarray, scale: np.ndarray | None, mark_dead
    ) -> tuple[int, int]:
        """Append rows for `ids`, commit them, then mark the rows they replace dead (with
        `mark_dead(ids_path, rows)`); (rows dead, rows in all) afterwards."""
        with _locked(self.folder):
            record = self.committed()
            paths = _part_paths(self.folder, record["part"], record["dtype"])
            rows = record["rows"]
            _truncate(paths, rows, record)
            if scale is not None:
                _append(paths["scale"], scale)
            _append(paths["data"], data)
            _append(paths["ids"], ids)
            record = dict(record, rows=rows + len(ids))
            _write_record(self.folder, record)
            # Then mark the replaced rows dead (a crash before this is read right: last row wins).
            old = np.asarray(_map(paths["ids"], np.int64, (rows,)))
            mark_dead(paths["ids"], np.flatnonzero(np.isin(old, ids)))
            total = rows + len(ids)
            return total - _live_count(paths["ids"], total), total

    def remove(self, ids: np.ndarray, mark_dead) -> int:
        """Mark the rows of `ids` dead and commit; the count of items that had a row."""
        with _locked(self.folder):
            record = self.committed()
            paths = _part_paths(self.folder, record["part"], record["dtype"])
            current = np.asarray(_map(paths["ids"], np.int64, (record["rows"],)))
            rows = np.flatnonzero(np.isin(current, ids))
            removed = len(np.unique(current[rows]))
            mark_dead(paths["ids"], rows)
            # A new record (same content) tells readers to refresh.
            _write_record(self.folder, dict(record, removed=record.get("removed", 0) + removed))
        return removed

    def compact(self) -> None:
        """Rewrite the live rows into a new part, switch the record to it, drop the old one."""
        with _locked(self.folder):
            record = self.committed()
            old = _part_paths(self.folder, record["part"], record["dtype"])
            ids = np.asarray(_map(old["ids"], np.int64, (record["rows"],)))
            reversed_ids = ids[::-1]
            unique, first = np.unique(reversed_ids, return_index=True)
            keep = np.sort((len(ids) - 1 - first)[unique != DEAD])
            part = record["part"] + 1
            new = _part_paths(self.folder, part, record["dtype"])
            width = (record["dims"],)
            data = _map(old["data"], DTYPES[record["dtype"]], (record["rows"], *width))
            for path in new.values():
                path.unlink(missing_ok=True)
                path.touch()
            _append(new["ids"], ids[keep])
            _append(new["data"], np.asarray(data[keep]))
            if record["dtype"] == "int8":
                scale = _map(old["scale"], np.float32, (record["rows"],))
                _append(new["scale"], np.asarray(scale[keep]))
            _write_record(self.folder, dict(record, rows=len(keep), part=part))
            for path in old.values():
                path.unlink(missing_ok=True)


class MappedVectors:
    """One committed state of the store, memory-mapped: which rows are live, lookup by item id,
    and the exact flat scan (`nearest`). Read-only; a store maps a new one when a writer has
    committed."""

    def __init__(
        self, dims: int, ids: np.ndarray, data: np.ndarray, scale: np.ndarray | None
    ):
        self.dims = dims
        self.data = data
        self.scale = scale
        self._index_rows(ids)

    def _index_rows(self, mapped_ids: np.ndarray) -> None:
        """Which rows are live (the last row of each id that is not dead), and a sorted lookup."""
        ids = np.array(mapped_ids)  # a copy: in-place marks by a writer must not move under us
        rows = len(ids)
        # The last occurrence of each id: unique over the reversed array.
        reversed_ids = ids[::-1]
        unique, first_in_reversed = np.unique(reversed_ids, return_index=True)
        last_rows = rows - 1 - first_in_reversed
        keep = unique != DEAD
        self.sorted_ids = unique[keep]
        self.sorted_rows = last_rows[keep]
        live = np.zeros(rows, dtype=bool)
        live[self.sorted_rows] = True
        self._live = live
        self._row_ids = ids

    def __len__(self) -> int:
        return len(self.sorted_ids)

    def row_of(self, item_id: int) -> int | None:
        at = int(np.searchsorted(self.sorted_ids, item_id))
        if at < len(self.sorted_ids) and self.sorted_ids[at] == item_id:
            return int(self.sorted_rows[at])
        return None

    def found(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the ids among sorted, unique `wanted` that have a vector, their rows)."""
        at = np.searchsorted(self.sorted_ids, wanted)
        found = at < len(self.sorted_ids)
        found[found] = self.sorted_ids[at[found]] == wanted[found]
        return wanted[found], self.sorted_rows[at[found]]

    def rows_vectors(self, rows: np.ndarray) -> np.ndarray:
        """The rows' vectors as float32 (int8 rows dequantised)."""
        data = np.asarray(self.data[rows], dtype=np.float32)
        if self.scale is not None:
            data *= self.scale[rows][:, None]
        return data

    def nearest(self, query: np.ndarray, allowed, limit: int) -> list[tuple[int, float]]:
        """See VectorStore.nearest."""
        if limit <= 0 or not len(self):
            return []
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if query.shape != (self.dims,):
            raise ValueError(f"query has {query.shape[0]} dimensions, the store {self.dims}")
        norm = float(np.linalg.norm(query))
        if norm > 0:
            query = query / norm
        rows = self._candidate_rows(allowed)
        if rows is None:  # every live row: scan all, mask the dead
            scores = self._scores_all(query)
            scores[~self._live] = -np.inf
            candidates = np.flatnonzero(self._live)
            if len(candidates) == len(scores):
                candidates = None
        else:
            if not len(rows):
                return []
            scores = np.full(len(self._row_ids), -np.inf, dtype=np.float32)
            scores[rows] = self.scores_rows(rows, query)
            candidates = rows
        return self._best(scores, candidates, limit)

    def _candidate_rows(self, allowed) -> np.ndarray | None:
        """Rows of allowed live items, or None for all live rows."""
        if allowed is None:
            return None
        if isinstance(allowed, np.ndarray) and allowed.dtype == bool:
            ids = self.sorted_ids
            inside = ids < len(allowed)
            keep = np.zeros(len(ids), dtype=bool)
            keep[inside] = allowed[ids[inside]]
            return np.sort(self.sorted_rows[keep])
        wanted = np.fromiter(allowed, dtype=np.int64)
        keep = np.isin(self.sorted_ids, wanted)
        return np.sort(self.sorted_rows[keep])

    def _scores_all(self, query: np.ndarray) -> np.ndarray:
        if self.scale is None:
            return np.asarray(self.data @ query, dtype=np.float32)
        scores = np.einsum("ij,j->i", self.data, query)
        scores *= self.scale
        return scores.astype(np.float32, copy=False)

    def scores_rows(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        if len(rows) > len(self._row_ids) // 4:  # a wide filter: scanning all costs less
            return self._scores_all(query)[rows]
        return self.rows_vectors(rows) @ query

    def _best(self, scores: np.ndarray, candidates, limit: int) -> list[tuple[int, float]]:
        pool = scores if candidates is None else scores[candidates]
        finite = np.isfinite(pool)
        count = int(finite.sum())
        if count == 0:
            return []
        take = min(limit, count)
        if take < len(pool):
            # Everything tied with the take-th score competes, so ids break ties exactly.
            cut = np.partition(pool, len(pool) - take)[len(pool) - take]
            chosen = np.flatnonzero(pool >= cut)
        else:
            chosen = np.flatnonzero(finite)
        rows = chosen if candidates is None else candidates[chosen]
        ids = self._row_ids[rows]
        order = np.lexsort((ids, -scores[rows]))[:take]
        return [(int(ids[i]), float(scores[rows[i]])) for i in order]


class VectorStore:
    """One generation's item vectors. Open with `VectorStore.create(...)` or `VectorStore(folder)`.

    The files and their commits are a VectorFiles; what was last committed, mapped and indexed
    for reading and scanning, is a MappedVectors, replaced when `refresh()` finds a new commit.

    allowed, for `nearest`: None (every item), a set (or any iterable) of item ids, or a numpy
    bool array indexed by item id (ids past its end are not allowed).
    """

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self._files = VectorFiles(self.folder)
        self._stamp: tuple[int, int, int] | None = None
        self.refresh()

    # ---- creating and reading

    @classmethod
    def create(
        cls, folder: Path | str, *, dims: int, model: str, dtype: str = "int8"
    ) -> VectorStore:
        """An empty store in `folder`, or the one there when it has the same dims, dtype, model."""
        folder = Path(folder)
        VectorFiles.create(folder, dims=dims, model=model, dtype=dtype)
        return cls(folder)

    def refresh(self) -> bool:
        """Re-read the record and re-map the files when a writer has committed; True if so."""
        stamp = self._files.stamp()
        if stamp == self._stamp:
            return False
        record = self._files.committed()
        self.record = record
        self.dims = int(record["dims"])
        self.dtype = record["dtype"]
        self.model = record["model"]
        self._mapped = MappedVectors(self.dims, *self._files.map(record))
        self._stamp = stamp
        return True

    @property
    def _data(self) -> np.ndarray:
        """The mapped rows (rows x dims)."""
        return self._mapped.data

    def __len__(self) -> int:
        return len(self._mapped)

    def __contains__(self, item_id: int) -> bool:
        return self._mapped.row_of(item_id) is not None

    def ids(self) -> np.ndarray:
        """Every item id with a vector, ascending."""
        return self._mapped.sorted_ids.copy()

    def missing(self, item_ids: Iterable[int]) -> list[int]:
        """The ids among `item_ids` that have no vector yet (what a catch-up job should embed)."""
        wanted = np.fromiter(item_ids, dtype=np.int64)
        return [int(i) for i in wanted[~np.isin(wanted, self._mapped.sorted_ids)]]

    def get(self, item_id: int) -> np.ndarray | None:
        """The stored vector of `item_id` (float32; int8 stores give it back dequantised)."""
        row = self._mapped.row_of(item_id)
        return None if row is None else self._mapped.rows_vectors(np.array([row]))[0]

    # ---- searching

    def nearest(
        self, query: np.ndarray, allowed=None, limit: int = 20
    ) -> list[tuple[int, float]]:
        """The `limit` allowed items closest to `query`: [(item id, cosine)], best first.

        Ties are broken by item id, so the answer is the same on every call.
        """
        return self._mapped.nearest(query, allowed, limit)

    def rows_of(self, item_ids: np.ndarray) -> np.ndarray:
        """The row of each of `item_ids` in the mapped state (-1: no vector), for callers that
        score the same items many times (an index snapshot maps its documents to rows once)."""
        wanted = np.asarray(item_ids, dtype=np.int64)
        mapped = self._mapped
        at = np.searchsorted(mapped.sorted_ids, wanted)
        inside = at < len(mapped.sorted_ids)
        rows = np.full(len(wanted), -1, dtype=np.int64)
        hit = inside.copy()
        hit[inside] = mapped.sorted_ids[at[inside]] == wanted[inside]
        rows[hit] = mapped.sorted_rows[at[hit]]
        return rows

    def cosines(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The cosine of `query` (a unit vector) with each of `rows` (rows_of's), float32."""
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        return self._mapped.scores_rows(np.asarray(rows, dtype=np.int64), query)

    # ---- writing

    def put(self, item_ids: Sequence[int], vectors: np.ndarray) -> None:
        """Store `vectors[i]` as the vector of `item_ids[i]`, replacing any it had."""
        ids = np.asarray(item_ids, dtype=np.int64).reshape(-1)
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.dims):
            raise ValueError(f"vectors of shape {vectors.shape} for {len(ids)} ids")
        if len(ids) and ids.min() < 0:
            raise ValueError("item ids are not negative")
        if len(np.unique(ids)) != len(ids):
            raise ValueError("an item id is given twice")
        if self.dtype == "int8":
            data, scale = quantise(vectors)
        else:
            data, scale = vectors, None
        self._append_rows(ids, data, scale)

    def copy_from(self, other: VectorStore, item_ids: Iterable[int]) -> list[int]:
        """Copy the vectors `other` (an older generation's store, same model) has for `item_ids`,
        row for row: a rebuilt index keeps the vectors of unchanged items without embedding
        them again. The ids copied, ascending; the rest still need `put`."""
        if (other.model, other.dims) != (self.model, self.dims):
            raise VectorStoreError(
                f"vectors of {other.model} ({other.dims}) are not {self.model} ({self.dims})"
            )
        source = other._mapped
        ids, rows = source.found(np.unique(np.fromiter(item_ids, dtype=np.int64)))
        if other.dtype == self.dtype:
            data = np.asarray(source.data[rows])
            scale = None if source.scale is None else np.asarray(source.scale[rows])
        elif self.dtype == "int8":
            data, scale = quantise(source.rows_vectors(rows))
        else:
            data, scale = source.rows_vectors(rows), None
        self._append_rows(ids, data, scale)
        return [int(i) for i in ids]

    def _append_rows(self, ids: np.ndarray, data: np.ndarray, scale: np.ndarray | None) -> None:
        if not len(ids):
            return
        dead, total = self._files.append(ids, data, scale, self._mark_dead)
        self.refresh()
        if dead > max(1000, total // 4):
            self.compact()

    def remove(self, item_ids: Iterable[int]) -> int:
        """Forget the vectors of `item_ids`; the count of items that had one."""
        removed = self._files.remove(np.fromiter(item_ids, dtype=np.int64), self._mark_dead)
        self.refresh()
        return removed

    def compact(self) -> None:
        """Rewrite the live rows into a new part and drop the old one."""
        self._files.compact()
        self.refresh()

    @staticmethod
    def _mark_dead(ids_path: Path, rows: np.ndarray) -> None:
        if not len(rows):
            return
        with open(ids_path, "r+b") as handle:
            for row in rows:
                handle.seek(int(row) * 8)
                handle.write(np.int64(DEAD).tobytes())
            handle.flush()
            os.fsync(handle.fileno())


def _live_count(ids_path: Path, rows: int) -> int:
    ids = np.asarray(_map(ids_path, np.int64, (rows,)))
    unique = np.unique(ids)
    return int((unique != DEAD).sum())


def _part_paths(folder: Path, part: int, dtype: str) -> dict[str, Path]:
    paths = {"ids": folder / f"vectors-{part}.ids", "data": folder / f"vectors-{part}.data"}
    if dtype == "int8":
        paths["scale"] = folder / f"vectors-{part}.scale"
    return paths


def _map(path: Path, dtype, shape: tuple[int, ...]) -> np.ndarray:
    """A read-only memory map of the first `shape` elements of `path` (empty when none)."""
    if not shape[0]:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(path, dtype=np.dtype(dtype).newbyteorder("<"), mode="r", shape=shape)


def _append(path: Path, array: np.ndarray) -> None:
    little = np.ascontiguousarray(array, dtype=np.asarray(array).dtype.newbyteorder("<"))
    with open(path, "ab") as handle:
        handle.write(little.tobytes())
        handle.flush()
        os.fsync(handle.fileno())


def _truncate(paths: dict[str, Path], rows: int, record: dict) -> None:
    """Cut bytes a crashed writer left past the committed rows."""
    widths = {"ids": 8, "scale": 4, "data": record["dims"] * np.dtype(record["dtype"]).itemsize}
    for name, path in paths.items():
        size = rows * widths[name]
        if path.stat().st_size != size:
            with open(path, "r+b") as handle:
                handle.truncate(size)


def _write_record(folder: Path, record: dict) -> None:
    temporary = folder / (RECORD + ".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, folder / RECORD)
    _fsync_dir(folder)


@contextlib.contextmanager
def _locked(folder: Path):
    with open(folder / LOCK, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
