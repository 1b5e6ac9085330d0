"""The load test's client, a process of its own: `python -m benchmarks.loadtest client --plan P
--out O`.

A coverage pass sends every hostile URL and one URL of every other kind once; then the open-loop
timed run sends the plan's sequence at a fixed rate, whether or not earlier requests were
answered. It writes one record per request, with what is wrong with each answer's body. It
imports nothing from Django: it needs only the plan file and the server's port.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import re
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from benchmarks.loadtest.plan import Target

HOST = "127.0.0.1"
ONLY_MARK_TAGS = re.compile(r"<(?!/?mark>)[^>]*>")
UNAVAILABLE = "Search is unavailable"
TIME_LIMIT_NOTICES = ("took too long",)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the load test's client process")
    sub = parser.add_subparsers(dest="command", required=True)
    client = sub.add_parser("client")
    client.add_argument("--plan", required=True)
    client.add_argument("--out", required=True)
    arguments = parser.parse_args(argv)
    return client_main(arguments.plan, arguments.out)
