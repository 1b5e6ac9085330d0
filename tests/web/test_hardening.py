"""What an outside probe broke on the web side, each driven through the real path: the documented
gunicorn set-up over sockets (repeated facet values, a full data disk, early refusal of uploads,
limits counted across worker processes), the test client for the staff pages."""

from __future__ import annotations

import errno
import json
import logging
import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model

from tests.small_disk import mounted_tmpfs
from tests.web.gunicorn_site import STAFF_PASSWORD, STAFF_USER, copy_data, gunicorn, prepare_data

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site_data(tmp_path_factory, letters_dir) -> Path:
    """A data folder with the five seed letters and a staff account, prepared once."""
    seeds = sorted((letters_dir / "seeds").glob("*.txt"))
    return prepare_data(tmp_path_factory.mktemp("site") / "data", seeds)


@pytest.fixture
def data_dir(site_data, tmp_path) -> Path:
    return copy_data(site_data, tmp_path / "data")


def known_specialty(site) -> str:
    status, _, body = site.get("/api/search")
    assert status == 200
    return json.loads(body)["facets"]["specialty"][0]["value"]


# --- 1. Repeated facet values ----------------------------------------------------------------


def test_hundreds_of_facet_values_give_a_page_that_grows_with_the_url_not_its_square(
    data_dir, tmp_path
):
    with gunicorn(data_dir, tmp_path, IMR_RATE_LIMIT="0") as site:
        known = known_specialty(site)
        junk = [str(n) for n in range(559)]
        query = urlencode([("specialty", known)] + [("specialty", value) for value in junk])
        assert len(query) < 8_190  # within gunicorn's request line even without a proxy
        started = time.monotonic()
        status, _, body = site.get(f"/?{query}")
        seconds = time.monotonic() - started
    page = body.decode()
    assert status == 200
    # Was 11.6 MB: 560 chips, each carrying the whole query string twice.
    assert len(body) < 600_000, len(body)
    assert seconds < 5, seconds
    from search.web.views import ACTIVE_FILTER_CHIPS

    assert page.count("Remove filter") == ACTIVE_FILTER_CHIPS
    left_out = 560 - ACTIVE_FILTER_CHIPS
    assert f"{left_out} values matching no items left out of these links" in page
    # The known value comes first, and removing a chip keeps only the values that got one.
    first_chip = page[page.index('class="active-filters"') :].split("</li>")[0]
    assert "Reviewer specialty: " + known.replace("&", "&amp;") in first_chip
    assert first_chip.count("specialty=") <= 2 * (ACTIVE_FILTER_CHIPS - 1)


# --- 2. A full data disk -----------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 64 MB tmpfs, to be filled: a really full disk (see the fault test where none can be
    mounted)."""
    with mounted_tmpfs(tmp_path, 64) as disk:
        yield disk


def fill(folder: Path) -> None:
    with (folder / "filler").open("wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * (1 << 20))
                filler.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        try:
            # Then what a smaller write can still take.
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
        except OSError:
            pass
    assert shutil.disk_usage(folder).free < 64 * 1024


def test_searches_keep_answering_when_the_data_disk_is_full(site_data, small_disk, tmp_path):
    data_dir = copy_data(site_data, small_disk / "data")
    pages = ["/?q=therapy", "/api/search?q=mri", "/feeds/search/?q=mri", "/precedents/?text=pain"]
    with gunicorn(data_dir, tmp_path, IMR_RATE_LIMIT="240") as site:
        status, _, body = site.get("/api/search")
        letter = json.loads(body)["results"][0]["letter_id"]
        pages += [f"/letters/{letter}/", "/export/search.csv?q=mri"]
        assert [site.get(page)[0] for page in pages] == [200] * len(pages)
        fill(small_disk)
        statuses = [site.get(page)[0] for page in pages * 3]
        log = site.log()
    assert statuses == [200] * len(statuses), log
    assert "Rate limits are not counted: the throttle store failed" in log
    assert "No space left on device" not in log and "Traceback" not in log
    # One line a minute per worker, not one per request.
    assert log.count("Rate limits are not counted") <= 2


@pytest.mark.django_db
def test_a_failing_throttle_store_lets_requests_through_with_one_log_line(
    client, settings, monkeypatch, caplog
):
    from django.core.cache import caches

    from search.web import throttle

    settings.IMR_RATE_LIMIT = 5
    monkeypatch.setattr(throttle, "_last_failure_logged", -throttle.FAILURE_LOG_INTERVAL)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    store = caches["throttle"]
    monkeypatch.setattr(store, "add", disk_full)
    monkeypatch.setattr(store, "incr", disk_full)
    with caplog.at_level(logging.WARNING, logger="search.web.throttle"):
        statuses = [client.get("/api/search", {"q": "mri"}).status_code for _ in range(8)]
    assert statuses == [200] * 8
    warnings = [r for r in caplog.records if r.name == "search.web.throttle"]
    assert len(warnings) == 1
    assert "No space left on device" in warnings[0].getMessage()


# --- 5. Uploads refused early, files streamed to the data folder -------------------------------

BOUNDARY = "----imr-test-boundary"


def multipart(files: list[tuple[str, bytes]], token: str = "") -> bytes:
    parts = []
    if token:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"'
            f"\r\n\r\n{token}\r\n".encode()
        )
    for name, data in files:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"'
            f"\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post_head(path: str, length: int, cookie: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()


def read_response(sock: socket.socket, seconds: float) -> tuple[int, bytes]:
    """(status, whole response) read within `seconds`; the status is 0 if none came."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    if not received.startswith(b"HTTP/1."):
        return 0, received
    return int(received.split(b" ", 2)[1]), received


def test_upload_bodies_are_refused_from_their_headers_before_any_byte_is_read(data_dir, tmp_path):
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    with gunicorn(data_dir, tmp_path, IMR_RATE_LIMIT="0", TMPDIR=str(system_temp)) as site:
        anonymous, token = site.form_token("/admin/login/")
        staff = site.sign_in()
        cases = [
            # An anonymous 300 MB upload with a freely obtained CSRF cookie.
            ("/staff/upload/", 300_000_000, anonymous, 403),
            # A staff upload over IMR_MAX_UPLOAD_BYTES (50 MB).
            ("/staff/upload/", 60_000_000, staff, 413),
            # Files sent to the sign-in form.
            ("/admin/login/", 30_000_000, anonymous, 413),
        ]
        for path, length, cookie, expected in cases:
            with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
                # Headers and the start of the body only: the answer must not wait for the rest.
                sock.sendall(
                    post_head(path, length, cookie) + multipart([("a.pdf", b"%PDF")])[:200]
                )
                status, response = read_response(sock, seconds=5)
            assert status == expected, (path, response[:300])
    # Nothing was spooled anywhere.
    assert list(system_temp.iterdir()) == []
    assert list((data_dir / "uploads").iterdir()) == []


def test_staff_files_stream_to_the_data_folder_and_are_checked_as_they_arrive(
    data_dir, tmp_path, letters_dir
):
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    letter = sorted((letters_dir / "pdf").glob("*.pdf"))[0]  # not among the site's letters
    limit = 200_000
    assert letter.stat().st_size < limit
    env = {"IMR_RATE_LIMIT": "0", "TMPDIR": str(system_temp), "IMR_MAX_LETTER_BYTES": str(limit)}
    with gunicorn(data_dir, tmp_path, **env) as site:
        staff = site.sign_in()
        cookie, token = site.form_token("/staff/upload/", staff)
        body = multipart(
            [
                ("huge.txt", b"x" * 3_000_000),
                ("empty.txt", b""),
                (letter.name, letter.read_bytes()),
            ],
            token,
        )
        with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
            sock.sendall(post_head("/staff/upload/", len(body), cookie))
            sock.sendall(body[:150_000])  # part of huge.txt, under its limit
            time.sleep(1.0)
            spooled = [path.stat().st_size for path in (data_dir / "uploads").iterdir()]
            sock.sendall(body[150_000:])
            status, response = read_response(sock, seconds=30)
    page = response.decode(errors="replace")
    assert status == 200, page[:500]
    # The partial file was on its way to disk in the data folder, not in memory or /tmp.
    assert len(spooled) == 1 and 0 < spooled[0] <= 150_000
    assert list(system_temp.iterdir()) == []
    assert list((data_dir / "uploads").iterdir()) == []
    # The good letter is stored; the others are named with their reasons.
    assert "1 ingested" in page and "2 rejected" in page
    assert f"<strong>huge.txt</strong>: file too large (the limit is {limit:,} bytes)" in page
    assert "<strong>empty.txt</strong>: the file is empty" in page


# --- 6. An empty file among good ones ----------------------------------------------------------


@pytest.mark.django_db
def test_an_empty_file_is_named_and_the_good_letters_beside_it_are_stored(client, letters_dir):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from search.models import Letter

    staff = get_user_model().objects.create_user("staff", password="pw-staff-123456", is_staff=True)
    client.force_login(staff)
    seeds = sorted((letters_dir / "seeds").glob("*.txt"))[:2]
    files = [SimpleUploadedFile(p.name, p.read_bytes(), content_type="text/plain") for p in seeds]
    files.insert(1, SimpleUploadedFile("blank.pdf", b"", content_type="application/pdf"))
    response = client.post("/staff/upload/", {"files": files})
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 ingested" in page and "1 rejected" in page
    assert "<strong>blank.pdf</strong>: the file is empty" in page
    assert Letter.objects.count() == 2


@pytest.mark.django_db
def test_an_upload_without_files_asks_for_one(client):
    staff = get_user_model().objects.create_user("staff", password="pw-staff-123456", is_staff=True)
    client.force_login(staff)
    response = client.post("/staff/upload/", {})
    assert response.status_code == 200
    assert "Choose at least one file to upload." in response.content.decode()


# --- 9. Limits counted atomically across worker processes --------------------------------------


def wait_for_a_fresh_window(window: int, needed: float) -> None:
    """The limits count in fixed windows: start where `needed` seconds fit in one."""
    left = window - time.time() % window
    if left < needed:
        time.sleep(left + 0.5)


def test_the_rate_limit_holds_exactly_across_worker_processes(data_dir, tmp_path):
    limit, sent = 240, 600
    with gunicorn(data_dir, tmp_path, workers=4, IMR_RATE_LIMIT=str(limit)) as site:
        wait_for_a_fresh_window(60, needed=40)
        with ThreadPoolExecutor(max_workers=24) as pool:
            statuses = list(
                pool.map(lambda n: site.get(f"/letters/none-{n}/", timeout=60)[0], range(sent))
            )
    assert statuses.count(404) == limit, statuses.count(404)  # was 273 of 600
    assert statuses.count(429) == sent - limit


def test_the_sign_in_limit_checks_at_most_the_limit_of_passwords_at_once(data_dir, tmp_path):
    attempts = 16
    with gunicorn(data_dir, tmp_path, workers=4, IMR_LOGIN_ATTEMPTS="5") as site:
        forms = [site.form_token("/admin/login/") for _ in range(attempts)]

        def wrong_password(form) -> str:
            cookie, token = form
            fields = {"username": STAFF_USER, "password": "wrong", "csrfmiddlewaretoken": token}
            headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
            status, _, body = site.request(
                "POST", "/admin/login/", body=urlencode(fields), headers=headers, timeout=120
            )
            assert status == 200
            return body.decode()

        wait_for_a_fresh_window(15 * 60, needed=60)
        with ThreadPoolExecutor(max_workers=attempts) as pool:
            pages = list(pool.map(wrong_password, forms))
        checked = sum("Please enter the correct username and password" in page for page in pages)
        throttled = sum("Too many failed sign-in attempts" in page for page in pages)
        assert (checked, throttled) == (5, attempts - 5)  # was 8 checked where the limit is 5
        # The right password is refused too while the account is locked.
        cookie, token = site.form_token("/admin/login/")
        fields = {"username": STAFF_USER, "password": STAFF_PASSWORD, "csrfmiddlewaretoken": token}
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        status, _, body = site.request(
            "POST", "/admin/login/", body=urlencode(fields), headers=headers
        )
        assert status == 200 and b"Too many failed sign-in attempts" in body


@pytest.mark.django_db
def test_a_successful_sign_in_gives_its_place_back(client, settings):
    settings.IMR_LOGIN_ATTEMPTS = 2
    get_user_model().objects.create_user("clerk", password="right-horse-battery", is_staff=True)
    for _ in range(4):
        client.post("/admin/login/", {"username": "clerk", "password": "right-horse-battery"})
        assert "_auth_user_id" in client.session
        client.logout()
    client.post("/admin/login/", {"username": "clerk", "password": "wrong"})
    response = client.post(
        "/admin/login/", {"username": "clerk", "password": "right-horse-battery"}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


# --- 10. Sign-in with an unsafe `next` ---------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_with_an_unsafe_next_lands_on_the_admin(client):
    get_user_model().objects.create_user("clerk", password="right-horse-battery", is_staff=True)
    response = client.post(
        "/admin/login/?next=https://evil.example/",
        {"username": "clerk", "password": "right-horse-battery", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
