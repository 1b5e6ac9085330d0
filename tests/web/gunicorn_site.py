"""The documented gunicorn set-up, started on a free loopback port for tests that drive it over
sockets: a data folder prepared with manage.py, the server's log kept for assertions, and every
start bounded in time."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

PROJECT = Path(__file__).resolve().parents[2]

# DEPLOYMENT.md: gunicorn behind a proxy, bound to the loopback interface.
BEHIND_PROXY = [
    "--timeout",
    "30",
    "--limit-request-line",
    "0",
    "--limit-request-field_size",
    "32768",
]
STAFF_USER, STAFF_PASSWORD = "staff", "pw-staff-123456-horse"


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "IMR_DATA_DIR": str(data_dir), "DJANGO_DEBUG": "0"}
    env.pop("DATABASE_URL", None)  # each server has its own SQLite database in its data folder
    env.update(extra)
    return env


def manage(data_dir: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), *args],
        cwd=PROJECT,
        env=server_env(data_dir, **extra_env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def prepare_data(data_dir: Path, letters: list[Path]) -> Path:
    """A data folder with the database migrated, `letters` ingested and a staff account."""
    data_dir.mkdir(parents=True, exist_ok=True)
    manage(data_dir, "migrate", "--noinput", "-v", "0")
    manage(data_dir, "ingest", "--json", *map(str, letters))
    manage(
        data_dir,
        "createsuperuser",
        "--noinput",
        "--username",
        STAFF_USER,
        "--email",
        "staff@example.org",
        DJANGO_SUPERUSER_PASSWORD=STAFF_PASSWORD,
    )
    return data_dir


def copy_data(source: Path, target: Path) -> Path:
    """A copy of a prepared data folder, so a test's writes stay its own."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("cache"))
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Site:
    port: int
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method: str, path: str, body=None, headers=None, timeout: float = 30):
        """(status, headers, body bytes) of one request on a new connection."""
        connection = self.connection(timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def form_token(self, path: str, cookies: str = "") -> tuple[str, str]:
        """(Cookie header, csrfmiddlewaretoken) from a GET of a page with a form."""
        status, headers, body = self.get(path, headers={"Cookie": cookies} if cookies else {})
        assert status == 200, (path, status)
        jar = SimpleCookie(cookies)
        for line in headers.get_all("Set-Cookie") or []:
            jar.load(line)
        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        return cookie, token.decode()

    def sign_in(self, username: str = STAFF_USER, password: str = STAFF_PASSWORD) -> str:
        """The Cookie header of a signed-in session."""
        cookie, token = self.form_token("/admin/login/")
        form = {"username": username, "password": password, "csrfmiddlewaretoken": token}
        status, headers, _ = self.request(
            "POST",
            "/admin/login/?next=/admin/",
            body=urlencode(form),
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302, status
        jar = SimpleCookie(cookie)
        for line in headers.get_all("Set-Cookie") or []:
            jar.load(line)
        return "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())


@contextlib.contextmanager
def gunicorn(
    data_dir: Path,
    log_dir: Path,
    *,
    workers: int = 2,
    options: list[str] = BEHIND_PROXY,
    start_seconds: float = 60,
    **extra_env: str,
):
    """The site served by gunicorn until the block ends; its log is kept in `log_dir`."""
    port = free_port()
    log_path = log_dir / f"gunicorn-{port}.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "imrsite.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        *options,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT,
            env=server_env(data_dir, **extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group, so a worker stuck in a test's fault is stopped with it.
            start_new_session=True,
        )
    site = Site(port=port, log_path=log_path, process=process)
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            assert process.poll() is None, site.log()
            try:
                status, _, _ = site.get("/static/does-not-exist", timeout=5)
                if status:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer:\n" + site.log()
            time.sleep(0.2)
        yield site
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
