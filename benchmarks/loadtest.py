"""The production load test behind `python manage.py loadtest`.

gunicorn (several sync workers, 127.0.0.1) serves a benchmark corpus (IMR_DATA_DIR inside the
benchmark folder, never the site's own data), and a load generator in a separate process sends a
mix of requests at a fixed rate for the whole run: searches, facet clicks, letter pages, the API,
the feed and CSV export now and then, and hostile input. The command prints throughput, latency
per kind of request, errors and memory per worker, and exits 1 on any error.

Three parts live here:

- the plan (command side): which URLs, of which kind, expecting which status, in which order
  (`build_targets`, `kind_schedule`, `sequence`);
- the client (`python -m benchmarks.loadtest client --plan P --out O`, a process of its own):
  a coverage pass that sends every hostile URL and one URL of every other kind once, then the
  open-loop timed run; it writes one record per request;
- the figures (command side): error classification, percentiles per kind, the report.

The client imports nothing from Django: it only needs the plan file and the server's port.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from urllib.parse import urlencode

from benchmarks.hostile import (
    BAD_PARAMETERS,
    HOSTILE_QUERIES,
    many_distinct_values_pairs,
    raw_payloads,
    repeated_parameter_query,
)
from benchmarks.stats import summarize_ms

HOST = "127.0.0.1"

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
ONLY_MARK_TAGS = re.compile(r"<(?!/?mark>)[^>]*>")
UNAVAILABLE = "Search is unavailable"
TIME_LIMIT_NOTICES = ("took too long",)


# --- The plan ------------------------------------------------------------------------------------


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


# --- The client ------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int  # 0: no HTTP answer
    error: str  # "", "timeout" or "connection: <what>"
    content_type: str
    body: bytes
    service_ms: float


def fetch(port: int, target: Target, timeout: float) -> Answer:
    """One GET on a fresh connection, the whole body read."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    status, error, content_type, body = 0, "", "", b""
    try:
        headers = {"Connection": "close", **dict(target.headers)}
        connection.request("GET", target.path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        status = response.status
        content_type = response.getheader("Content-Type", "")
    except TimeoutError:
        error = "timeout"
    except (OSError, http.client.HTTPException) as exc:
        error = f"connection: {type(exc).__name__}"
    finally:
        connection.close()
    return Answer(status, error, content_type, body, (time.perf_counter() - start) * 1000.0)


@dataclass(frozen=True)
class BodyCheck:
    unsafe: str = ""  # a payload echoed unescaped, or markup other than <mark> in a snippet
    broken: str = ""  # JSON that does not parse, a CSV shorter than its own first line says
    unavailable: bool = False  # "Search is unavailable": the index could not be opened
    degraded: bool = False  # the search time limit cut the answer short (a notice says so)


_CSV_HEAD = re.compile(r"^# IMR precedent search export: (\d+) of \d+ matching items")


def _csv_rows(text: str) -> int:
    import csv
    import io

    lines = text.split("\r\n", 1)[1] if "\r\n" in text else ""
    return max(0, sum(1 for _ in csv.reader(io.StringIO(lines, newline=""))) - 1)


def body_problems(target: Target, answer: Answer) -> BodyCheck:
    """What is wrong with an answer's body, beyond its status."""
    if not answer.body:
        return BodyCheck()
    text = answer.body.decode("utf-8", "replace")
    unsafe = broken = ""
    content_type = answer.content_type.lower()
    if "html" in content_type or "xml" in content_type:
        for payload in target.forbid:
            if payload in text:
                unsafe = f"unescaped {payload[:40]!r}"
                break
    if "json" in content_type and answer.status == 200:
        try:
            data = json.loads(text)
        except ValueError:
            broken = "invalid JSON"
        else:
            results = data.get("results", []) if isinstance(data, dict) else []
            for hit in results:
                snippet = (hit.get("snippet_html") or "") if isinstance(hit, dict) else ""
                if ONLY_MARK_TAGS.search(snippet):
                    unsafe = "a tag other than <mark> in a snippet"
                    break
    if "csv" in content_type and answer.status == 200:
        # A stream cut short (a worker killed mid-export) must not pass for a short export.
        head = _CSV_HEAD.match(text)
        rows = _csv_rows(text) if head else 0
        if head and rows != int(head.group(1)):
            broken = f"CSV with {rows} rows where its first line says {head.group(1)}"
    return BodyCheck(
        unsafe=unsafe,
        broken=broken,
        unavailable=UNAVAILABLE in text,
        degraded=any(notice in text for notice in TIME_LIMIT_NOTICES),
    )


def record_for(number: int, scheduled: float, answer: Answer, target: Target) -> dict:
    check = body_problems(target, answer)
    return {
        "target": number,
        "status": answer.status,
        "error": answer.error,
        "ms": (time.perf_counter() - scheduled) * 1000.0,
        "service_ms": answer.service_ms,
        "bytes": len(answer.body),
        "unsafe": check.unsafe,
        "broken": check.broken,
        "unavailable": check.unavailable,
        "degraded": check.degraded,
    }


def run_coverage(port: int, targets: list[Target], indexes: list[int], timeout: float,
                 concurrency: int) -> list[dict]:
    def one(number: int) -> dict:
        started = time.perf_counter()
        return record_for(number, started, fetch(port, targets[number], timeout), targets[number])

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(one, indexes))


def run_open_loop(port: int, targets: list[Target], order: list[int], rate: float,
                  timeout: float, max_in_flight: int, log=None) -> dict:
    """Request order[i] at start + i / rate, whether or not earlier ones are answered.

    Latency counts from the scheduled time. At most `max_in_flight` requests wait at once: past
    that the server is not keeping up, and a request that would have been sent is counted as
    skipped instead of growing a backlog the server would serve long after the run.
    """
    records: list[dict] = []
    skipped: Counter = Counter()
    in_flight = threading.BoundedSemaphore(max_in_flight)
    lock = threading.Lock()
    start = time.perf_counter() + 0.05
    next_report = start + 30

    def one(scheduled: float, number: int) -> None:
        try:
            answer = fetch(port, targets[number], timeout)
            record = record_for(number, scheduled, answer, targets[number])
            record["at"] = scheduled - start  # seconds into the run it was due
            with lock:
                records.append(record)
        finally:
            in_flight.release()

    with ThreadPoolExecutor(max_workers=max_in_flight) as pool:
        for position, number in enumerate(order):
            scheduled = start + position / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if log and time.perf_counter() >= next_report:
                next_report += 30
                with lock:
                    answered = len(records)
                    failed = sum(1 for r in records if r["error"] or r["status"] >= 500)
                log(f"[{time.perf_counter() - start:5.0f} s] {position:,} scheduled, "
                    f"{answered:,} answered, {sum(skipped.values()):,} skipped, "
                    f"{failed:,} 5xx or no answer")
            if not in_flight.acquire(blocking=False):
                skipped[targets[number].kind] += 1
                continue
            pool.submit(one, scheduled, number)
    return {
        "records": records,
        "skipped": dict(skipped),
        "seconds": time.perf_counter() - start,
        "scheduled": len(order),
    }


def client_main(plan_path: str, out_path: str) -> int:
    with open(plan_path, encoding="utf-8") as handle:
        plan = json.load(handle)
    targets = [Target.from_json(t) for t in plan["targets"]]

    def log(message: str) -> None:
        print(f"  loadtest client: {message}", file=sys.stderr, flush=True)

    started = time.time()
    coverage_start = time.perf_counter()
    coverage = run_coverage(plan["port"], targets, plan["coverage"], plan["timeout"],
                            plan["coverage_concurrency"])
    coverage_seconds = time.perf_counter() - coverage_start
    log(f"coverage pass: {len(coverage)} requests in {coverage_seconds:.1f} s; "
        f"timed run: {len(plan['sequence']):,} requests at {plan['rate']:g}/s")
    load = run_open_loop(plan["port"], targets, plan["sequence"], plan["rate"], plan["timeout"],
                         plan["max_in_flight"], log=log)
    result = {
        "pid": os.getpid(),
        "started": started,
        "coverage": coverage,
        "coverage_seconds": coverage_seconds,
        **load,
    }
    tmp = f"{out_path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    os.replace(tmp, out_path)
    return 0


# --- The figures -----------------------------------------------------------------------------

ERROR_CLASSES = (
    "timeout",
    "connection error",
    "HTTP 5xx",
    "unexpected HTTP 4xx",
    "unexpected status",
    "unsafe body",
    "broken body",
    "search unavailable",
    "not sent (backlog)",
)


def classify(record: dict, target: Target) -> str | None:
    """The error class of one answered (or failed) request, None when it is as expected."""
    if record["error"] == "timeout":
        return "timeout"
    if record["error"] or not record["status"]:
        return "connection error"
    status = record["status"]
    if status >= 500:
        return "HTTP 5xx"
    if status not in target.expect:
        return "unexpected HTTP 4xx" if 400 <= status < 500 else "unexpected status"
    if record.get("unsafe"):
        return "unsafe body"
    if record.get("broken"):
        return "broken body"
    if record.get("unavailable"):
        return "search unavailable"
    return None


def _errors(records: list[dict], targets: list[Target]) -> tuple[Counter, list[dict]]:
    counts: Counter = Counter()
    examples: dict[tuple, dict] = {}
    for record in records:
        target = targets[record["target"]]
        problem = classify(record, target)
        if problem is None:
            continue
        counts[problem] += 1
        key = (target.path, record["status"], problem)
        if key in examples:
            examples[key]["count"] += 1
        elif len(examples) < 30:
            examples[key] = {
                "error": problem,
                "kind": target.kind,
                "label": target.label,
                "url": target.path if len(target.path) <= 160 else target.path[:160] + "...",
                "status": record["status"],
                "detail": record["error"] or record.get("unsafe") or record.get("broken") or "",
                "expected": list(target.expect),
                "count": 1,
            }
    return counts, list(examples.values())


def summarize(client: dict, targets: list[Target], weights: dict[str, int],
              order: list[int]) -> dict:
    """The figures of one run from the client's records (`order`: the timed run's targets)."""
    load = client["records"]
    coverage = client["coverage"]
    coverage_errors, coverage_examples = _errors(coverage, targets)
    load_errors, load_examples = _errors(load, targets)
    skipped = sum(client["skipped"].values())
    if skipped:
        load_errors["not sent (backlog)"] = skipped
    kinds: dict[str, dict] = {}
    for kind in weights:
        answered = [r for r in load if targets[r["target"]].kind == kind and r["status"]]
        summary = summarize_ms([r["ms"] for r in answered])
        summary["service_p50"] = summarize_ms([r["service_ms"] for r in answered])["p50"]
        summary["scheduled"] = sum(1 for i in order if targets[i].kind == kind)
        summary["skipped"] = client["skipped"].get(kind, 0)
        summary["statuses"] = dict(sorted(Counter(str(r["status"]) for r in load
                                                  if targets[r["target"]].kind == kind).items()))
        summary["errors"] = sum(1 for r in load if targets[r["target"]].kind == kind
                                and classify(r, targets[r["target"]]))
        summary["degraded"] = sum(1 for r in answered if r["degraded"])
        kinds[kind] = summary
    answered = [r for r in load if r["status"]]
    overall = summarize_ms([r["ms"] for r in answered])
    seconds = client["seconds"]
    slowest: dict[str, float] = {}
    for record in answered:
        label = f"{targets[record['target']].kind}: {targets[record['target']].label}"
        slowest[label] = max(slowest.get(label, 0.0), record["ms"])
    total = sum(weights.values())
    return {
        "seconds": seconds,
        "scheduled": client["scheduled"],
        "sent": client["scheduled"] - skipped,
        "skipped": skipped,
        "completed": len(answered),
        "throughput": len(answered) / seconds if seconds else 0.0,
        "overall": overall,
        "kinds": kinds,
        "mix": {
            kind: {
                "share": weight / total,
                "urls": sum(1 for t in targets if t.kind == kind),
                "what": KIND_TEXT.get(kind, kind),
            }
            for kind, weight in weights.items()
        },
        "errors": dict(load_errors),
        "error_examples": load_examples,
        "coverage": {
            "requests": len(coverage),
            "seconds": client.get("coverage_seconds"),
            "errors": dict(coverage_errors),
            "error_examples": coverage_examples,
            "degraded": sum(1 for r in coverage if r["degraded"]),
        },
        "error_count": sum(load_errors.values()) + sum(coverage_errors.values()),
        "degraded": sum(1 for r in load if r["degraded"]),
        "slowest": sorted(slowest.items(), key=lambda kv: -kv[1])[:8],
    }


def _ms(value) -> str:
    if value is None or value != value:  # NaN: nothing answered
        return "-"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _mb(value) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _table(headers: list[str], rows: list[list]) -> list[str]:
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        # The first column and a last, free-text column left-aligned; numbers right-aligned.
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            left = i == 0 or (i == len(cells) - 1 and not cell.replace(",", "").isdigit())
            out.append(cell.ljust(width) if left else cell.rjust(width))
        return "  ".join(out).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def render(result: dict) -> str:
    """The printed report."""
    s = result["summary"]
    server = result["server"]
    corpus = result["corpus"]
    lines = [
        f"== Load test: gunicorn, {server['workers']} sync workers on 127.0.0.1, "
        f"{result['rate']:g} requests/s for {result['seconds']:g} s ==",
        f"corpus: {corpus.get('items', 0):,} items, {corpus.get('letters', 0):,} letters "
        f"({corpus['data_dir']})",
        f"server: gunicorn {server.get('version', '')} --workers {server['workers']} --timeout "
        f"{server['timeout']} --limit-request-line {server['limit_request_line']} "
        f"({server['limit_note']}); rate limiter on, IMR_RATE_LIMIT={server['rate_limit']:,} "
        "a minute",
        f"client: a separate process (pid {result['client_pid']}), open loop, latency from each "
        f"request's scheduled time, {result['timeout']:g} s timeout, at most "
        f"{result['max_in_flight']} waiting at once",
        "load average: start {:.2f} {:.2f} {:.2f}, end {:.2f} {:.2f} {:.2f}, highest 1-minute "
        "seen {:.2f}".format(*result["load_start"], *result["load_end"], result["load_max"]),
        f"machine: {result['machine']}",
        "",
        "== Mix (share of the timed requests; distinct URLs) ==",
        *_table(["kind", "share", "URLs", "what"],
                [[k, f"{m['share']:.0%}", m["urls"], m["what"]] for k, m in s["mix"].items()]),
    ]
    if not result.get("item_similar"):
        lines.append("(no per-item similar page in this build: reverse('item-similar') failed)")
    cov = s["coverage"]
    lines += [
        "",
        f"coverage pass (every hostile URL and one URL of every other kind, once, before the "
        f"timed run): {cov['requests']} requests in {cov['seconds'] or 0:.1f} s, "
        f"{sum(cov['errors'].values())} errors",
        "",
        "== Timed run ==",
        f"duration {s['seconds']:.1f} s; requests scheduled {s['scheduled']:,}, sent "
        f"{s['sent']:,}, completed {s['completed']:,}, not sent (backlog) {s['skipped']:,}",
        f"throughput: {s['throughput']:.2f} completed/s",
        "",
        "== Latency by kind (ms from the scheduled time; answered requests) ==",
    ]
    rows = []
    for kind, k in s["kinds"].items():
        statuses = ", ".join(f"{code}: {n}" for code, n in k["statuses"].items()) or "-"
        rows.append([kind, f"{k['count']:,}", _ms(k["p50"]), _ms(k["p95"]), _ms(k["p99"]),
                     _ms(k["max"]), _ms(k["service_p50"]), k["errors"], statuses])
    o = s["overall"]
    rows.append(["all", f"{o['count']:,}", _ms(o["p50"]), _ms(o["p95"]), _ms(o["p99"]),
                 _ms(o["max"]), "", sum(k["errors"] for k in s["kinds"].values()), ""])
    lines += _table(["kind", "answered", "p50", "p95", "p99", "max", "service p50", "errors",
                     "statuses"], rows)
    lines.append("(service p50: from the request leaving the client, without time spent waiting "
                 "to be sent)")
    if s["degraded"] or cov["degraded"]:
        lines.append(f"answers with the search time-limit notice (200, results incomplete): "
                     f"{s['degraded']} timed, {cov['degraded']} coverage")
    lines += ["", "== Errors =="]
    all_errors = Counter(s["errors"]) + Counter(cov["errors"])
    if not all_errors:
        lines.append("none: no 5xx, no connection error or timeout, no unexpected 4xx, no "
                     "unescaped payload")
    else:
        lines += _table(["error", "timed run", "coverage"],
                        [[e, s["errors"].get(e, 0), cov["errors"].get(e, 0)]
                         for e in ERROR_CLASSES if all_errors.get(e)])
        if s["skipped"]:
            lines.append(f"(not sent: {s['skipped']:,} requests came due while "
                         f"{result['max_in_flight']} were already waiting, i.e. the server did "
                         f"not keep up with {result['rate']:g} requests/s; counted as errors)")
        examples = [*cov["error_examples"], *s["error_examples"]]
        if examples:
            lines += ["", "failed URLs (error: kind, label, status, expected, count; URL):"]
        for example in examples[:20]:
            lines.append(f"- {example['error']}: {example['kind']}, {example['label']}, "
                         f"status {example['status']} (expected "
                         f"{'/'.join(map(str, example['expected']))}), x{example['count']}"
                         f"{', ' + example['detail'] if example['detail'] else ''}")
            lines.append(f"  {example['url']}")
    lines += ["", "== Slowest URLs (ms, worst answer) =="]
    lines += [f"{ms:>8,.0f}  {label}" for label, ms in s["slowest"]]
    lines += ["", "== Memory (MB) =="]
    memory_rows = [[name, m["pid"], _mb(m["rss_mb"]), _mb(m["peak_rss_mb"])]
                   for name, m in result["memory"].items()]
    lines += _table(["process", "pid", "RSS at end", "peak RSS (VmHWM)"], memory_rows)
    restarts = result["worker_restarts"]
    lines.append(f"worker processes seen: {len(result['worker_pids_seen'])} for "
                 f"{server['workers']} workers ({restarts} restarted)")
    log = result["gunicorn_log"]
    lines.append(f"gunicorn log ({log['path']}): {log['problems']} worker timeouts, worker "
                 "errors or Internal Server Error lines")
    lines += [f"  {line}" for line in log["first"]]
    failed = s["error_count"] - s["skipped"]
    lines += ["", f"result: {'PASS' if s['error_count'] == 0 else 'FAIL'}: {failed:,} failed "
              f"requests, {s['skipped']:,} not sent"]
    return "\n".join(lines) + "\n"


# --- The run (command side) ---------------------------------------------------------------


class LoadTestError(RuntimeError):
    """The run could not be made (setup failed, the client died): no figures."""


class GunicornDidNotStart(LoadTestError):
    pass


def item_similar_url() -> Callable[[str, int], str] | None:
    """The per-item similar page's URL maker, when this build has the page."""
    from django.urls import NoReverseMatch, reverse

    makers = (
        lambda i, n: reverse("item-similar", args=[i, n]),
        lambda i, n: reverse("item-similar", kwargs={"public_id": i, "ordinal": n}),
    )
    for make in makers:
        try:
            make("X", 1)
        except NoReverseMatch:
            continue
        return make
    return None


def _read_only(database) -> object:
    import sqlite3

    return sqlite3.connect(f"file:{database}?mode=ro", uri=True)


def sample_items(database, count: int = 200) -> list[tuple[str, int]]:
    connection = _read_only(database)
    try:
        rows = connection.execute(
            "SELECT l.public_id, d.ordinal FROM search_determination d "
            "JOIN search_letter l ON l.id = d.letter_id ORDER BY (d.id * 7919) % 10007 LIMIT ?",
            (count,),
        ).fetchall()
    finally:
        connection.close()
    return [(public_id, ordinal) for public_id, ordinal in rows]


def corpus_words(database, seed: int = 0, count: int = 8) -> list[str]:
    """A few words that occur in the corpus's requests, picked at random (with `seed`)."""
    connection = _read_only(database)
    try:
        rows = connection.execute(
            "SELECT request FROM search_determination ORDER BY (id * 104729) % 10007 LIMIT 400"
        ).fetchall()
    finally:
        connection.close()
    counts = Counter(w for (text,) in rows for w in re.findall(r"[a-z]{5,}", text.lower()))
    candidates = sorted(w for w, n in counts.items() if n >= 2)
    return random.Random(seed).sample(candidates, min(count, len(candidates)))


def facet_values(port: int, path: str, per_facet: int = 3, timeout: float = 60.0) -> dict:
    """Values of every facet from a real /api/search answer, so the clicks select real values."""
    answer = fetch(port, Target("setup", path, "setup"), timeout)
    if answer.status != 200:
        raise LoadTestError(
            f"{path} answered {answer.status or answer.error} while setting up the mix"
        )
    facets = json.loads(answer.body)["facets"]
    return {
        name: [v["value"] for v in values if v.get("count")][:per_facet]
        for name, values in facets.items()
        if values
    }


def _without_nan(value):
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _without_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nan(v) for v in value]
    return value


def _gunicorn_log(path) -> dict:
    from pathlib import Path

    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    # Worker timeouts and crashes (gunicorn) and server errors (Django's request logger). Django
    # also logs 404s ("Not Found") and the deliberate 400 for too many fields (with a traceback,
    # django.security): expected here, so not counted.
    problems = [line for line in lines
                if "[ERROR]" in line or "[CRITICAL]" in line
                or line.startswith("Internal Server Error")]
    return {"path": str(path), "lines": len(lines), "problems": len(problems),
            "first": [line[:200] for line in problems[:15]]}


def _gunicorn_version() -> str:
    try:
        import gunicorn

        return gunicorn.__version__
    except ImportError:
        return ""


def run(
    *,
    data_dir,
    items: int,
    seed: int,
    workers: int,
    seconds: float,
    rate: float,
    timeout: float,
    worker_timeout: int,
    limit_request_line: int,
    max_in_flight: int | None = None,
    log=print,
) -> dict:
    """Build or reuse the corpus, serve it with gunicorn, load it from a client process."""
    import subprocess
    from pathlib import Path

    from django.conf import settings

    from benchmarks import datadir, httpload
    from benchmarks.phases import query_set_for_database
    from benchmarks.runner import Runner, machine_summary

    data_dir = Path(data_dir).resolve()
    runner = Runner(data_dir=data_dir, items=items, letters=0, seed=seed, rounds=1,
                    peer_rounds=1, log=log)
    manifest = runner.corpus(rebuild=False)
    app = datadir.app_dir(data_dir)
    database = app / "imr.sqlite3"
    project_dir = Path(settings.BASE_DIR)
    python = sys.executable
    work = data_dir / "loadtest"
    work.mkdir(exist_ok=True)
    log_path = work / "gunicorn.log"
    log_path.unlink(missing_ok=True)
    rate_limit = int(httpload._server_environment(app)["IMR_RATE_LIMIT"])
    if rate * 60 >= rate_limit:
        raise ValueError(f"--rate {rate:g} is over the server's rate limit ({rate_limit}/min)")
    max_in_flight = max_in_flight or max(40, int(rate * 2))
    load_start = os.getloadavg()
    log(f"Starting gunicorn ({workers} workers) on {database.parent}")
    try:
        server = httpload.start_gunicorn(
            app, project_dir, python, workers, timeout=worker_timeout,
            limit_request_line=limit_request_line, log_file=log_path,
        )
    except (RuntimeError, OSError) as exc:
        raise GunicornDidNotStart(f"gunicorn did not start: {exc} (log: {log_path})") from exc
    memory: dict[int, dict] = {}
    names: dict[int, str] = {}
    load_max = load_start[0]
    try:
        queries = query_set_for_database(database)
        make_similar = item_similar_url()
        inputs = MixInputs(
            queries=queries,
            words=corpus_words(database, seed),
            facets=facet_values(server.port, "/api/search"),
            query_facets=facet_values(server.port, "/api/search?q=pain"),
            facet_query="pain",
            letter_ids=httpload.sample_letter_ids(database),
            items=sample_items(database),
            item_similar=make_similar,
            case_number=next((q.q for q in queries if q.kind == "case"), ""),
            limit_request_line=limit_request_line,
        )
        targets = build_targets(inputs)
        order = sequence(targets, int(rate * seconds), seed)
        weights = effective_weights(targets)
        plan = {
            "port": server.port,
            "rate": rate,
            "timeout": timeout,
            "max_in_flight": max_in_flight,
            "coverage_concurrency": workers,
            "targets": [t.as_json() for t in targets],
            "coverage": coverage_indexes(targets),
            "sequence": order,
        }
        plan_path = work / "plan.json"
        out_path = work / "client.json"
        out_path.unlink(missing_ok=True)
        plan_path.write_text(json.dumps(plan))
        log(f"Load: {len(targets)} URLs, {len(plan['coverage'])} in the coverage pass, then "
            f"{len(order):,} requests at {rate:g}/s for {seconds:g} s from a client process")
        client = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [python, "-m", "benchmarks.loadtest", "client", "--plan", str(plan_path),
             "--out", str(out_path)],
            cwd=project_dir,
        )
        try:
            deadline = time.monotonic() + seconds * 2 + len(plan["coverage"]) * timeout + 120
            while client.poll() is None:
                for name, info in server.memory_mb().items():
                    memory[info["pid"]] = info
                    names[info["pid"]] = name
                load_max = max(load_max, os.getloadavg()[0])
                if time.monotonic() > deadline:
                    client.kill()
                    client.wait()
                    raise LoadTestError("the load client did not finish in time")
                time.sleep(2)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
        if client.returncode != 0 or not out_path.exists():
            raise LoadTestError(f"the load client failed (exit {client.returncode})")
        final = server.memory_mb()
    finally:
        server.stop()
    load_end = os.getloadavg()
    result_of_client = json.loads(out_path.read_text())
    for name, info in final.items():
        memory[info["pid"]] = info
        names[info["pid"]] = name
    worker_pids = sorted(pid for pid, name in names.items() if name != "master")
    live = {info["pid"] for info in final.values()}
    memory_table = {name: info for name, info in final.items()}
    for pid in worker_pids:
        if pid not in live:
            memory_table[f"gone (pid {pid})"] = memory[pid]
    build = manifest["build"]
    summary = summarize(result_of_client, targets, weights, order)
    limit = effective_line_limit(limit_request_line)
    return _without_nan({
        "machine": machine_summary()["summary"],
        "corpus": {"items": build["items"], "letters": build["letters"], "seed": seed,
                   "data_dir": str(data_dir)},
        "rate": rate,
        "seconds": seconds,
        "timeout": timeout,
        "max_in_flight": max_in_flight,
        "server": {
            "version": _gunicorn_version(),
            "workers": workers,
            "timeout": worker_timeout,
            "limit_request_line": limit_request_line,
            "limit_note": (
                "no limit: the only setting that admits a 10,000-character query, since "
                f"gunicorn clamps values above {GUNICORN_MAX_LINE} to {GUNICORN_MAX_LINE}"
                if not limit else f"request lines over {limit} get gunicorn's 414, expected"
            ),
            "rate_limit": rate_limit,
        },
        "client_pid": result_of_client["pid"],
        "item_similar": make_similar is not None,
        "load_start": list(load_start),
        "load_end": list(load_end),
        "load_max": load_max,
        "summary": summary,
        "memory": memory_table,
        "worker_pids_seen": worker_pids,
        "worker_restarts": max(0, len(worker_pids) - workers),
        "gunicorn_log": _gunicorn_log(log_path),
    })


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the load test's client process")
    sub = parser.add_subparsers(dest="command", required=True)
    client = sub.add_parser("client")
    client.add_argument("--plan", required=True)
    client.add_argument("--out", required=True)
    arguments = parser.parse_args(argv)
    return client_main(arguments.plan, arguments.out)


if __name__ == "__main__":
    sys.exit(main())
