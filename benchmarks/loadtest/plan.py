"""The load test's plan: which URLs, of which kind, expecting which status, in which order.

Made on the command side from the corpus's own ids, words and facet values (`MixInputs`), and
handed to the client process as JSON (`Target.as_json`). Pure Python: no Django import.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from urllib.parse import urlencode

from benchmarks.hostile import (
    BAD_PARAMETERS,
    HOSTILE_QUERIES,
    many_distinct_values_pairs,
    raw_payloads,
    repeated_parameter_query,
)

# Share of the timed requests, in percent, per kind of request (they add up to 100).
KIND_WEIGHTS = {
    "search": 25,
    "facet": 15,
    "letter": 12,
    "item-similar": 5,
    "api": 15,
    "feed": 4,
    "csv": 2,
    "hostile": 22,
}
KIND_TEXT = {
    "search": "search page /?q=: the bench query set, words from the corpus, paging, sorting",
    "facet": "facet clicks on /: one value, two facets, two values, a facet on a query; "
    "half as htmx fragment requests",
    "letter": "letter pages /letters/<id>/",
    "item-similar": "per-item similar page /letters/<id>/items/<n>/similar/",
    "api": "JSON: /api/search, /api/letters/<id>, /api/letters/<id>/items/<n>/similar",
    "feed": "Atom feed /feeds/search/",
    "csv": "CSV export /export/search.csv (up to 5,000 rows)",
    "hostile": "hostile input: the tests' catalogue on /, the API, the feed, CSV and letters",
}

# gunicorn refuses request lines longer than --limit-request-line with 414. It clamps any value
# above 8190 to 8190; 0 means no limit (its C parser, gunicorn_h1c, then caps at 1 MB). A search
# may carry a 10,000-character query (the site keeps that much), so no value but 0 lets it in.
GUNICORN_MAX_LINE = 8190
UNLIMITED_LINE_CAP = 1024 * 1024
DEFAULT_LIMIT_REQUEST_LINE = 0

TOO_MANY_FIELDS = 10_001  # one over DATA_UPLOAD_MAX_NUMBER_FIELDS: Django answers 400 on purpose
HTMX_HEADERS = (("HX-Request", "true"), ("HX-Target", "results"))


@dataclass(frozen=True)
class Target:
    """One URL of the mix: what kind it is, what it must answer, what must not be in the answer."""

    kind: str
    path: str
    label: str
    expect: tuple[int, ...] = (200,)
    headers: tuple[tuple[str, str], ...] = ()
    forbid: tuple[str, ...] = ()  # must not appear verbatim in an HTML or XML answer

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Target:
        return cls(
            kind=data["kind"],
            path=data["path"],
            label=data["label"],
            expect=tuple(data["expect"]),
            headers=tuple(tuple(pair) for pair in data["headers"]),
            forbid=tuple(data["forbid"]),
        )


def request_line_length(path: str) -> int:
    """What gunicorn measures against --limit-request-line: `GET <path> HTTP/1.1`."""
    return len(f"GET {path} HTTP/1.1")


def effective_line_limit(limit_request_line: int) -> int:
    """The limit gunicorn applies for a --limit-request-line value (0: none)."""
    if limit_request_line <= 0:
        return 0
    return min(limit_request_line, GUNICORN_MAX_LINE)


def _url(base: str, pairs: Iterable[tuple[str, str]] | dict | str = ()) -> str:
    query = pairs if isinstance(pairs, str) else urlencode(list(_pairs(pairs)))
    return f"{base}?{query}" if query else base


def _pairs(params) -> Iterable[tuple[str, str]]:
    if isinstance(params, dict):
        for name, values in params.items():
            for value in values if isinstance(values, list | tuple) else [values]:
                yield name, value
    else:
        yield from params


def _short(text: str, width: int = 40) -> str:
    shown = repr(text)
    return shown if len(shown) <= width else f"{shown[: width - 12]}...({len(text):,} chars)"


@dataclass
class MixInputs:
    """What the mix is made from: the corpus's own ids, words and facet values."""

    queries: list  # BenchQuery, from benchmarks.queries
    words: list[str]
    facets: dict[str, list[str]]  # facet -> values, from a real /api/search answer (no query)
    query_facets: dict[str, list[str]]  # the same for `facet_query`
    facet_query: str
    letter_ids: list[str]
    items: list[tuple[str, int]]  # (letter id, ordinal)
    item_similar: Callable[[str, int], str] | None = None  # the page's URL, when it exists
    case_number: str = ""
    limit_request_line: int = DEFAULT_LIMIT_REQUEST_LINE
    extra: dict = field(default_factory=dict)


def _search_targets(inputs: MixInputs) -> list[Target]:
    targets = [Target("search", _url("/", q.params()), f"/ {q.name}") for q in inputs.queries]
    for word in inputs.words:
        targets.append(Target("search", _url("/", {"q": word}), f"/ word {word}"))
    for first, second in zip(inputs.words, inputs.words[1:], strict=False):
        targets.append(Target("search", _url("/", {"q": f"{first} {second}"}),
                              f"/ words {first} {second}"))
    for params, label in (
        ({"q": "pain", "page": "2"}, "page 2"),
        ({"q": "therapy", "sort": "newest"}, "sort newest"),
        ({"q": "mri", "sort": "oldest", "page": "3"}, "sort oldest page 3"),
        ({"page": "5"}, "everything, page 5"),
    ):
        targets.append(Target("search", _url("/", params), f"/ {label}"))
    return targets


def _facet_targets(inputs: MixInputs) -> list[Target]:
    urls: list[tuple[str, str]] = []
    names = [name for name, values in inputs.facets.items() if values]
    for name in names:
        for value in inputs.facets[name][:2]:
            urls.append((_url("/", {name: value}), f"{name}={value}"))
        if len(inputs.facets[name]) >= 2:
            two = inputs.facets[name][:2]
            urls.append((_url("/", {name: two}), f"{name}={two[0]}|{two[1]}"))
    for first, second in zip(names, names[1:], strict=False):
        a, b = inputs.facets[first][0], inputs.facets[second][0]
        urls.append((_url("/", [(first, a), (second, b)]), f"{first}={a} & {second}={b}"))
    # Ticking a value on top of a query, as a user narrowing a search does.
    for name, values in inputs.query_facets.items():
        for value in values[:2]:
            urls.append((_url("/", [("q", inputs.facet_query), (name, value)]),
                         f"q={inputs.facet_query} + {name}={value}"))
    targets = []
    for number, (path, label) in enumerate(urls):
        # The page sends a facet click as an htmx request for the results pane; a shared link
        # or a reload asks for the whole page. Half and half.
        if number % 2:
            targets.append(Target("facet", path, f"htmx {label}", headers=HTMX_HEADERS))
        else:
            targets.append(Target("facet", path, label))
    return targets


def _api_targets(inputs: MixInputs) -> list[Target]:
    targets = [Target("api", _url("/api/search", q.params()), f"api {q.name}")
               for q in inputs.queries]
    targets += [Target("api", _url("/api/search", {"q": w}), f"api word {w}")
                for w in inputs.words]
    targets += [Target("api", f"/api/letters/{i}", "api letter") for i in inputs.letter_ids[:50]]
    targets += [Target("api", f"/api/letters/{i}/items/{n}/similar", "api similar")
                for i, n in inputs.items[:50]]
    return targets


def _feed_targets(inputs: MixInputs) -> list[Target]:
    chosen = [q for q in inputs.queries if q.kind in ("common", "facet", "broad", "phrase")]
    return [Target("feed", _url("/feeds/search/", q.params()), f"feed {q.name}") for q in chosen]


def _csv_targets(inputs: MixInputs) -> list[Target]:
    params: list[tuple[dict, str]] = [
        ({"q": "tenomentgenic"}, "rare word"),
        ({"q": '"functional restoration program"', "outcome": "overturned"}, "phrase, overturned"),
        ({"q": "pain", "year": "2020"}, "pain, 2020"),
        ({"specialty": "Psychiatry"}, "Psychiatry, no words"),
        ({"q": "pain"}, "pain (broad: the 5,000-row cap)"),
    ]
    if inputs.case_number:
        params.insert(0, ({"q": inputs.case_number}, "case number"))
    return [Target("csv", _url("/export/search.csv", p), f"csv {label}") for p, label in params]


def _hostile_targets(inputs: MixInputs) -> list[Target]:
    targets: list[Target] = []

    def add(path: str, label: str, expect=(200,), headers=(), forbid=()):
        targets.append(Target("hostile", path, label, tuple(expect), tuple(headers),
                              tuple(forbid)))

    for q in HOSTILE_QUERIES:
        forbid = raw_payloads(q)
        shown = _short(q)
        add(_url("/", {"q": q}), f"/ q={shown}", forbid=forbid)
        add(_url("/", {"q": q}), f"htmx / q={shown}", headers=HTMX_HEADERS, forbid=forbid)
        add(_url("/api/search", {"q": q}), f"api q={shown}")
        add(_url("/feeds/search/", {"q": q}), f"feed q={shown}", forbid=forbid)
    # The search page keeps the first 10,000 characters of a longer query.
    add(_url("/", {"q": "x" * 20_000}), "/ q='x'*20,000 (over the site's 10,000 cap)")
    for q in ("<script>alert(1)</script>", "knee\x00brace"):
        add(_url("/export/search.csv", {"q": q}), f"csv q={_short(q)}")
    for params in BAD_PARAMETERS:
        shown = ", ".join(f"{k}={_short(v, 30)}" for k, v in params.items())
        forbid = raw_payloads(*params.values())
        add(_url("/api/search", params), f"api {shown}")
        add(_url("/", {"q": "therapy", **params}), f"/ q=therapy {shown}", forbid=forbid)
    for params, label in (
        ({"q": "pain", "page": "10000"}, "q=pain page=10000 (the last page allowed)"),
        ({"decided_from": "2020-13-45", "decided_to": "yesterday"}, "impossible dates"),
        ({"injured_from": "2021-01-01", "injured_to": "2001-01-01"}, "reversed date range"),
        ({"q": "pain", "foo": "bar", "q2": "x"}, "unknown parameters"),
        ({"q": "pain", "sort": "newest", "page": "0"}, "page 0"),
    ):
        add(_url("/", params), f"/ {label}")
        add(_url("/api/search", params), f"api {label}")
    # Percent-encoding that does not decode to UTF-8, or does not decode at all.
    for raw, label in (("q=%ff%fe%00", "invalid UTF-8 and NUL"), ("q=%", "a lone %"),
                       ("q=%zz%2", "broken escapes"), ("q=%E2%80", "truncated UTF-8")):
        add(_url("/", raw), f"/ {label}")
        add(_url("/api/search", raw), f"api {label}")
    repeated = repeated_parameter_query()
    for base in ("/", "/api/search", "/feeds/search/", "/export/search.csv"):
        add(_url(base, repeated), f"{base} outcome and specialty each repeated 1,000 times")
    add(_url("/api/search", many_distinct_values_pairs()), "api 1,000 different specialties")
    # More fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: Django's deliberate 400.
    add(_url("/api/search", [("x", "1")] * TOO_MANY_FIELDS),
        f"api {TOO_MANY_FIELDS:,} parameters (over DATA_UPLOAD_MAX_NUMBER_FIELDS)", expect=(400,))
    # Letters that do not exist, and payloads in a letter's address.
    script = "<script>alert(1)</script>"
    add("/letters/NO-SUCH-LETTER/", "unknown letter page", expect=(404,))
    add("/api/letters/NO-SUCH-LETTER", "api unknown letter", expect=(404,))
    add("/letters/%3Cscript%3Ealert(1)%3C%2Fscript%3E/", "letter id <script>", expect=(404,),
        forbid=[script])
    if inputs.letter_ids:
        letter = inputs.letter_ids[0]
        add(_url(f"/letters/{letter}/", {"q": script}), "letter page q=<script>", forbid=[script])
        add(_url(f"/letters/{letter}/", {"q": "(" * 500 + "x" * 3000}), "letter page deep q")
        if letter.lower() != letter:
            # People type case numbers in lower case: a redirect to the canonical address.
            add(f"/letters/{letter.lower()}/", "letter id in lower case", expect=(301, 302))
        add(f"/api/letters/{letter}/items/999/similar", "api similar, no such item",
            expect=(404,))
        if inputs.item_similar is not None:
            add(inputs.item_similar(letter, 999), "similar page, no such item", expect=(404,))
    add("/api/letters/NO-SUCH-LETTER/items/1/similar", "api similar, unknown letter",
        expect=(404,))
    return targets


def _item_similar_targets(inputs: MixInputs) -> list[Target]:
    if inputs.item_similar is None:
        return []
    targets = []
    for number, (letter, ordinal) in enumerate(inputs.items):
        path = inputs.item_similar(letter, ordinal)
        if number % 2:
            # What the letter page sends when a reader opens an item's "Similar precedents".
            headers = (("HX-Request", "true"), ("HX-Target", f"similar-{ordinal}"))
            targets.append(Target("item-similar", path, "htmx similar list", headers=headers))
        else:
            targets.append(Target("item-similar", path, "similar page"))
    return targets


def build_targets(inputs: MixInputs) -> list[Target]:
    """Every URL of the mix, by kind. URLs over gunicorn's line limit must get its 414."""
    targets = [
        *_search_targets(inputs),
        *_facet_targets(inputs),
        *[Target("letter", f"/letters/{i}/", "letter page") for i in inputs.letter_ids],
        *_item_similar_targets(inputs),
        *_api_targets(inputs),
        *_feed_targets(inputs),
        *_csv_targets(inputs),
        *_hostile_targets(inputs),
    ]
    limit = effective_line_limit(inputs.limit_request_line)
    checked = []
    for target in targets:
        if limit and request_line_length(target.path) > limit:
            target = Target(target.kind, target.path, f"{target.label} (over the line limit)",
                            (414,), target.headers, ())
        checked.append(target)
    return checked


def kind_schedule(weights: dict[str, int], count: int) -> list[str]:
    """`count` kinds in a smooth weighted round robin: every run of sum(weights) consecutive
    picks from the start has each kind exactly its weight's times, well spread out."""
    weights = {kind: weight for kind, weight in weights.items() if weight > 0}
    total = sum(weights.values())
    current = dict.fromkeys(weights, 0)
    out = []
    for _ in range(count):
        for kind, weight in weights.items():
            current[kind] += weight
        chosen = max(current, key=current.__getitem__)
        current[chosen] -= total
        out.append(chosen)
    return out


def effective_weights(targets: list[Target], weights: dict[str, int] | None = None) -> dict:
    """The weights of the kinds that have URLs in this build (a kind without URLs is left out)."""
    present = {t.kind for t in targets}
    return {k: w for k, w in (weights or KIND_WEIGHTS).items() if k in present and w > 0}


def sequence(targets: list[Target], count: int, seed: int = 0,
             weights: dict[str, int] | None = None) -> list[int]:
    """Indexes into `targets` for the timed run: kinds by weight, each kind's URLs in turn
    (shuffled once, with `seed`)."""
    rng = random.Random(seed)
    by_kind: dict[str, list[int]] = {}
    for number, target in enumerate(targets):
        by_kind.setdefault(target.kind, []).append(number)
    for numbers in by_kind.values():
        rng.shuffle(numbers)
    position = Counter()
    out = []
    for kind in kind_schedule(effective_weights(targets, weights), count):
        numbers = by_kind[kind]
        out.append(numbers[position[kind] % len(numbers)])
        position[kind] += 1
    return out


def coverage_indexes(targets: list[Target]) -> list[int]:
    """Every hostile URL and the first URL of every other kind: sent once before the timed run,
    so each hostile case meets gunicorn however short the run is."""
    seen: set[str] = set()
    out = []
    for number, target in enumerate(targets):
        if target.kind == "hostile" or target.kind not in seen:
            out.append(number)
            seen.add(target.kind)
    return out
