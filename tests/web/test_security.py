"""Security settings, headers, limits and staff-only pages."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

PROJECT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    env = {
        **os.environ,
        "IMR_DATA_DIR": str(tmp_path),
        "IMR_HTTPS": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "imr.example.org",
    }
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT / "manage.py"),
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_https_without_secret_key_refuses_to_start(tmp_path):
    env = {**os.environ, "IMR_DATA_DIR": str(tmp_path), "IMR_HTTPS": "1"}
    env.pop("DJANGO_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_public_search_pages_set_no_cookie(client):
    for url in ("/", "/?q=therapy&outcome=overturned", "/api/search?q=mri", "/precedents/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not response.cookies, (url, response.cookies)


@pytest.mark.django_db
def test_rate_limit_answers_429_past_the_limit(client, settings):
    settings.IMR_RATE_LIMIT = 3
    statuses = [client.get("/api/search", {"q": "mri"}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    limited = client.get("/api/search")
    assert limited["Retry-After"] == "60"
    assert "Too many requests" in limited.json()["error"]
    # Other clients are counted separately.
    assert client.get("/api/search", REMOTE_ADDR="10.9.8.7").status_code == 200


@pytest.mark.django_db
def test_failed_staff_logins_are_limited(client, settings):
    settings.IMR_LOGIN_ATTEMPTS = 3
    get_user_model().objects.create_user("clerk", password="right-horse-battery", is_staff=True)
    for _ in range(3):
        response = client.post("/admin/login/", {"username": "clerk", "password": "wrong"})
        assert response.status_code == 200
        assert "Too many failed" not in response.content.decode()
    response = client.post(
        "/admin/login/", {"username": "clerk", "password": "right-horse-battery"}
    )
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_upload_page_is_for_staff_only(client):
    response = client.get("/staff/upload/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    get_user_model().objects.create_user("reader", password="pw-reader-123456")
    client.login(username="reader", password="pw-reader-123456")
    assert client.get("/staff/upload/").status_code == 302


@pytest.mark.django_db
def test_staff_upload_runs_the_ingest_path_and_needs_csrf(letters_dir):
    from django.test import Client

    from search.models import Letter

    staff = get_user_model().objects.create_user("staff", password="pw-staff-123456", is_staff=True)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    seed = sorted((letters_dir / "seeds").glob("*.txt"))[0]
    with seed.open("rb") as handle:
        refused = strict.post("/staff/upload/", {"files": handle})
    assert refused.status_code == 403
    assert Letter.objects.count() == 0

    client = Client()
    client.force_login(staff)
    with seed.open("rb") as good, (PROJECT / "README.md").open("rb") as bad:
        response = client.post("/staff/upload/", {"files": [good, bad]})
    body = response.content.decode()
    assert response.status_code == 200
    assert "1 ingested" in body and "1 rejected" in body
    assert "unsupported file type" in body
    assert Letter.objects.count() == 1
    assert Letter.objects.get().index_pending is False


@pytest.mark.django_db
def test_an_upload_while_another_writer_holds_the_index_keeps_the_letters_pending(
    client, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from search.backends import index_dir
    from search.engine.whoosh import storage, writing
    from search.indexing import sync_pending
    from search.letters.synthetic import generate_letters
    from search.models import Letter
    from search.web import staff_views

    monkeypatch.setattr(staff_views, "UPLOAD_INDEX_WAIT_SECONDS", 0.2)
    staff = get_user_model().objects.create_user("staff", password="pw-staff-123456", is_staff=True)
    client.force_login(staff)
    text = next(iter(generate_letters(1, seed=3))).text
    upload = SimpleUploadedFile("synthetic.txt", text.encode(), content_type="text/plain")
    storage.open_or_create(index_dir())
    with writing.live_writer(index_dir()):  # a bulk ingest's writer
        response = client.post("/staff/upload/", {"files": [upload]})
    body = response.content.decode()
    assert response.status_code == 200
    assert "1 ingested" in body
    assert "not searchable yet" in body and "locked by another writer" in body
    assert Letter.objects.get().index_pending is True
    assert sync_pending() > 0
    assert Letter.objects.get().index_pending is False
