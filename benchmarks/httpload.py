"""The search site under gunicorn, loaded at a fixed rate from this machine only (127.0.0.1).

The load generator is a small open-loop client: request i is sent at t0 + i / rate whether or
not earlier ones have finished (a closed loop like wrk's would slow down with the server and
hide queueing), and its latency is counted from that scheduled time. Every run is bounded by a
request count and a deadline.
"""

from __future__ import annotations

import http.client
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.datadir import child_environment
from benchmarks.queries import BenchQuery
from benchmarks.stats import process_peak_rss_mb, process_rss_mb, summarize_ms

HOST = "127.0.0.1"  # never anything but this machine
REQUEST_TIMEOUT = 15.0
MAX_IN_FLIGHT = 40  # two seconds of requests at 20/s: more than that waiting means overload


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    workers: int

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def peak_rss_mb(self) -> dict[str, float | None]:
        peaks = {"master": process_peak_rss_mb(self.process.pid)}
        for number, pid in enumerate(self.worker_pids(), start=1):
            peaks[f"worker {number}"] = process_peak_rss_mb(pid)
        return peaks

    def memory_mb(self) -> dict[str, dict]:
        """Current (VmRSS) and peak (VmHWM) resident memory of the master and each live worker."""
        processes = {"master": self.process.pid}
        for number, pid in enumerate(self.worker_pids(), start=1):
            processes[f"worker {number}"] = pid
        return {
            name: {
                "pid": pid,
                "rss_mb": process_rss_mb(pid),
                "peak_rss_mb": process_peak_rss_mb(pid),
            }
            for name, pid in processes.items()
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> tuple[int, float]:
    """One GET on a fresh connection; returns the status and the milliseconds it took."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        connection.close()
    return status, (time.perf_counter() - start) * 1000.0


def _server_environment(app_folder: Path) -> dict[str, str]:
    env = child_environment(app_folder)
    # All the load comes from one address: a limit far above it keeps the rate limiter's work in
    # every request (as in production) without answering 429.
    env["IMR_RATE_LIMIT"] = "1000000"
    return env


def start_gunicorn(
    app_folder: Path,
    project_dir: Path,
    python: str,
    workers: int,
    *,
    timeout: int = 120,
    limit_request_line: int | None = None,
    log_file: Path | None = None,
) -> Server:
    """gunicorn (sync workers) on 127.0.0.1 and a free port, answering once it is up.

    `timeout` is gunicorn's worker timeout; `limit_request_line` its --limit-request-line (None:
    gunicorn's default, 4094; it clamps values above 8190 to 8190, and 0 means no limit);
    `log_file` receives gunicorn's and Django's stderr (default: this process's stderr).
    """
    port = _free_port()
    gunicorn = str(Path(python).parent / "gunicorn")
    command = [gunicorn, "imrsite.wsgi:application", "--workers", str(workers), "--bind",
               f"{HOST}:{port}", "--timeout", str(timeout), "--log-level", "warning"]
    if limit_request_line is not None:
        command += ["--limit-request-line", str(limit_request_line)]
    log = open(log_file, "ab") if log_file is not None else None  # closed once the child has it
    try:
        process = subprocess.Popen(  # noqa: S603 - fixed argument list, our own binary
            command,
            cwd=project_dir,
            env=_server_environment(app_folder),
            stderr=log,
        )
    finally:
        if log is not None:
            log.close()  # the child has its own descriptor
    server = Server(process, port, workers)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        status, _ = get(port, "/api/search?q=pain")
        if status:
            return server
        time.sleep(0.5)
    server.stop()
    raise RuntimeError("gunicorn did not answer within 120 s")


def fixed_rate(port: int, paths: list[str], rate: float, seconds: float) -> dict:
    """GET `paths` in turn at `rate` a second for `seconds`; latency from each scheduled time.

    At most MAX_IN_FLIGHT requests are outstanding: past that the server is overloaded, and a
    request that would have been sent is counted as "skipped" instead of piling up a backlog that
    the server would go on serving long after the run.
    """
    count = int(rate * seconds)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    skipped = 0
    in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)
    lock = threading.Lock()
    start = time.perf_counter() + 0.05

    def one(scheduled: float, path: str) -> None:
        try:
            status, _ = get(port, path)
            elapsed = (time.perf_counter() - scheduled) * 1000.0
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            in_flight.release()

    with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
        for number in range(count):
            scheduled = start + number / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if not in_flight.acquire(blocking=False):
                skipped += 1
                continue
            pool.submit(one, scheduled, paths[number % len(paths)])
    elapsed = time.perf_counter() - start
    summary = summarize_ms(latencies)
    summary.update(
        {
            "rate": rate,
            "seconds": seconds,
            "sent": count - skipped,
            "skipped": skipped,
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "completed_per_second": len(latencies) / elapsed,
        }
    )
    return summary


def search_path(base: str, query: BenchQuery) -> str:
    pairs = [(name, value) for name, values in query.params().items() for value in values]
    return f"{base}?{urlencode(pairs)}" if pairs else base


def sample_letter_ids(database: Path, count: int = 200) -> list[str]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT public_id FROM search_letter ORDER BY (id * 7919) % 10007 LIMIT ?", (count,)
        ).fetchall()
    finally:
        connection.close()
    return [row[0] for row in rows]


def run_load(
    app_folder: Path,
    project_dir: Path,
    python: str,
    queries: list[BenchQuery],
    *,
    workers: int = 2,
    rate: float = 20.0,
    seconds: float = 30.0,
) -> dict:
    server = start_gunicorn(app_folder, project_dir, python, workers)
    try:
        # Which pages exist in this build: the HTML pages if they answer, else the JSON API.
        letter_ids = sample_letter_ids(Path(app_folder) / "imr.sqlite3")
        search_base = "/" if get(server.port, "/?q=pain")[0] == 200 else "/api/search"
        letter_pattern = "/letters/{}/"
        if get(server.port, letter_pattern.format(letter_ids[0]))[0] != 200:
            letter_pattern = "/api/letters/{}"
        # Warm both workers (opening the index is the cold start measured in-process).
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda _: get(server.port, search_path(search_base, queries[0])),
                          range(workers * 4)))
        search_paths = [search_path(search_base, q) for q in queries]
        letter_paths = [letter_pattern.format(i) for i in letter_ids]
        results = {
            "workers": workers,
            "search_url": search_base,
            "letter_url": letter_pattern,
            "search": fixed_rate(server.port, search_paths, rate, seconds),
            "letter": fixed_rate(server.port, letter_paths, rate, seconds),
        }
        results["peak_rss_mb"] = server.peak_rss_mb()
        return results
    finally:
        server.stop()
