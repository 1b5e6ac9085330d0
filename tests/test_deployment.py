"""The production set-up of DEPLOYMENT.md, started as written there, driven over sockets.

Fifty slow clients (each trickling one header line a second, reconnecting when dropped) must not
stop searches from answering within a few seconds. The gunicorn command is read from
DEPLOYMENT.md and nginx includes deploy/nginx-imr.conf, so what is tested is what is documented;
only the addresses and the control socket's place are the test's own.
"""

from __future__ import annotations

import http.client
import os
import select
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from search.letters.synthetic import write_corpus
from tests.manage_process import PROJECT, manage_env, migrated_data_dir, run_manage

SLOW_CLIENTS = 50
SLOW_SECONDS = 12.0
ANSWER_WITHIN = 5.0  # seconds a search may take while the slow clients hold on
SEARCHES = ("/?q=physical+therapy", "/api/search?q=knee", "/?q=lumbar&outcome=upheld")

pytestmark = pytest.mark.slow  # about 25 s a set-up: start, 12 s of slow clients, stop


def documented_gunicorn_command() -> list[str]:
    """The words of DEPLOYMENT.md's gunicorn command (its one production set-up)."""
    text = (PROJECT / "DEPLOYMENT.md").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line for line in text.splitlines() if ".venv/bin/gunicorn " in line]
    assert len(lines) == 1, f"expected one gunicorn command in DEPLOYMENT.md, found {lines}"
    words = shlex.split(lines[0][lines[0].index(".venv/bin/gunicorn ") :])
    return [sys.executable, "-m", "gunicorn", *words[1:]]


def with_option(words: list[str], option: str, value: str) -> list[str]:
    assert option in words, f"DEPLOYMENT.md's gunicorn command has no {option}"
    at = words.index(option)
    return [*words[: at + 1], value, *words[at + 2 :]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )
    if found is None:
        message = "nginx is not installed (Debian: apt-get install nginx-light)"
        if os.environ.get("CI"):
            pytest.fail(message)  # .ci/run installs it: the set-up must be tested there
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A data folder with 40 synthetic letters stored and indexed."""
    letters = tmp_path_factory.mktemp("deployed-letters")
    write_corpus(letters, 40, seed=51)
    data_dir = migrated_data_dir(tmp_path_factory.mktemp("deployed") / "data")
    ingested = run_manage(data_dir, "ingest", "--json", str(letters))
    assert ingested.returncode == 0, ingested.stderr
    return data_dir


@contextmanager
def running(command: list[str], log: Path, env: dict | None = None):
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def get(port: int, path: str, timeout: float) -> tuple[int, float]:
    """(status, seconds) of one GET on a connection of its own; status 0 if it timed out."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    except (TimeoutError, OSError):
        return 0, time.monotonic() - started
    finally:
        connection.close()


def wait_until_serving(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        if get(port, "/", timeout=5)[0] == 200:
            return
        time.sleep(0.3)
    pytest.fail(f"not serving on port {port}: {log.read_text()[-3000:]}")


class SlowClients:
    """`count` connections that send a request head one header line a second and never finish
    it; a connection the server drops is opened again at once."""

    def __init__(self, port: int, count: int):
        self.port, self.count = port, count
        self.opened = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _connect(self) -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        connection.sendall(b"GET /?q=knee HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self.opened += 1
        return connection

    def _run(self) -> None:
        connections = [self._connect() for _ in range(self.count)]
        line = 0
        while not self.stop.wait(1.0):
            line += 1
            for n, connection in enumerate(connections):
                try:
                    readable, _, _ = select.select([connection], [], [], 0)
                    if readable:  # an answer (408) or a close: the server let go of it
                        raise ConnectionError
                    connection.sendall(b"X-Slow-%d: x\r\n" % line)
                except OSError:
                    connection.close()
                    try:
                        connections[n] = self._connect()
                    except OSError:
                        pass
        for connection in connections:
            connection.close()

    def __enter__(self) -> SlowClients:
        self.thread.start()
        time.sleep(1.5)  # every connection open and trickling before searches start
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def searches_during_slow_clients(port: int, target_port: int) -> list[tuple[int, float]]:
    """Searches on `port`, one every half second, while SLOW_CLIENTS hold `target_port`."""
    answers = []
    with SlowClients(target_port, SLOW_CLIENTS) as slow:
        deadline = time.monotonic() + SLOW_SECONDS
        n = 0
        while time.monotonic() < deadline:
            answers.append(get(port, SEARCHES[n % len(SEARCHES)], timeout=ANSWER_WITHIN * 2))
            n += 1
            time.sleep(0.5)
    assert slow.opened >= SLOW_CLIENTS
    return answers


def test_documented_production_set_up_answers_searches_while_50_slow_clients_hold_on(
    data_dir, tmp_path
):
    nginx = nginx_binary()
    app_port, site_port = free_port(), free_port()
    home, control_socket = tmp_path / "home", tmp_path / "run" / "gunicorn.ctl"
    home.mkdir()
    command = with_option(documented_gunicorn_command(), "--bind", f"127.0.0.1:{app_port}")
    command = with_option(command, "--control-socket", str(control_socket))
    env = manage_env(data_dir, HOME=str(home), IMR_TRUSTED_PROXY_COUNT="1")
    env.pop("XDG_RUNTIME_DIR", None)  # gunicorn's default place when set: the test's is HOME

    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "nginx" / folder).mkdir(parents=True)
    conf = tmp_path / "nginx" / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
worker_processes 1;
pid {tmp_path}/nginx/nginx.pid;
error_log {tmp_path}/nginx/error.log;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/nginx/body;
    proxy_temp_path {tmp_path}/nginx/proxy;
    fastcgi_temp_path {tmp_path}/nginx/fastcgi;
    uwsgi_temp_path {tmp_path}/nginx/uwsgi;
    scgi_temp_path {tmp_path}/nginx/scgi;
    upstream imr_gunicorn {{ server 127.0.0.1:{app_port}; }}
    server {{
        listen 127.0.0.1:{site_port};
        server_name localhost;
        include {PROJECT}/deploy/nginx-imr.conf;
    }}
}}
"""
    )
    gunicorn_log, nginx_log = tmp_path / "gunicorn.log", tmp_path / "nginx.log"
    with (
        running(command, gunicorn_log, env) as gunicorn,
        running([nginx, "-c", str(conf), "-p", str(tmp_path / "nginx")], nginx_log) as proxy,
    ):
        wait_until_serving(site_port, proxy, nginx_log)
        wait_until_serving(app_port, gunicorn, gunicorn_log)
        answers = searches_during_slow_clients(site_port, site_port)
        # gunicorn's control socket is where the command puts it, not in the home folder.
        assert control_socket.is_socket()
        assert not (home / ".gunicorn").exists()

    assert len(answers) >= 10
    assert [status for status, _ in answers] == [200] * len(answers), answers
    assert max(seconds for _, seconds in answers) < ANSWER_WITHIN, answers


def test_the_same_slow_clients_stop_gunicorn_sync_workers_reached_directly(data_dir, tmp_path):
    """Why gunicorn is never reached directly: its sync workers each wait on one slow client
    (and this test's slow clients are slow enough to show it)."""
    port = free_port()
    command = with_option(documented_gunicorn_command(), "--bind", f"127.0.0.1:{port}")
    command = with_option(command, "--workers", "2")
    command = with_option(command, "--control-socket", str(tmp_path / "gunicorn.ctl"))
    log = tmp_path / "gunicorn.log"
    with running(command, log, manage_env(data_dir, HOME=str(tmp_path))) as gunicorn:
        wait_until_serving(port, gunicorn, log)
        with SlowClients(port, 4):
            status, seconds = get(port, SEARCHES[0], timeout=ANSWER_WITHIN)
    assert status == 0 and seconds >= ANSWER_WITHIN
