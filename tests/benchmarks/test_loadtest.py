"""The load test's machinery: the mix, the error classification and the figures, plus one short
real run against gunicorn on a tiny corpus. The five-minute run itself is `manage.py loadtest`,
not a test: no timing is checked here."""

from __future__ import annotations

import io
import json
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import resolve

from benchmarks.hostile import HOSTILE_QUERIES
from benchmarks.loadtest.client import Answer, BodyCheck, body_problems
from benchmarks.loadtest.plan import (
    DEFAULT_LIMIT_REQUEST_LINE,
    KIND_TEXT,
    KIND_WEIGHTS,
    UNLIMITED_LINE_CAP,
    MixInputs,
    Target,
    build_targets,
    coverage_indexes,
    effective_line_limit,
    effective_weights,
    kind_schedule,
    request_line_length,
    sequence,
)
from benchmarks.loadtest.report import render
from benchmarks.loadtest.server import item_similar_url
from benchmarks.loadtest.summary import classify, summarize
from benchmarks.queries import mixed_queries

LETTERS = [f"SY16-{n:07d}" for n in range(1, 21)]
FACETS = {
    "outcome": ["upheld", "overturned"],
    "category": ["Pharmaceuticals", "Physical Medicine", "Injection"],
    "specialty": ["Psychiatry", "Orthopedic Surgery"],
    "source": ["MTUS", "ODG"],
    "year": ["2016", "2020"],
    "priority": ["Standard"],
}
URL_NAMES = {
    "search": {"search"},
    "facet": {"search"},
    "letter": {"letter"},
    "item-similar": {"item-similar"},
    "api": {"api-search", "api-letter", "api-similar"},
    "feed": {"search-feed"},
    "csv": {"search-csv"},
}


def mix_inputs(limit_request_line: int = DEFAULT_LIMIT_REQUEST_LINE, similar=True):
    return MixInputs(
        queries=mixed_queries(LETTERS[3]),
        words=["oxycodone", "gabapentin", "lumbar", "sessions"],
        facets=FACETS,
        query_facets={"category": ["Pharmaceuticals"], "outcome": ["overturned"]},
        facet_query="pain",
        letter_ids=LETTERS,
        items=[(letter, ordinal) for letter in LETTERS for ordinal in (1, 2)],
        item_similar=item_similar_url() if similar else None,
        case_number=LETTERS[3],
        limit_request_line=limit_request_line,
    )


def query_values(path: str, name: str = "q") -> list[str]:
    return [v for k, v in parse_qsl(urlsplit(path).query, keep_blank_values=True) if k == name]


def test_weights_add_up_and_every_kind_is_described():
    assert sum(KIND_WEIGHTS.values()) == 100
    assert set(KIND_TEXT) == set(KIND_WEIGHTS)


def test_the_mix_has_every_kind_in_its_stated_share():
    targets = build_targets(mix_inputs())
    weights = effective_weights(targets)
    expected = set(KIND_WEIGHTS)
    if item_similar_url() is None:
        expected.discard("item-similar")
    assert set(weights) == expected
    rounds = 7
    order = sequence(targets, sum(weights.values()) * rounds, seed=1)
    counts = Counter(targets[i].kind for i in order)
    assert counts == {kind: weight * rounds for kind, weight in weights.items()}
    # Each kind's URLs are used in turn, not one URL over and over.
    searches = [targets[i].path for i in order if targets[i].kind == "search"]
    assert len(set(searches)) == min(len(searches), sum(t.kind == "search" for t in targets))


def test_a_build_without_the_similar_page_leaves_that_kind_out():
    targets = build_targets(mix_inputs(similar=False))
    assert "item-similar" not in effective_weights(targets)
    order = sequence(targets, 95 * 2)
    assert Counter(targets[i].kind for i in order)["search"] == 2 * 25


def test_kind_schedule_spreads_each_kind_out():
    order = kind_schedule({"a": 3, "b": 1}, 12)
    assert order.count("b") == 3
    assert "b b" not in " ".join(order)
    assert kind_schedule({"a": 1, "b": 0}, 3) == ["a", "a", "a"]


def test_every_url_is_valid_and_resolves_to_its_kind():
    targets = build_targets(mix_inputs())
    assert len({t.path for t in targets if t.kind != "hostile"}) > 100
    for target in targets:
        path = target.path
        # http.client sends the path as it is: it must be ASCII without spaces or controls.
        assert path.isascii() and all(0x20 < ord(ch) < 0x7F for ch in path), path[:80]
        if 404 in target.expect:
            continue  # an unknown letter, or a payload in a letter's address
        match = resolve(unquote(urlsplit(path).path))
        if target.kind in URL_NAMES:
            assert match.url_name in URL_NAMES[target.kind], (target.kind, path[:80])
            assert target.expect == (200,)
        assert target.expect
    facet_clicks = [t for t in targets if t.kind == "facet"]
    assert any(t.headers for t in facet_clicks) and any(not t.headers for t in facet_clicks)
    # Facet values come from the answer the mix was given, and one is ticked on a query.
    values = {v for t in facet_clicks for v in query_values(t.path, "category")}
    assert values <= set(FACETS["category"])
    assert any(query_values(t.path) == ["pain"] and query_values(t.path, "category")
               for t in facet_clicks)


def test_the_hostile_catalogue_is_all_in_the_mix():
    hostile = [t for t in build_targets(mix_inputs()) if t.kind == "hostile"]
    for base in ("/", "/api/search", "/feeds/search/"):
        sent = {v for t in hostile if urlsplit(t.path).path == base for v in query_values(t.path)}
        for query in HOSTILE_QUERIES:
            assert query in sent, (base, query[:40])
    script = next(t for t in hostile if urlsplit(t.path).path == "/"
                  and query_values(t.path) == ["<script>alert(1)</script>"])
    assert "<script>alert(1)</script>" in script.forbid
    assert any(t.expect == (404,) for t in hostile)
    assert any(t.expect == (400,) for t in hostile)  # more fields than Django parses
    assert any(len(query_values(t.path, "outcome")) == 1000 for t in hostile)


@pytest.mark.parametrize("limit", [0, 4094, 8190, 16384])
def test_hostile_urls_fit_the_line_limit_or_expect_414(limit):
    targets = build_targets(mix_inputs(limit_request_line=limit))
    effective = effective_line_limit(limit)
    assert effective == (0 if limit == 0 else min(limit, 8190))
    long_query = [t for t in targets if query_values(t.path) == ["x" * 10_000]]
    assert long_query
    for target in targets:
        length = request_line_length(target.path)
        if effective and length > effective:
            assert target.expect == (414,), target.label
        else:
            assert length < (effective or UNLIMITED_LINE_CAP)
            assert target.expect != (414,)
    if limit == 0:
        # No limit: the 10,000-character query reaches the site, which must answer 200.
        assert all(t.expect == (200,) for t in long_query)
    else:
        assert all(t.expect == (414,) for t in long_query)


def test_coverage_pass_has_every_hostile_url_and_each_kind():
    targets = build_targets(mix_inputs())
    chosen = [targets[i] for i in coverage_indexes(targets)]
    assert {t.kind for t in chosen} == {t.kind for t in targets}
    assert sum(t.kind == "hostile" for t in chosen) == sum(t.kind == "hostile" for t in targets)


def record(target=0, status=200, ms=10.0, error="", unsafe="", broken="", unavailable=False,
           degraded=False):
    return {"target": target, "status": status, "error": error, "ms": ms, "service_ms": ms,
            "bytes": 100, "unsafe": unsafe, "broken": broken, "unavailable": unavailable,
            "degraded": degraded}


@pytest.mark.parametrize(
    ("fields", "expect", "problem"),
    [
        ({}, (200,), None),
        ({"status": 500}, (200,), "HTTP 5xx"),
        ({"status": 502}, (200,), "HTTP 5xx"),
        ({"status": 0, "error": "timeout"}, (200,), "timeout"),
        ({"status": 0, "error": "connection: ConnectionResetError"}, (200,), "connection error"),
        ({"status": 404}, (404,), None),
        ({"status": 404}, (200,), "unexpected HTTP 4xx"),
        ({"status": 400}, (400,), None),
        ({"status": 429}, (200,), "unexpected HTTP 4xx"),
        ({"status": 302}, (200,), "unexpected status"),
        ({"status": 200}, (404,), "unexpected status"),
        ({"status": 414}, (414,), None),
        ({"unsafe": "unescaped '<script>'"}, (200,), "unsafe body"),
        ({"broken": "invalid JSON"}, (200,), "broken body"),
        ({"unavailable": True}, (200,), "search unavailable"),
        ({"degraded": True}, (200,), None),
    ],
)
def test_error_classification(fields, expect, problem):
    target = Target("search", "/?q=x", "x", expect=expect)
    assert classify(record(**fields), target) == problem


def answer(body: str, content_type: str, status: int = 200):
    return Answer(status, "", content_type, body.encode(), 1.0)


def test_bodies_are_checked_for_raw_payloads_and_unsafe_snippets():
    check = body_problems
    clean = BodyCheck()
    target = Target("hostile", "/?q=x", "x", forbid=("<script>alert(1)</script>",))
    escaped = answer("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "text/html; charset=utf-8")
    raw = answer("<p><script>alert(1)</script></p>", "text/html; charset=utf-8")
    assert check(target, escaped) == clean
    assert check(target, raw).unsafe.startswith("unescaped")
    assert check(target, answer("<f><script>alert(1)</script></f>", "application/atom+xml")).unsafe
    # JSON may carry the query as a string; only snippets are HTML, and only <mark> is allowed.
    good = json.dumps({"query": "<script>alert(1)</script>",
                       "results": [{"snippet_html": "a <mark>knee</mark> brace"}]})
    bad = json.dumps({"results": [{"snippet_html": "<b>knee</b>"}]})
    assert check(target, answer(good, "application/json")) == clean
    assert "snippet" in check(target, answer(bad, "application/json")).unsafe
    assert check(target, answer("{oops", "application/json")).broken == "invalid JSON"
    notice = answer('<p class="notice">The search took too long: showing ...</p>', "text/html")
    assert check(target, notice) == BodyCheck(degraded=True)
    down = answer("<p>Search is unavailable: no index</p>", "text/html")
    assert check(target, down) == BodyCheck(unavailable=True)


def test_a_csv_export_cut_short_is_caught():
    head = "# IMR precedent search export: 2 of 9 matching items; capped at 5000 rows\r\n"
    rows = 'letter_id,request\r\nSY1,"two\r\nlines"\r\nSY2,knee\r\n'
    csv_target = Target("csv", "/export/search.csv?q=a", "a")
    whole = answer(head + rows, "text/csv; charset=utf-8")
    cut = answer(head + rows[:30], "text/csv; charset=utf-8")
    assert body_problems(csv_target, whole) == BodyCheck()
    assert "1 rows where its first line says 2" in body_problems(csv_target, cut).broken


def test_summary_percentiles_errors_and_throughput():
    targets = [Target("search", "/?q=a", "a"), Target("hostile", "/letters/x/", "x",
                                                       expect=(404,))]
    records = [record(0, ms=float(ms)) for ms in range(1, 101)]
    records += [record(1, status=404, ms=5.0), record(1, status=500, ms=7.0),
                record(0, status=0, error="timeout", ms=15000.0)]
    client = {"records": records, "coverage": [record(1, status=200)], "coverage_seconds": 1.0,
              "skipped": {"search": 3}, "seconds": 10.0, "scheduled": 106}
    order = [0] * 104 + [1] * 2
    summary = summarize(client, targets, {"search": 50, "hostile": 50}, order)
    search = summary["kinds"]["search"]
    # Nearest rank over the 100 answered searches (the timeout has no answer).
    assert (search["count"], search["p50"], search["p95"], search["p99"], search["max"]) == (
        100, 50.0, 95.0, 99.0, 100.0)
    assert search["skipped"] == 3 and search["scheduled"] == 104 and search["errors"] == 1
    assert summary["kinds"]["hostile"]["statuses"] == {"404": 1, "500": 1}
    assert summary["errors"] == {"HTTP 5xx": 1, "timeout": 1, "not sent (backlog)": 3}
    assert summary["coverage"]["errors"] == {"unexpected status": 1}
    assert summary["error_count"] == 6
    assert (summary["sent"], summary["completed"]) == (103, 102)
    assert summary["throughput"] == pytest.approx(10.2)
    assert summary["mix"]["search"]["share"] == 0.5


def fabricated_result(summary: dict) -> dict:
    return {
        "machine": "2 CPUs", "corpus": {"items": 300, "letters": 120, "data_dir": "/tmp/x"},
        "rate": 5.0, "seconds": 4.0, "timeout": 15.0, "max_in_flight": 40,
        "server": {"version": "23", "workers": 2, "timeout": 30, "limit_request_line": 0,
                   "limit_note": "no limit", "rate_limit": 1_000_000},
        "client_pid": 1, "item_similar": True, "load_start": [1.0, 1.0, 1.0],
        "load_end": [2.0, 2.0, 2.0], "load_max": 2.5, "summary": summary,
        "memory": {"master": {"pid": 1, "rss_mb": 20.0, "peak_rss_mb": 21.0},
                   "worker 1": {"pid": 2, "rss_mb": None, "peak_rss_mb": 150.0}},
        "worker_pids_seen": [2], "worker_restarts": 0,
        "gunicorn_log": {"path": "/tmp/g.log", "lines": 0, "problems": 0, "first": []},
    }


def test_report_prints_every_figure():
    targets = [Target("search", "/?q=a", "a"), Target("hostile", "/?q=%00", "nul")]
    client = {"records": [record(0), record(1, status=500)], "coverage": [],
              "coverage_seconds": 0.5, "skipped": {}, "seconds": 4.0, "scheduled": 2}
    summary = summarize(client, targets, {"search": 1, "hostile": 1}, [0, 1])
    text = render(fabricated_result(summary))
    for part in ("== Mix", "coverage pass", "== Timed run ==", "throughput: 0.50 completed/s",
                 "== Latency by kind", "p95", "== Errors ==", "HTTP 5xx", "/?q=%00",
                 "== Memory (MB) ==", "peak RSS (VmHWM)", "load average: start 1.00",
                 "result: FAIL"):
        assert part in text, part


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    if not (Path(sys.executable).parent / "gunicorn").exists():
        pytest.skip("gunicorn is not installed in this environment (pip install '.[prod]')")
    data_dir = tmp_path_factory.mktemp("loadtest")
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("loadtest", items=300, seed=5, data_dir=data_dir, seconds=5, rate=5,
                     workers=2, json=True, stdout=out, stderr=err)
    except CommandError as exc:
        if exc.returncode == 2:
            pytest.skip(f"gunicorn could not start here: {exc}")
        if not out.getvalue():
            raise
    return json.loads(out.getvalue()), data_dir


def test_a_short_real_run_has_no_errors_and_answers_every_kind(real_run):
    result, data_dir = real_run
    summary = result["summary"]
    problems = summary["error_examples"] + summary["coverage"]["error_examples"]
    assert summary["error_count"] == 0, problems
    assert summary["scheduled"] == 25 and summary["completed"] == 25
    for kind, figures in summary["kinds"].items():
        assert figures["count"] >= 1, kind
        assert figures["count"] == figures["scheduled"], kind
    assert set(summary["kinds"]) == set(summary["mix"])
    assert summary["coverage"]["requests"] > len(HOSTILE_QUERIES) * 3
    # Memory of the master and both workers, and the corpus built in the tmp folder.
    assert {"master", "worker 1", "worker 2"} <= set(result["memory"])
    assert result["worker_restarts"] == 0
    assert result["corpus"]["items"] >= 300
    assert (data_dir / "app" / "imr.sqlite3").exists()
    assert result["gunicorn_log"]["problems"] == 0


def test_the_command_refuses_a_folder_without_a_finished_corpus(tmp_path):
    (tmp_path / "app").mkdir()
    with pytest.raises(CommandError, match="no finished corpus"):
        call_command("loadtest", items=300, data_dir=tmp_path, stdout=io.StringIO())
