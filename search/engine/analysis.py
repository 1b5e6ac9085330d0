"""Analysis for the query language: the backend's analyzer, the abbreviation table, and what the
parser (search.engine.query) and the compilation into nodes (search.engine.query_nodes) share:
the default field, the limit on different terms, and the form of a case number.

A backend hands its analyzer (the terms it indexes for a text) to `parse_user_query`; while a
text is parsed it is CURRENT_ANALYZER, and every word, phrase and abbreviation is
analysed with it. Engine-neutral: no Django, no Whoosh.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from functools import lru_cache

# Abbreviation -> spelled-out forms. Matching goes both ways.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "cbt": ("cognitive behavioral therapy", "cognitive behavioural therapy"),
    "pt": ("physical therapy",),
    "ot": ("occupational therapy",),
    "tens": ("transcutaneous electrical nerve stimulation",),
    "esi": ("epidural steroid injection",),
    "nsaid": ("nonsteroidal anti-inflammatory drug", "non-steroidal anti-inflammatory drug"),
    "ppi": ("proton pump inhibitor",),
    "mri": ("magnetic resonance imaging",),
    "ct": ("computed tomography",),
    "emg": ("electromyography", "electromyogram"),
    "ncv": ("nerve conduction velocity",),
    "ncs": ("nerve conduction study",),
    "frp": ("functional restoration program",),
    "h-wave": ("h wave", "hwave"),
    "dme": ("durable medical equipment",),
    "prp": ("platelet rich plasma",),
    "rfa": ("radiofrequency ablation",),
    "mbb": ("medial branch block",),
    "ssri": ("selective serotonin reuptake inhibitor",),
    "tca": ("tricyclic antidepressant",),
    "hep": ("home exercise program",),
    "cpm": ("continuous passive motion",),
    "ecg": ("electrocardiogram",),
    "ekg": ("electrocardiogram",),
    "uds": ("urine drug screen", "urine drug test"),
    "udt": ("urine drug test", "urine drug screen"),
    "acdf": ("anterior cervical discectomy and fusion",),
    "tka": ("total knee arthroplasty",),
    "tkr": ("total knee replacement",),
    "lso": ("lumbosacral orthosis",),
    "eswt": ("extracorporeal shockwave therapy", "extracorporeal shock wave therapy"),
    "ifc": ("interferential current",),
    "dvt": ("deep vein thrombosis",),
    "nmes": ("neuromuscular electrical stimulation",),
    "scs": ("spinal cord stimulator",),
}

Analyzer = Callable[[str], Sequence[str]]

# The field a word searches when the user names none.
DEFAULT_FIELD = "text"
# Different words, phrases and prefixes searched; a repeated one counts once.
MAX_TERMS = 30

# A digit may come right before: a pasted list whose line breaks a text box dropped reads
# "CM16-0213037CM16-0213038". Dashes copied from PDFs may be en dashes.
CASE_NUMBER = re.compile(
    r"(?<![A-Za-z])(CM|SY)\s*[-\u2013]?\s*(\d{2})\s*[-\u2013]?\s*(\d{7})(?!\d)", re.I
)


def normalise_case_number(text: str) -> str | None:
    """ "cm16 0213037" -> "CM16-0213037"; None when the text is not a case number."""
    match = CASE_NUMBER.fullmatch(text.strip())
    if not match:
        return None
    return f"{match.group(1).upper()}{match.group(2)}-{match.group(3)}"


_PLAIN_TOKEN = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*")


def plain_terms(text: str) -> list[str]:
    """Lower-cased words, neither stemmed nor filtered: the analyzer used when none is given
    (enough for what to highlight; a search is parsed with its backend's analyzer)."""
    return [word.lower() for word in _PLAIN_TOKEN.findall(text)]


CURRENT_ANALYZER: ContextVar[Analyzer] = ContextVar("analyzer", default=plain_terms)


# Analyzer -> {analysed spelled-out form -> abbreviation key}
_EXPANSIONS: dict[Analyzer, dict[tuple[str, ...], str]] = {}


def analysed(text: str) -> tuple[str, ...]:
    """`text` as the analyzer of the parse under way gives it."""
    return _analysed_by(CURRENT_ANALYZER.get(), text)


@lru_cache(maxsize=8192)
def _analysed_by(analyzer: Analyzer, text: str) -> tuple[str, ...]:
    return tuple(analyzer(text))


def expansion_table() -> dict[tuple[str, ...], str]:
    analyzer = CURRENT_ANALYZER.get()
    table = _EXPANSIONS.get(analyzer)
    if table is None:
        if len(_EXPANSIONS) > 8:  # analyzers are a backend's functions: a few at most
            _EXPANSIONS.clear()
        table = {}
        for abbreviation, forms in ABBREVIATIONS.items():
            for form in forms:
                table[analysed(form)] = abbreviation
        _EXPANSIONS[analyzer] = table
    return table
