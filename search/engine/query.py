"""User search text -> a parsed query (typed nodes, engine-neutral), with notices in plain English.

The language: words (all must match), "phrases", OR, NOT or a leading -, parentheses, prefix*
(at least 3 characters before the star), and field:term for request, rationale, summary,
guideline and case. Medical abbreviations match their spelled-out forms and the other way round
(ABBREVIATIONS). A case number in any usual form (CM16-0213037, cm16 0213037, CM160213037, and
synthetic SY numbers) is pulled out and its letter is listed first.

Our own small recursive-descent parser builds the query nodes (Term, Phrase, Prefix, And, Or,
Not, AndNot, AndMaybe, Every below), so no user text is ever handed to a query-string parser;
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
from dataclasses import dataclass, field, replace

from search.engine import vocabulary
from search.engine.analysis import (
    ABBREVIATIONS,
    CURRENT_ANALYZER,
    Analyzer,
    analysed,
    expansion_table,
    plain_terms,
)
from search.engine.nodes import And, AndMaybe, AndNot, Every, Node, Not, Or, Phrase, Prefix, Term
from search.engine.pasted import looks_pasted

MAX_QUERY_CHARS = 500
# Different words, phrases and prefixes searched; a repeated one counts once.
MAX_TERMS = 30
# Words, phrases and prefixes counted where they stand (a repeat within the same list of ANDed or
# ORed parts counts once): each is a posting list read, so this bounds the work of one query.
MAX_CLAUSES = 2 * MAX_TERMS
MAX_DEPTH = 6
MIN_PREFIX_CHARS = 3
DEFAULT_FIELD = "text"
ITEM_TEXT_FIELD = "item_text"  # `text` without the letter's case summary: what ranks a match
# Names users may type before a colon, and the index field each one searches.
USER_FIELDS = {
    "request": "request",
    "rationale": "rationale",
    "summary": "summary",
    "guideline": "guideline_text",
    "case": "case",
}
# Matches in the request count more than matches elsewhere in the item.
REQUEST_BOOST = 2.0
# A query word that names a drug or a drug class also matches the items whose request names
# that drug under another name (the `concepts` field, search.engine.vocabulary); the other
# drugs of its class match too, ranked lower. Tuned on the judged set (manage.py relevance).
CONCEPT_BOOST = 6.0
RELATED_CONCEPT_BOOST = 1.5

# A digit may come right before: a pasted list whose line breaks a text box dropped reads
# "CM16-0213037CM16-0213038". Dashes copied from PDFs may be en dashes.
_CASE_NUMBER = re.compile(
    r"(?<![A-Za-z])(CM|SY)\s*[-\u2013]?\s*(\d{2})\s*[-\u2013]?\s*(\d{7})(?!\d)", re.I
)
_LIST_SEPARATORS = re.compile(r"(?<!\S)[,;]+(?!\S)")
# Zero-width, bidi controls and other invisible format characters (Unicode category Cf).
_FORMAT_OR_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}
_TOKEN = re.compile(r'\s*(?:(?P<lparen>\()|(?P<rparen>\))|(?P<quote>")|(?P<word>[^\s()"]+))')
_PLAIN_WORD = re.compile(r"\w+", re.U)


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


def normalise_case_number(text: str) -> str | None:
    """ "cm16 0213037" -> "CM16-0213037"; None when the text is not a case number."""
    match = _CASE_NUMBER.fullmatch(text.strip())
    if not match:
        return None
    return f"{match.group(1).upper()}{match.group(2)}-{match.group(3)}"


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
# Compiling the tree into query nodes


def _terms_query(fieldname: str, tokens: tuple[str, ...]):
    if not tokens:
        return None
    if len(tokens) == 1:
        return Term(fieldname, tokens[0])
    return Phrase(fieldname, tuple(tokens))


def _synonyms(fieldname: str, tokens: tuple[str, ...], highlight: list[str]):
    """The query for some analysed tokens, widened by the abbreviation table both ways."""
    abbreviation = None
    joined = " ".join(tokens)
    for key in ABBREVIATIONS:
        if analysed(key) == tokens:
            abbreviation = key
            break
    if abbreviation is None:
        abbreviation = expansion_table().get(tokens)
    if abbreviation is None or fieldname == "case":
        return _terms_query(fieldname, tokens)
    forms = {analysed(abbreviation), *(analysed(f) for f in ABBREVIATIONS[abbreviation])}
    forms.add(tokens)
    highlight.extend(
        abbreviation.split("-") + [w for f in ABBREVIATIONS[abbreviation] for w in f.split()]
    )
    highlight.append(joined)
    alternatives = [_terms_query(fieldname, f) for f in sorted(forms) if f]
    return Or(tuple(alternatives))


def _compile(node, highlight: list[str], negated: bool = False):
    if node is None:
        return None
    kind = node[0]
    if kind in ("and", "or"):
        children = node[1]
        if kind == "and":
            children = _merge_spelled_out(children)
        parts = [_compile(child, highlight, negated) for child in children]
        # A repeated part ("mri mri mri") is searched once: A AND A is A, A OR A is A.
        parts = list({repr(p): p for p in parts if p is not None}.values())
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        if kind == "or":
            return Or(tuple(parts))
        positives = [p for p in parts if not isinstance(p, Not)]
        negatives = [p.query for p in parts if isinstance(p, Not)]
        if positives and negatives:
            base = positives[0] if len(positives) == 1 else And(tuple(positives))
            excluded = negatives[0] if len(negatives) == 1 else Or(tuple(negatives))
            return AndNot(base, excluded)
        return And(tuple(parts))
    if kind == "not":
        inner = _compile(node[1], highlight, not negated)
        return Not(inner) if inner is not None else None
    _, fieldname, text = node
    if kind == "prefix":
        if not negated:
            highlight.append(text + "*")
        return Prefix(fieldname, text)
    if fieldname == "case":
        number = normalise_case_number(text)
        return Term("case", (number or text).lower())
    tokens = analysed(text)
    if not negated:
        highlight.append(text)
    compiled = _synonyms(fieldname, tokens, highlight if not negated else [])
    if fieldname != DEFAULT_FIELD or compiled is None:
        return compiled
    extra = _vocabulary_alternatives(text, highlight if not negated else [], related=not negated)
    return Or((compiled, *extra)) if extra else compiled


def _vocabulary_alternatives(text: str, highlight: list[str], related: bool = True) -> list:
    """What else a word or phrase means here: the drug concepts it names (a brand, a generic
    or a class word, as `concepts` terms) and the letters' words for a lay term. With
    `related`, the other drugs of a named drug's class too (never for an excluded word:
    "opioid -oxycodone" excludes oxycodone, not every opioid)."""
    words = vocabulary.words_of(text)
    out: list = []
    spans = vocabulary.drug_spans(words)
    if len(spans) == 1 and spans[0][0] == 0 and spans[0][1] == len(words):
        _start, _end, _name, generics, class_key = spans[0]
        named = set(generics) | ({class_key} if class_key else set())
        for concept in sorted(named):
            out.append(Term("concepts", vocabulary.concept_token(concept), boost=CONCEPT_BOOST))
        for generic in generics:
            highlight.extend(vocabulary.names_of_generic(generic))
        for concept in sorted(vocabulary.drug_concepts(words) - named) if related else ():
            if concept in vocabulary.DRUG_CLASSES:  # the named drug's classes: related
                out.append(Term("concepts", vocabulary.concept_token(concept),
                                boost=RELATED_CONCEPT_BOOST))
    for alternative in vocabulary.LAY_TERMS.get(" ".join(words), ()):
        compiled = _synonyms(DEFAULT_FIELD, analysed(alternative), highlight)
        if compiled is not None:
            highlight.append(alternative)
            out.append(compiled)
    return out


def _merge_spelled_out(children: list) -> list:
    """Consecutive plain words that spell out an abbreviation ("physical therapy") or that the
    vocabulary knows as one thing ("muscle relaxant", "low back") become one phrase node, so
    they match the abbreviation or the vocabulary's meaning too."""
    table = expansion_table()
    longest = max(max((len(k) for k in table), default=0), vocabulary.MAX_NAME_WORDS)
    out, position = [], 0
    while position < len(children):
        merged = False
        for length in range(min(longest, len(children) - position), 1, -1):
            window = children[position : position + length]
            if all(c and c[0] == "word" and c[1] == DEFAULT_FIELD for c in window):
                text = " ".join(c[2] for c in window)
                if analysed(text) in table or vocabulary.is_phrase(text):
                    out.append(("phrase", DEFAULT_FIELD, text))
                    position += length
                    merged = True
                    break
        if not merged:
            out.append(children[position])
            position += 1
    return out


def _only_negative(q) -> bool:
    return isinstance(q, Not) or (
        isinstance(q, And) and all(isinstance(p, Not) for p in q.subqueries)
    )


def _anchor_negatives(q):
    """Whoosh cannot run a query that only excludes; exclude from every item instead."""
    if q is None or not _only_negative(q):
        return q
    excluded = q.query if isinstance(q, Not) else Or(tuple(p.query for p in q.subqueries))
    return AndNot(Every(), excluded)


def _plain_words(text: str) -> tuple[list[str], int]:
    """The first MAX_TERMS different words (a repeat counts once, in any case or inflection)
    and how many different words were left out."""
    distinct: dict[tuple, str] = {}
    for word in _PLAIN_WORD.findall(text):
        if word.upper() in ("OR", "AND", "NOT"):
            continue
        distinct.setdefault(analysed(word) or (word.lower(),), word)
    words = list(distinct.values())
    return words[:MAX_TERMS], max(0, len(words) - MAX_TERMS)


def _plain_query(text: str, highlight: list[str], notices: list[str] | None = None):
    """All the text's words (the first MAX_TERMS different ones); when words were left out and
    `notices` is given, a notice says so."""
    words, dropped = _plain_words(text)
    if dropped and notices is not None:
        notices.append(_dropped_notice(words, dropped))
    parts = []
    for word in words:
        compiled = _synonyms(DEFAULT_FIELD, analysed(word), highlight)
        if compiled is not None:
            highlight.append(word)
            parts.append(compiled)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _dropped_notice(kept: list[str], dropped: int) -> str:
    last = kept[-1] if kept else ""
    return (
        f"The search has more than {MAX_TERMS} different words; only the first {MAX_TERMS} "
        f"(up to \u201c{last[:40]}\u201d) were searched and {dropped} more were left out."
    )


def with_request_boost(q):
    """The query that ranks q's matches: by the item's own words (ranked_by_item_text), and
    items whose request matches above items that only mention the words elsewhere."""
    if q is None:
        return None
    boosts = []
    for term in _positive_terms(q):
        boosts.append(Term("request", term, boost=REQUEST_BOOST))
    ranked = ranked_by_item_text(q)
    if not boosts:
        return ranked
    return AndMaybe(ranked, Or(tuple(boosts)))


# What a word found only in the letter's case summary counts, beside one in the item's own text.
SUMMARY_RANK_WEIGHT = 0.02


def ranked_by_item_text(q):
    """q with every search of all the text (`text`) ranked by the item's own words instead
    (`item_text`: the request, rationale and guidelines), and by the case summary at a small
    weight: an item whose own words hold the query's words ranks above every item whose letter
    only mentions them in its summary. Only ranking changes; the match set is q's."""
    if isinstance(q, Term | Phrase | Prefix) and q.fieldname == DEFAULT_FIELD:
        return Or((
            replace(q, fieldname=ITEM_TEXT_FIELD),
            replace(q, fieldname="summary", boost=q.boost * SUMMARY_RANK_WEIGHT),
        ))
    if isinstance(q, And | Or):
        return replace(q, subqueries=tuple(ranked_by_item_text(c) for c in q.subqueries))
    if isinstance(q, AndNot):
        return AndNot(ranked_by_item_text(q.a), q.b)
    if isinstance(q, AndMaybe):
        return AndMaybe(ranked_by_item_text(q.a), ranked_by_item_text(q.b))
    return q


def _positive_terms(q) -> list[str]:
    if isinstance(q, Not):
        return []
    if isinstance(q, AndNot):
        return _positive_terms(q.a)
    if isinstance(q, Term) and q.fieldname == DEFAULT_FIELD:
        return [q.text]
    if isinstance(q, Phrase) and q.fieldname == DEFAULT_FIELD:
        return list(q.words)
    out: list[str] = []
    for child in getattr(q, "subqueries", ()):
        out.extend(_positive_terms(child))
    return list(dict.fromkeys(out))[:MAX_TERMS]


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
            parsed.query = parsed.match_query = _plain_query(parsed.text, parsed.highlight)
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
        notices.append(
            f"The search was longer than {MAX_QUERY_CHARS} characters, so it was run as plain "
            f"words: at most its first {MAX_TERMS} different words, within its first "
            f"{MAX_QUERY_CHARS * 4:,} characters, were searched. To find precedents for a long "
            "text, use the precedent finder."
        )
        parsed.fallback = True
        parsed.match_query = _plain_query(text[: MAX_QUERY_CHARS * 4], parsed.highlight)
        parsed.query = parsed.match_query
        parsed.highlight = list(dict.fromkeys(h for h in parsed.highlight if h))
        return parsed

    numbers = []
    for match in _CASE_NUMBER.finditer(text):
        numbers.append(f"{match.group(1).upper()}{match.group(2)}-{match.group(3)}")
    if numbers:
        parsed.case_numbers = list(dict.fromkeys(numbers))
        parsed.case_query = Or(tuple(Term("case", n.lower()) for n in parsed.case_numbers))
        text = _CASE_NUMBER.sub(" ", text)
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
        q = _anchor_negatives(_compile(tree, parsed.highlight))
    except (QuerySyntaxError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, QuerySyntaxError) else "The search is too complex."
        del notices[notices_before:]
        notices.append(f"{reason} The search was run as plain words instead.")
        parsed.fallback = True
        parsed.highlight.clear()
        q = _plain_query(text, parsed.highlight, notices)
    if q is None and not parsed.case_numbers and text.strip():
        notices.append("The search has no words that can be searched for (only very common ones).")
    parsed.match_query = q
    parsed.query = with_request_boost(q) if q is not None else None
    parsed.highlight = list(dict.fromkeys(h for h in parsed.highlight if h))
    parsed.soft_parts, parsed.soft_excluded = _soft_parts(q)
    return parsed


def _soft_parts(q) -> tuple[tuple, Node | None]:
    """The parts of an AND of several parts, and what it excludes (see soft_parts)."""
    excluded = None
    if isinstance(q, AndNot):
        q, excluded = q.a, q.b
    if isinstance(q, And) and len(q.subqueries) > 1:
        return tuple(q.subqueries), excluded
    return (), None


def any_words_query(text: str, analyzer: Analyzer, boost: float = 1.0):
    """(An OR of the text's words, each widened as a search widens it: abbreviations and the
    vocabulary; the words to highlight). For ranking a pasted text by its treatment words."""
    token = CURRENT_ANALYZER.set(analyzer)
    try:
        words, _ = _plain_words(text)
        nodes = _merge_spelled_out([("word", DEFAULT_FIELD, w) for w in words])
        highlight: list[str] = []
        parts = [p for p in (_compile(node, highlight) for node in nodes) if p is not None]
    finally:
        CURRENT_ANALYZER.reset(token)
    if not parts:
        return None, highlight
    return Or(tuple(parts), boost=boost), highlight


def key_terms_query(
    terms: list[str], request_boost: float = REQUEST_BOOST, request_only: frozenset = frozenset()
) -> Node | None:
    """An OR over analysed terms for free-text similarity, request matches weighted higher;
    `request_only` terms count only where they are in the request."""
    parts = [Term(DEFAULT_FIELD, t) for t in terms if t not in request_only]
    parts += [Term("request", t, boost=request_boost) for t in terms]
    return Or(tuple(parts)) if parts else None
