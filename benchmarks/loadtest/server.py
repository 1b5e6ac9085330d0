"""The load test's run, on the command side: build or reuse the corpus, start gunicorn on it,
make the plan from what the server and the database hold, run the client process while
sampling the workers' memory, and gather the figures."""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from benchmarks.loadtest.client import fetch
from benchmarks.loadtest.plan import (
    DEFAULT_LIMIT_REQUEST_LINE,
    GUNICORN_MAX_LINE,
    MixInputs,
    Target,
    build_targets,
    coverage_indexes,
    effective_line_limit,
    effective_weights,
    sequence,
)
from benchmarks.loadtest.summary import summarize


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


def _read_only(database) -> sqlite3.Connection:
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
    limit_request_line: int | None = None,
    max_in_flight: int | None = None,
    log=print,
) -> dict:
    """Build or reuse the corpus, serve it with gunicorn, load it from a client process."""
    from django.conf import settings

    from benchmarks import datadir, httpload
    from benchmarks.queries import query_set_for_database
    from benchmarks.runner import Runner, machine_summary

    if limit_request_line is None:
        limit_request_line = DEFAULT_LIMIT_REQUEST_LINE
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
