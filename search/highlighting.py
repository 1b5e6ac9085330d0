"""The one highlighter: a query's words marked in letter text, for the passages under each search
hit (`make_snippet`) and for a whole letter page (`highlight_text`).

Safety comes first: the letter text is escaped with html.escape and we add the <mark> tags
ourselves, so no letter text can become markup; bleach, allowing only `mark` and no attributes,
then cleans the result as a second guard. Both functions return that cleaned HTML.

Matching is by stem, the way the index matches: every word of the text is stemmed and compared
with the stems of the query's words (prefix* terms compare by prefix).
"""

from __future__ import annotations

import html
import re
import threading
from collections import Counter
from functools import lru_cache

from bleach.sanitizer import Cleaner

from search.backends import get_backend
from search.engine.query import parse_user_query

PASSAGE_CHARS = 240
MAX_PASSAGES = 2
ELLIPSIS = "\u2026"

_WORD = re.compile(r"\w+", re.U)


def stem(word: str) -> str:
    """A word's stem as the search backend stems it."""
    return _stem(word.lower())


@lru_cache(maxsize=50000)
def _stem(word: str) -> str:
    return get_backend().stem(word)


@lru_cache(maxsize=4096)
def _analysed(text: str) -> tuple[str, ...]:
    return tuple(get_backend().analyze(text))


def highlight_terms(q: str) -> list[str]:
    """The words and phrases a search for `q` highlights (operators and negated words left out)."""
    return parse_user_query(q).highlight if q.strip() else []


def highlight_stems(highlight: list[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """(stems, prefixes) to mark, from the query's words and phrases."""
    stems: set[str] = set()
    prefixes: list[str] = []
    for entry in highlight:
        if entry.endswith("*"):
            prefixes.append(entry[:-1].lower())
        else:
            stems.update(_analysed(entry))
    return frozenset(stems), tuple(prefixes)


def _matches(
    text: str, stems: frozenset[str], prefixes: tuple[str, ...]
) -> list[tuple[int, int, str]]:
    found = []
    for match in _WORD.finditer(text):
        word = match.group().lower()
        key = _stem(word)
        if key in stems or (prefixes and word.startswith(prefixes)):
            found.append((match.start(), match.end(), key))
    return found


def _best_windows(matches, text_length: int, count: int) -> list[tuple[int, int]]:
    """Up to `count` non-overlapping windows holding the most distinct matched words."""
    windows = []
    in_window: Counter[str] = Counter()
    right = 0
    for left, (start, _, _) in enumerate(matches):
        stop = start + PASSAGE_CHARS
        while right < len(matches) and matches[right][0] < stop:
            in_window[matches[right][2]] += 1
            right += 1
        windows.append((len(in_window), right - left, -start, start))
        key = matches[left][2]
        in_window[key] -= 1
        if not in_window[key]:
            del in_window[key]
    windows.sort(reverse=True)
    chosen: list[tuple[int, int]] = []
    for _, _, _, start in windows:
        begin = max(0, start - PASSAGE_CHARS // 4)
        end = min(text_length, begin + PASSAGE_CHARS)
        if all(end <= b or begin >= e for b, e in chosen):
            chosen.append((begin, end))
        if len(chosen) == count:
            break
    return sorted(chosen)


def _word_bounds(text: str, begin: int, end: int) -> tuple[int, int]:
    """Move the window edges out of the middle of a word."""
    while begin > 0 and text[begin - 1].isalnum() and begin > 0:
        begin -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return begin, end


def _render(text: str, begin: int, end: int, matches) -> str:
    out = [ELLIPSIS] if begin > 0 else []
    position = begin
    for start, stop, _ in matches:
        if start < begin or stop > end:
            continue
        out.append(html.escape(text[position:start]))
        out.append("<mark>")
        out.append(html.escape(text[start:stop]))
        out.append("</mark>")
        position = stop
    out.append(html.escape(text[position:end]))
    if end < len(text):
        out.append(ELLIPSIS)
    return "".join(out)


def highlight_text(text: str, highlight: list[str]) -> str:
    """All of `text`, escaped, its line breaks kept, with the words of `highlight` in <mark>."""
    stems, prefixes = highlight_stems(highlight) if highlight else (frozenset(), ())
    matches = _matches(text, stems, prefixes) if (stems or prefixes) else []
    return sanitize(_render(text, 0, len(text), matches))


def make_snippet(sources: list[str], highlight: list[str], passages: int = MAX_PASSAGES) -> str:
    """One or two passages from the first source with matches (else the start of the first
    non-empty source), as safe HTML whose only tag is <mark>."""
    return sanitize(_snippet_markup(sources, highlight, passages))


def make_snippets(
    sources_of_hits: list[list[str]], highlight: list[str], passages: int = MAX_PASSAGES
) -> list[str]:
    """make_snippet for every hit of a page, cleaned by bleach in one call: most of bleach's
    cost is per call, so a page of 20 passages cleans in about two thirds of the time."""
    markups = [_snippet_markup(sources, highlight, passages) for sources in sources_of_hits]
    return sanitize_many(markups)


def _snippet_markup(sources: list[str], highlight: list[str], passages: int) -> str:
    stems, prefixes = highlight_stems(highlight) if highlight else (frozenset(), ())
    sources = [" ".join(s.split()) for s in sources if s and s.strip()]
    if not sources:
        return ""
    for text in sources:
        matches = _matches(text, stems, prefixes) if (stems or prefixes) else []
        if matches:
            parts = []
            for begin, end in _best_windows(matches, len(text), passages):
                begin, end = _word_bounds(text, begin, end)
                parts.append(_render(text, begin, end, matches))
            return " ".join(parts)
    text = sources[0]
    _, end = _word_bounds(text, 0, min(len(text), PASSAGE_CHARS))
    return _render(text, 0, end, [])


def mark_evidence(sentence: str) -> str:
    """A reason's evidence sentence (search.letters.reasons), escaped and marked whole."""
    return sanitize(f"<mark>{html.escape(sentence)}</mark>")


_cleaners = threading.local()


def sanitize(markup: str) -> str:
    """bleach.clean allowing only <mark>, with one Cleaner per thread (building one costs
    about as much as cleaning a passage; a Cleaner is not safe to share between threads)."""
    cleaner = getattr(_cleaners, "cleaner", None)
    if cleaner is None:
        cleaner = Cleaner(tags={"mark"}, attributes={}, strip=False)
        _cleaners.cleaner = cleaner
    return cleaner.clean(markup)


# Between the passages of one batch: a tag no passage can hold (their text is escaped before
# any tag is added, so a letter's "<hr>" arrives as "&lt;hr&gt;").
_BATCH_SEPARATOR = "<hr>"


def sanitize_many(markups: list[str]) -> list[str]:
    """sanitize() of each markup, in one bleach call: the batch's cleaner allows <mark> and the
    separator only, and the separator is what the result is split on."""
    if len(markups) < 2:
        return [sanitize(m) for m in markups]
    cleaner = getattr(_cleaners, "batch_cleaner", None)
    if cleaner is None:
        cleaner = Cleaner(tags={"mark", "hr"}, attributes={}, strip=False)
        _cleaners.batch_cleaner = cleaner
    cleaned = cleaner.clean(_BATCH_SEPARATOR.join(markups)).split(_BATCH_SEPARATOR)
    if len(cleaned) != len(markups):  # cannot happen with escaped text; never guess if it does
        return [sanitize(m) for m in markups]
    return cleaned
