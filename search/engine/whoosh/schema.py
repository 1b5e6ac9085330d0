"""The Whoosh index's schema, and the analysis of text for it.

One Whoosh document per disputed item. Facet fields hold whole labels as single terms (their
analyzer splits only on FACET_SEPARATOR), so a filter is an exact term and facet counting can
read each value's posting list once per searcher generation (see `facet_tables.FacetTables`).

The schema is pickled into every index: it names only `whoosh.*` classes, so our modules can
move without making stored indexes unreadable. SCHEMA_VERSION travels inside the index (the
stored `hit` field of the document "__schema__"), so a stale folder is recognised on open.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from itertools import pairwise

from whoosh import fields
from whoosh.analysis import STOP_WORDS, RegexTokenizer, StemmingAnalyzer
from whoosh.lang.porter import stem as _stem

from search.engine.facets import DATE_FIELDS, FACET_NAMES

SCHEMA_VERSION = 8  # 2: date ranges, case outcome, timeliness buckets; 3: leaner text fields;
# 4: token pairs for phrases; 5: no token pairs (they tripled the cost of indexing);
# 6: no positions, word pairs for phrases (positions made every posting block slow to read);
# 7: `item_text` (text without the case summary) ranks matches; `concepts`, the drugs the
# request names, as generic names and class keys; 8: `reason` and `sessions` facets, and the
# reasons and request size in the stored hit
FACET_SEPARATOR = "\x1f"

# The index field of each date range (search.engine.facets.DATE_RANGES): date.toordinal(), 0
# when the letter does not state the date.
DAY_FIELDS = {
    "decision_date": "decision_day",
    "injury_date": "injury_day",
    "received_date": "received_day",
}
if set(DAY_FIELDS) != set(DATE_FIELDS):
    raise ImportError("a date range of search.engine.facets has no index field here")

# Stemming so "injections" finds "injection"; minsize 1 keeps the "h" of "H-wave" and the "d" of
# "vitamin D" so phrases over them still work.
TEXT_ANALYZER = StemmingAnalyzer(minsize=1)
FACET_ANALYZER = RegexTokenizer(r"[^\x1f]+")


def _part_field(stored: bool = False) -> fields.FieldType:
    field_type = fields.TEXT(analyzer=TEXT_ANALYZER, stored=stored, phrase=False)
    field_type.scorable = False  # ranked by term frequency alone; no length column to write
    return field_type


def build_schema() -> fields.Schema:
    def facet() -> fields.FieldType:
        return fields.KEYWORD(stored=False, lowercase=False, scorable=False, commas=False)

    schema = fields.Schema(
        # Sortable (a column) so check_index can list every id without loading stored fields.
        id=fields.ID(stored=True, unique=True, sortable=True),
        letter_id=fields.ID(stored=True, sortable=True),
        # Case number forms ("cm16-0213037", "cm160213037"): queried by `case:` and by lookups.
        case=fields.KEYWORD(lowercase=True, scorable=False),
        ordinal=fields.NUMERIC(stored=True),
        decision_day=fields.NUMERIC(sortable=True),  # date.toordinal(); 0 when unknown
        injury_day=fields.NUMERIC(),  # the same for the date of injury
        received_day=fields.NUMERIC(),  # and for the date the application was received
        # No character offsets anywhere: passages are found in the stored text (snippets.py).
        request=fields.TEXT(analyzer=TEXT_ANALYZER, stored=True, field_boost=3.0, phrase=False),
        # Also in `text`, so these keep term frequencies only (no positions, no lengths): a
        # phrase limited to one of them is matched as the phrase in `text` plus each word in
        # the field (see query.py); the rationale is stored for passages.
        rationale=_part_field(stored=True),
        summary=_part_field(),
        guideline_text=_part_field(),
        # Everything above in one field: the default search parses against it alone. No
        # positions: a posting block with positions takes three times as long to read, and
        # every search reads whole posting lists. Phrases are matched on `pairs` instead.
        text=fields.TEXT(analyzer=TEXT_ANALYZER, phrase=False),
        # Each pair of neighbouring words of `text` ("physic therapi"), once per item: a
        # two-word phrase is one term here, a longer one the AND of its pairs.
        pairs=fields.ID(),
        # `text` without the letter's case summary, no positions: what ranks a match, so an
        # item whose own words hold the query's words ranks above every item whose letter only
        # mentions them in its summary (query.ranked_by_item_text).
        item_text=fields.TEXT(analyzer=TEXT_ANALYZER, phrase=False),
        # The drugs the request names ("hydrocodone", "class:opioid"): any brand, generic or
        # class word finds the item (search.engine.vocabulary). Not scored by length.
        concepts=fields.KEYWORD(lowercase=False, scorable=False, commas=False),
        synthetic=fields.BOOLEAN(),
        # What a hit shows without touching the database.
        hit=fields.STORED(),
        **{name: facet() for name in FACET_NAMES},
    )
    for name in FACET_NAMES:
        schema[name].analyzer = FACET_ANALYZER
    schema["case"].analyzer = FACET_ANALYZER
    return schema


def join_facet_values(values) -> str:
    return FACET_SEPARATOR.join(v.replace(FACET_SEPARATOR, " ") for v in values if v)


# ---------------------------------------------------------------------------------------------
# Analysis for indexing: TEXT_ANALYZER's output, computed once per line of text
#
# An item's `text` repeats its request, rationale, letter summary and guideline text, and the
# summary is the same in every item of a letter. Whoosh indexes a list of strings as words
# already analysed, so each line is analysed once (cached) and the token lists are handed over.
# Tokens never span a newline (the tokenizer matches word characters only), so the tokens of a
# text are exactly the tokens of its lines in order.

_TOKEN_PATTERN = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*")  # TEXT_ANALYZER's tokenizer
_STOP_WORDS = frozenset(STOP_WORDS)
_STEMS: dict[str, str | None] = {}  # lower-cased word -> stem, None for a stop word
_STEM_CACHE_LIMIT = 500_000
_LINE_CACHE_LIMIT = 4096
_line_cache: OrderedDict[str, tuple[str, ...]] = OrderedDict()


def _stem_of(word: str) -> str | None:
    if len(_STEMS) > _STEM_CACHE_LIMIT:
        _STEMS.clear()
    stemmed = None if word in _STOP_WORDS else _stem(word)
    _STEMS[word] = stemmed
    return stemmed


def _line_tokens(line: str) -> tuple[str, ...]:
    cached = _line_cache.get(line)
    if cached is not None:
        return cached
    stems = _STEMS
    out = []
    for word in _TOKEN_PATTERN.findall(line):
        word = word.lower()
        stemmed = stems[word] if word in stems else _stem_of(word)
        if stemmed is not None:
            out.append(stemmed)
    tokens = tuple(out)
    _line_cache[line] = tokens
    if len(_line_cache) > _LINE_CACHE_LIMIT:
        _line_cache.popitem(last=False)
    return tokens


def text_tokens(text: str) -> list[str]:
    """The indexed tokens of `text`, the same as TEXT_ANALYZER gives, positions in order."""
    out: list[str] = []
    for line in (text or "").split("\n"):
        if line:
            out.extend(_line_tokens(line))
    return out


_ANALYSED_FIELDS = ("request", "rationale", "summary", "guideline_text", "text", "item_text")


PAIR_SEPARATOR = " "  # never inside a token: the tokenizer takes word characters, "*" and "."


def word_pairs(tokens) -> list[str]:
    """The distinct neighbouring pairs of a token list, as `pairs` terms ("physic therapi")."""
    return list(dict.fromkeys(map(PAIR_SEPARATOR.join, pairwise(tokens))))


def prepare_document(document: dict) -> dict:
    """A document for `writer.add_document`: text fields as analysed token lists (stored
    fields keep their text), and the word pairs of `text`. Documents already holding lists are
    returned as they are."""
    out = dict(document)
    for name in _ANALYSED_FIELDS:
        value = out.get(name)
        if isinstance(value, str):
            out[name] = text_tokens(value)
            if name in ("request", "rationale"):
                out[f"_stored_{name}"] = value
    if isinstance(out.get("text"), list) and "pairs" not in out:
        out["pairs"] = word_pairs(out["text"])
    return out



def analyze(text: str) -> list[str]:
    """The indexed tokens of `text` (lower case, stemmed, stop words dropped)."""
    return [token.text for token in TEXT_ANALYZER(text)]


def stem(word: str) -> str:
    return _stem(word.lower())
