"""User search text -> a parsed query (typed nodes, engine-neutral), with notices in plain English.

The language: words (all must match), "phrases", OR, NOT or a leading -, parentheses, prefix*
(at least 3 characters before the star), and field:term for request, rationale, summary,
guideline and case. Medical abbreviations match their spelled-out forms and the other way round
(ABBREVIATIONS). A case number in any usual form (CM16-0213037, cm16 0213037, CM160213037, and
synthetic SY numbers) is pulled out and its letter is listed first.

Our own small recursive-descent parser reads the text into a small tree, and
search.engine.query_nodes compiles the tree into the query nodes (Term, Phrase, Prefix, And, Or,
Not, AndNot, AndMaybe, Every), so no user text is ever handed to a query-string parser;
each backend compiles the nodes to its own queries (search.engine.whoosh.compiler). Words are
analysed by the backend's analyzer (`parse_user_query(text, analyzer)`), so a node's terms are
the terms the backend indexes. Anything it cannot take, or that would be slow, falls back to a plain
search for the words in the text with a notice; `parse_user_query` never raises.

What one query may ask of the index is bounded, so no search runs into the time limit by its
size alone: the query language reads at most MAX_QUERY_CHARS characters (a longer text is
searched as plain words from its first MAX_QUERY_CHARS * 4 characters); a repeated word counts
once ("mri mri mri" is one word) and is searched once; at most MAX_TERMS different words,
phrases and prefixes are searched (the first ones; the rest are left out with a notice); and a
query whose words, counted where they stand, exceed MAX_CLAUSES (one word repeated across many
parentheses) is run as its plain words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from search.engine import vocabulary
from search.engine.analysis import (
    CASE_NUMBER,
    CURRENT_ANALYZER,
    DEFAULT_FIELD,
    MAX_TERMS,
    Analyzer,
    analysed,
    plain_terms,
)
from search.engine.nodes import Node, Or, Term
from search.engine.pasted import looks_pasted
from search.engine.query_nodes import (
    anchor_negatives,
    compile_tree,
    plain_query,
    soft_parts_of,
    with_request_boost,
)

MAX_QUERY_CHARS = 500
# Words, phrases and prefixes counted where they stand (a repeat within the same list of ANDed or
# ORed parts counts once): each is a posting list read, so this bounds the work of one query.
MAX_CLAUSES = 2 * MAX_TERMS
MAX_DEPTH = 6
MIN_PREFIX_CHARS = 3
# Names users may type before a colon, and the index field each one searches.
USER_FIELDS = {
    "request": "request",
    "rationale": "rationale",
    "summary": "summary",
    "guideline": "guideline_text",
    "case": "case",
}
_LIST_SEPARATORS = re.compile(r"(?<!\S)[,;]+(?!\S)")
# Zero-width, bidi controls and other invisible format characters (Unicode category Cf).
_FORMAT_OR_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}
_TOKEN = re.compile(r'\s*(?:(?P<lparen>\()|(?P<rparen>\))|(?P<quote>")|(?P<word>[^\s()"]+))')


class QuerySyntaxError(ValueError):
    """Why the text cannot be read as a query; the message is shown to the user."""


@dataclass
class ParsedQuery:
    """What run_search needs from the user's text.

    query: the query's nodes (None: no text, match everything); case_query: the items of any case
    numbers typed, listed first; highlight: words and phrases to mark in passages; notices: plain
    English notes on what was changed.
    """

    text: str = ""
    query: Node | None = None  # scores: match_query plus a boost for matches in the request
    match_query: Node | None = None  # decides what matches; cheaper to enumerate than query
    case_query: Node | None = None
    case_numbers: list[str] = field(default_factory=list)
    highlight: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    fallback: bool = False
    # The positive parts of a query that requires every one of them ("cold therapy unit after
    # surgery") and what it excludes: when too few items match all the parts, the items that
    # match most of them follow (the backend's soft matching).
    soft_parts: tuple = ()
    soft_excluded: Node | None = None
    # A pasted request or denial (search.engine.pasted.looks_pasted): the backend ranks it as
    # the precedent finder ranks a text, by its treatment words.
    pasted: bool = False

    @property
    def matches_everything(self) -> bool:
        return self.query is None and self.case_query is None

    @property
    def key(self) -> str:
        """A stable identity for caching results of this query."""
        return f"{self.match_query!r}|{self.case_query!r}"


# ---------------------------------------------------------------------------------------------
# Normalisation


def _clean(text: str, notices: list[str]) -> str:
    cleaned = []
    changed = False
    for ch in text:
        category = unicodedata.category(ch)
        if category in _FORMAT_OR_CONTROL and ch not in "\t\n\r":
            changed = True
            # A control character separates words; an invisible one (zero-width, bidi) does not.
            cleaned.append(" " if category == "Cc" else "")
        else:
            cleaned.append(ch)
    if changed:
        notices.append("Invisible or control characters in the search were removed.")
    return vocabulary.disambiguate(" ".join("".join(cleaned).split()))


# ---------------------------------------------------------------------------------------------
# Parsing into a small tree: ("and", [..]), ("or", [..]), ("not", x), ("word", field, text),
# ("phrase", field, text), ("prefix", field, text)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            break
        position = match.end()
        if match.group("lparen"):
            out.append(("(", "("))
        elif match.group("rparen"):
            out.append((")", ")"))
        elif match.group("quote"):
            end = text.find('"', position)
            if end < 0:
                raise QuerySyntaxError("A quotation mark was not closed.")
            out.append(("phrase", text[position:end]))
            position = end + 1
        else:
            word = match.group("word")
            if word == "OR":
                out.append(("or", word))
            elif word in ("AND", "&&"):
                continue
            elif word == "NOT":
                out.append(("not", word))
            elif word.startswith("-") and len(word) > 1:
                out.append(("not", "-"))
                out.append(("word", word[1:]))
            elif (
                word.endswith(":")
                and len(word) > 1
                and position < len(text)
                and text[position] in '"('
            ):
                out.append(("field", word[:-1]))
            else:
                out.append(("word", word))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], notices: list[str]):
        self.tokens = tokens
        self.position = 0
        self.notices = notices
        self.seen: set[tuple] = set()  # term_key of every word, phrase and prefix kept
        self.dropped: list[str] = []  # what was left out, beyond MAX_TERMS different terms

    def peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse(self):
        if not self.tokens:
            return None
        node = self.or_expr(0)
        if self.position != len(self.tokens):
            raise QuerySyntaxError("A closing parenthesis has no opening one.")
        return node

    def or_expr(self, depth: int):
        parts = [self.and_expr(depth)]
        while self.peek() == "or":
            self.take()
            if self.peek() in (None, ")", "or"):
                raise QuerySyntaxError("OR needs a word on both sides.")
            parts.append(self.and_expr(depth))
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else ("or", parts)

    def and_expr(self, depth: int):
        parts = []
        while self.peek() not in (None, ")", "or"):
            parts.append(self.unary(depth))
        if not parts and self.peek() == "or":
            raise QuerySyntaxError("OR needs a word on both sides.")
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else ("and", parts)

    def unary(self, depth: int):
        if self.peek() == "not":
            self.take()
            if self.peek() in (None, ")", "or", "not"):
                raise QuerySyntaxError("NOT (or -) must be followed by a word.")
            inner = self.unary(depth)
            return ("not", inner) if inner is not None else None
        return self.primary(depth)

    def primary(self, depth: int, fieldname: str = DEFAULT_FIELD):
        kind, value = self.take()
        if kind == "(":
            if depth + 1 > MAX_DEPTH:
                raise QuerySyntaxError("The parentheses are nested too deeply.")
            node = self.or_expr(depth + 1)
            if self.peek() != ")":
                raise QuerySyntaxError("A parenthesis was not closed.")
            self.take()
            return node if fieldname == DEFAULT_FIELD else _with_field(node, fieldname)
        if kind == ")":
            raise QuerySyntaxError("A closing parenthesis has no opening one.")
        if kind == "phrase":
            node = ("phrase", fieldname, value) if value.strip() else None
            return self._admit(node, f'"{value}"')
        if kind == "field":
            target = USER_FIELDS.get(value.lower())
            if target is None:
                raise QuerySyntaxError(f'There is no field named "{value}".')
            if self.peek() is None:
                raise QuerySyntaxError(f'Nothing follows "{value}:".')
            return self.primary(depth, target)
        if kind in ("or", "not"):
            raise QuerySyntaxError(f"{value} cannot stand alone.")
        return self.word(value, fieldname)

    def word(self, word: str, fieldname: str):
        if ":" in word.strip(":") and fieldname == DEFAULT_FIELD:
            name, _, rest = word.partition(":")
            target = USER_FIELDS.get(name.lower())
            if target is None:
                if name.isalpha():
                    raise QuerySyntaxError(f'There is no field named "{name}".')
            elif rest:
                return self.word(rest, target)
            else:
                raise QuerySyntaxError(f'Nothing follows "{name}:".')
        if "?" in word or "*" in word[:-1]:
            raise QuerySyntaxError("Wildcards are allowed only as * at the end of a word.")
        if word.endswith("*"):
            stem = word[:-1].lower()
            if len(re.sub(r"\W", "", stem)) < MIN_PREFIX_CHARS or not stem.isalnum():
                raise QuerySyntaxError(
                    f"A word ending in * needs at least {MIN_PREFIX_CHARS} letters or digits "
                    "before the star."
                )
            return self._admit(("prefix", fieldname, stem), word)
        return self._admit(("word", fieldname, word), word)

    def _admit(self, node, shown: str):
        """The node, or None once MAX_TERMS different terms are taken and this is a new one."""
        if node is None:
            return None
        key = term_key(node)
        if key in self.seen:
            return node
        if len(self.seen) >= MAX_TERMS:
            self.dropped.append(shown)
            return None
        self.seen.add(key)
        return node


def term_key(node) -> tuple:
    """What makes a word, phrase or prefix the same as another: its field and analysed words
    ("MRI", "mri" and "MRIs" are one word; stop words alone count as one)."""
    kind, fieldname, text = node
    if kind == "prefix" or fieldname == "case":
        return (kind, fieldname, text.lower())
    return ("terms", fieldname, analysed(text))


def node_key(node) -> tuple | None:
    """A hashable identity of a parsed tree; equal keys search for the same thing."""
    if node is None:
        return None
    kind = node[0]
    if kind in ("and", "or"):
        return (kind, tuple(dict.fromkeys(node_key(child) for child in node[1])))
    if kind == "not":
        return ("not", node_key(node[1]))
    return term_key(node)


def clause_count(node) -> int:
    """Words, phrases and prefixes where they stand, a repeat among siblings counted once."""
    if node is None:
        return 0
    kind = node[0]
    if kind in ("and", "or"):
        distinct = {node_key(child): child for child in node[1]}
        return sum(clause_count(child) for child in distinct.values())
    if kind == "not":
        return clause_count(node[1])
    return 1


def _with_field(node, fieldname: str):
    if node is None:
        return None
    kind = node[0]
    if kind in ("and", "or"):
        return (kind, [_with_field(n, fieldname) for n in node[1]])
    if kind == "not":
        return ("not", _with_field(node[1], fieldname))
    return (kind, fieldname, node[2])


# ---------------------------------------------------------------------------------------------


def parse_user_query(text: str | None, analyzer: Analyzer | None = None) -> ParsedQuery:
    """Never raises: any problem becomes a plain word search and a notice.

    `analyzer` gives the terms the backend indexes for a text (a backend's `analyze`); without
    one, words are only lower-cased (plain_terms), enough to know what to highlight.
    """
    token = CURRENT_ANALYZER.set(analyzer or plain_terms)
    try:
        return _parse_or_fall_back(text)
    finally:
        CURRENT_ANALYZER.reset(token)


def _parse_or_fall_back(text: str | None) -> ParsedQuery:
    try:
        return _parse(text or "")
    except Exception:  # noqa: BLE001 - the search box must always answer
        parsed = ParsedQuery(text=str(text or "")[:MAX_QUERY_CHARS])
        parsed.fallback = True
        parsed.notices.append("The search could not be read as written; it was run as plain words.")
        try:
            parsed.query = parsed.match_query = plain_query(parsed.text, parsed.highlight)
        except Exception:  # noqa: BLE001
            parsed.query = parsed.match_query = None
        return parsed


def _parse(text: str) -> ParsedQuery:
    parsed = ParsedQuery(text=text)
    notices = parsed.notices
    if looks_pasted(text):
        parsed.pasted = True
        notices.append(
            "This looks like a pasted request or denial, so it was searched for its treatment "
            "words, ranked as the precedent finder ranks a text."
        )
    text = _clean(text, notices)
    if len(text) > MAX_QUERY_CHARS:
        if not parsed.pasted:  # a pasted text is ranked as the finder ranks it: said above
            notices.append(
                f"The search was longer than {MAX_QUERY_CHARS} characters, so it was run as "
                f"plain words: at most its first {MAX_TERMS} different words, within its first "
                f"{MAX_QUERY_CHARS * 4:,} characters, were searched. To find precedents for a "
                "long text, use the precedent finder."
            )
        parsed.fallback = True
        parsed.match_query = plain_query(text[: MAX_QUERY_CHARS * 4], parsed.highlight)
        parsed.query = parsed.match_query
        parsed.highlight = list(dict.fromkeys(h for h in parsed.highlight if h))
        return parsed

    numbers = []
    for match in CASE_NUMBER.finditer(text):
        numbers.append(f"{match.group(1).upper()}{match.group(2)}-{match.group(3)}")
    if numbers:
        parsed.case_numbers = list(dict.fromkeys(numbers))
        parsed.case_query = Or(tuple(Term("case", n.lower()) for n in parsed.case_numbers))
        text = CASE_NUMBER.sub(" ", text)
        # The commas and semicolons that separated a list of case numbers are not words.
        text = _LIST_SEPARATORS.sub(" ", text).strip()

    if not text:
        return parsed
    notices_before = len(notices)
    try:
        parser = _Parser(_tokens(text), notices)
        tree = parser.parse()
        if clause_count(tree) > MAX_CLAUSES:
            raise QuerySyntaxError(
                f"The search repeats its words in more than {MAX_CLAUSES} places."
            )
        if parser.dropped:
            notices.append(
                f"The search has more than {MAX_TERMS} different words and phrases; only the "
                f"first {MAX_TERMS} were searched and {len(parser.dropped)} more were left out "
                f"(from \u201c{parser.dropped[0][:40]}\u201d on)."
            )
        q = anchor_negatives(compile_tree(tree, parsed.highlight))
    except (QuerySyntaxError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, QuerySyntaxError) else "The search is too complex."
        del notices[notices_before:]
        notices.append(f"{reason} The search was run as plain words instead.")
        parsed.fallback = True
        parsed.highlight.clear()
        q = plain_query(text, parsed.highlight, notices)
    if q is None and not parsed.case_numbers and text.strip():
        notices.append("The search has no words that can be searched for (only very common ones).")
    parsed.match_query = q
    parsed.query = with_request_boost(q) if q is not None else None
    parsed.highlight = list(dict.fromkeys(h for h in parsed.highlight if h))
    parsed.soft_parts, parsed.soft_excluded = soft_parts_of(q)
    return parsed
