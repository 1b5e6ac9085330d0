"""How fast real PDFs went in: letters per second end to end, against pypdf's extraction alone.

pypdf's text extraction alone was the ceiling of ingest before PDFium and the worker pool (one
process, pypdf, parse, store); the ratio says how far past it a run got. pypdf is timed in this
process after the run, on the run's own PDFs (a sample of them for a plain ingest, where timing
all of them would take longer than the ingest itself).
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from pathlib import Path

from search.letters.extract import ExtractionError, pypdf_text


@dataclass(frozen=True)
class PdfSpeed:
    letters: int  # letters stored or found unchanged in the run
    pdf_letters: int  # of which read from PDF files
    seconds: float  # the whole run: reading, parsing, storing, indexing
    pypdf_files: int  # PDFs of the run pypdf extracted alone, timed
    pypdf_seconds: float
    worker_peak_rss_mb: float = 0.0
    peak_rss_mb: float = 0.0  # this process: storing and indexing
    index_seconds: float = 0.0  # of `seconds`, the index update at the end

    @property
    def letters_per_second(self) -> float:
        return self.letters / self.seconds if self.seconds else 0.0

    @property
    def pypdf_per_second(self) -> float:
        return self.pypdf_files / self.pypdf_seconds if self.pypdf_seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.letters_per_second / self.pypdf_per_second if self.pypdf_per_second else 0.0

    def as_json(self) -> dict:
        return {
            "letters": self.letters,
            "pdf_letters": self.pdf_letters,
            "seconds": self.seconds,
            "letters_per_second": self.letters_per_second,
            "pypdf_files": self.pypdf_files,
            "pypdf_seconds": self.pypdf_seconds,
            "pypdf_per_second": self.pypdf_per_second,
            "ratio_to_pypdf": self.ratio,
            "worker_peak_rss_mb": self.worker_peak_rss_mb,
            "peak_rss_mb": self.peak_rss_mb,
            "index_seconds": self.index_seconds,
        }

    def summary(self) -> str:
        line = (
            f"{self.letters} letters ({self.pdf_letters} from PDFs) in {self.seconds:.1f} s end "
            f"to end (the index update {self.index_seconds:.1f} s of it): "
            f"{self.letters_per_second:.1f} letters/s"
        )
        if self.pypdf_files:
            line += (
                f"; pypdf's extraction alone over {self.pypdf_files} of the same PDFs: "
                f"{self.pypdf_per_second:.1f} letters/s, so {self.ratio:.2f}x pypdf alone"
            )
        return line + (
            f"; peak memory {self.peak_rss_mb:.0f} MB storing and indexing, "
            f"{self.worker_peak_rss_mb:.0f} MB in a reader process"
        )


def pdf_files_of(letters: list[dict]) -> list[Path]:
    """The PDF files (not archive members) a run's report lists as stored or unchanged."""
    paths = (Path(row["path"]) for row in letters)
    return [path for path in paths if path.suffix.lower() == ".pdf" and path.is_file()]


def time_pypdf(paths: list[Path], sample: int | None = None) -> tuple[int, float]:
    """(files, seconds) of pypdf's extraction alone over `paths`, or `sample` of them spread
    evenly; files are read before the clock starts."""
    if sample is not None and 0 < sample < len(paths):
        step = len(paths) / sample
        paths = [paths[int(index * step)] for index in range(sample)]
    elif sample == 0:
        paths = []
    files = [path.read_bytes() for path in paths]
    started = time.perf_counter()
    for data in files:
        try:
            pypdf_text(data)
        except ExtractionError:
            pass  # stored from PDFium's text; timed all the same
    return len(files), time.perf_counter() - started


def pdf_speed(report, seconds: float, *, sample: int | None = None) -> PdfSpeed:
    """The speed of an ingest run whose IngestReport is `report` and which took `seconds`."""
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before pypdf runs
    pdfs = pdf_files_of(report.letters)
    files, pypdf_seconds = time_pypdf(pdfs, sample)
    return PdfSpeed(
        letters=len(report.letters),
        pdf_letters=len(pdfs),
        seconds=seconds,
        pypdf_files=files,
        pypdf_seconds=pypdf_seconds,
        worker_peak_rss_mb=report.worker_peak_rss_mb,
        peak_rss_mb=peak_rss_mb,
        index_seconds=report.index_seconds,
    )
