"""The hostile input catalogue, shared by tests/test_hostile_input.py and the load test.

Pure data and a few helpers (no Django import): what an attacker, a fuzzer or a broken link sends
to the search page and the API. Every entry must be answered with a page (or JSON) and, where
something was dropped, a notice; never with a server error.
"""

from __future__ import annotations

from urllib.parse import urlencode

HOSTILE_QUERIES = [
    '"unbalanced',
    "((((knee",
    "knee))))",
    "NOT NOT NOT",
    "OR OR",
    "AND",
    "-",
    "(" * 500 + "mri" + ")" * 500,
    "unknownfield:value",
    "request:",
    ":::",
    "*",
    "*therapy",
    "?x",
    "a*",
    "x" * 10_000,
    "mri " * 2_000,
    "knee\x00brace",
    "\x01\x02\x03\x1b[31m",
    "\u202eemosewa\u202c",
    "zero\u200bwidth\u200djoin",
    "'; DROP TABLE search_letter; --",
    "1 OR 1=1",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ 7*7 }}",
    "%00%ff",
    "\ud7ff\ue000\uffff",
    "🙂 therapy",
]

# Bad values for the other parameters: each gets a 200 with a notice.
BAD_PARAMETERS = [
    {"page": "-1"},
    {"page": "99999999999999999999"},
    {"page": "abc"},
    {"sort": "drop"},
    {"outcome": "maybe"},
    {"specialty": "<b>Nope</b>"},
    {"year": "20x6"},
    {"category": "Nope\x00"},
]


def repeated_parameter_pairs() -> list[tuple[str, str]]:
    """One facet value repeated a thousand times, and another one too (a runaway shared link)."""
    return [("outcome", "upheld")] * 1000 + [("specialty", "Psychiatry")] * 1000


def many_distinct_values_pairs() -> list[tuple[str, str]]:
    """A thousand different values of one facet: searching caps them and says so."""
    return [("specialty", f"Specialty {n}") for n in range(1000)]


def repeated_parameter_query() -> str:
    return urlencode(repeated_parameter_pairs())


def raw_payloads(*texts: str) -> list[str]:
    """The parts of `texts` that would be live markup if a page echoed them unescaped.

    An HTML or XML answer to a request carrying one of these must never contain it verbatim:
    escaped, it reads `&lt;script&gt;...`.
    """
    return [text[text.index("<"):] for text in texts if "<" in text and ">" in text]
