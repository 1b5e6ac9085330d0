"""The load test's printed report."""

from __future__ import annotations

from collections import Counter

from benchmarks.loadtest.summary import ERROR_CLASSES


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
