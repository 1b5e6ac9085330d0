"""PDF text extractors compared on the posted letters: speed, peak memory, and the parsed result.

    .venv/bin/python -m benchmarks.extractors [FOLDER] [--json]

FOLDER defaults to the sample letters: IMR_LETTERS_DIR/pdf, else ../shared/letters/pdf.
Each extractor runs in a fresh process of its own, so its peak memory (ru_maxrss, the interpreter
included; the baseline before the first file is given too) is its own. Every letter's text goes
through clean_text and parse_letter, and the parsed letter is compared field by field with pypdf's,
the extractor ingest used before PDFium: header, items, outcomes, guidelines, citations, rationale,
summary, warnings. pdfminer.six is measured when it is installed (it is not a dependency).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

REFERENCE = "pypdf"


def extractors() -> dict:
    """name -> function(bytes) -> raw text, for every extractor installed here."""
    from search.letters.extract import pdfium_text, pypdf_text

    found = {"pdfium": pdfium_text, "pypdf": pypdf_text}
    try:
        from pdfminer.high_level import extract_text as pdfminer_extract
    except ImportError:
        pass
    else:
        import io

        found["pdfminer.six"] = lambda data: pdfminer_extract(io.BytesIO(data))
    return found


def differences(left, right, path: str = "letter"):
    """(field path, left value, right value) for every field where two parsed letters differ."""
    if dataclasses.is_dataclass(left) and type(left) is type(right):
        for item in dataclasses.fields(left):
            yield from differences(
                getattr(left, item.name), getattr(right, item.name), f"{path}.{item.name}"
            )
    elif isinstance(left, list | tuple) and isinstance(right, list | tuple) and len(left) == len(
        right
    ):
        for index, (one, other) in enumerate(zip(left, right, strict=True)):
            yield from differences(one, other, f"{path}[{index}]")
    elif left != right:
        yield path, left, right


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(name: str, paths: list[str]) -> dict:
    """In a fresh process: extract every file with `name`, timed; then parse each text."""
    import warnings

    from search.letters.extract import ExtractionError, clean_text
    from search.letters.parser import parse_letter

    warnings.simplefilter("ignore")
    extract = extractors()[name]
    files = [Path(path).read_bytes() for path in paths]
    baseline = _rss_mb()
    texts: list[str | None] = []
    failures = {}
    started = time.perf_counter()
    for path, data in zip(paths, files, strict=True):
        try:
            texts.append(extract(data))
        except (ExtractionError, Exception) as exc:  # noqa: BLE001 - reported per file
            texts.append(None)
            failures[Path(path).name] = getattr(exc, "reason", type(exc).__name__)
    seconds = time.perf_counter() - started
    parsed = []
    for text in texts:
        try:
            parsed.append(parse_letter(clean_text(text)) if text is not None else None)
        except Exception as exc:  # noqa: BLE001 - a parse failure is a difference
            parsed.append(f"not parsed: {type(exc).__name__}")
    return {
        "seconds": seconds,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": _rss_mb(),
        "failures": failures,
        "parsed": parsed,
    }


def compare(folder: Path) -> dict:
    paths = sorted(str(p) for p in folder.glob("*.pdf"))
    if not paths:
        raise SystemExit(f"no PDFs in {folder}")
    spawn = get_context("spawn")
    runs = {}
    for name in extractors():
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            runs[name] = pool.submit(run_one, name, paths).result()
    reference = runs[REFERENCE]["parsed"]
    results = {"letters": len(paths), "folder": str(folder), "extractors": {}}
    for name, run in runs.items():
        same, fields = 0, {}
        for path, mine, theirs in zip(paths, run["parsed"], reference, strict=True):
            found = list(differences(theirs, mine))
            same += not found
            for field_path, *_ in found:
                # letter.items[3].rationale -> letter.items[].rationale: kinds, not positions
                kind = "".join(part.split("[")[0] + ("[]" if "[" in part else "") for part in
                               field_path.split("]"))
                fields.setdefault(kind, []).append(Path(path).stem)
        results["extractors"][name] = {
            "seconds": run["seconds"],
            "letters_per_second": len(paths) / run["seconds"],
            "baseline_rss_mb": run["baseline_rss_mb"],
            "peak_rss_mb": run["peak_rss_mb"],
            "unreadable": run["failures"],
            "parsed_identical_to_pypdf": same,
            "fields_that_differ": {kind: len(set(cases)) for kind, cases in fields.items()},
        }
    return results


def render(results: dict) -> str:
    lines = [
        f"{results['letters']} PDFs in {results['folder']}; parse compared with {REFERENCE}'s",
        f"{'extractor':<14}{'letters/s':>11}{'seconds':>9}{'peak MB':>9}{'base MB':>9}"
        f"{'same parse':>12}  fields that differ (letters)",
    ]
    for name, run in results["extractors"].items():
        fields = ", ".join(f"{k} ({n})" for k, n in sorted(run["fields_that_differ"].items()))
        lines.append(
            f"{name:<14}{run['letters_per_second']:>11.1f}{run['seconds']:>9.2f}"
            f"{run['peak_rss_mb']:>9.0f}{run['baseline_rss_mb']:>9.0f}"
            f"{run['parsed_identical_to_pypdf']:>8}/{results['letters']:<3}  {fields or '-'}"
        )
        if run["unreadable"]:
            lines.append(f"{'':<14}unreadable: {run['unreadable']}")
    return "\n".join(lines)


def default_folder() -> Path:
    project = Path(__file__).resolve().parent.parent
    root = Path(os.environ.get("IMR_LETTERS_DIR") or project.parent / "shared" / "letters")
    return root / "pdf"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args(argv)
    results = compare(options.folder or default_folder())
    sys.stdout.write((json.dumps(results, indent=2) if options.json else render(results)) + "\n")


if __name__ == "__main__":
    main()
