"""Solr's HTTP JSON API, over several nodes: a request goes to the next node when one does not
answer, so a node that is down costs a connection attempt, not an error.

`requests` rather than pysolr: every call here is a plain JSON request (the JSON Request API
with the JSON Facet API, the Collections and Configsets APIs), which pysolr would only wrap, and
requests is already what the rest of the stack installs; a Session keeps connections open.
"""

from __future__ import annotations

import itertools
import threading

import requests

from search.engine.errors import IndexUnavailable

CONNECT_SECONDS = 3.0
ADMIN_SECONDS = 180.0  # creating a collection or an alias waits for every replica


class SolrError(IndexUnavailable):
    """Solr answered with an error, or no node answered."""


class SolrClient:
    def __init__(self, urls, *, username: str | None = None, password: str | None = None):
        if isinstance(urls, str):
            urls = urls.split(",")
        self.urls = [u.strip().rstrip("/") for u in urls if u.strip()]
        if not self.urls:
            raise ValueError("no Solr URL given")
        self.auth = (username, password) if username else None
        self._local = threading.local()
        self._next = itertools.count()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.auth = self.auth
        return session

    def request(self, method: str, path: str, *, timeout: float, **kwargs) -> dict:
        """The JSON answer of `path` on the first node that answers, starting from a different
        node each call (so the load is shared). Raises SolrError."""
        start = next(self._next) % len(self.urls)
        failures = []
        for url in self.urls[start:] + self.urls[:start]:
            try:
                response = self._session().request(
                    method, f"{url}/{path.lstrip('/')}", timeout=(CONNECT_SECONDS, timeout),
                    **kwargs,
                )
            except requests.ConnectionError as exc:
                failures.append(f"{url}: {type(exc).__name__}")
                continue
            except requests.Timeout as exc:
                raise SolrError(f"Solr did not answer within {timeout:g} s") from exc
            return _answer(response)
        raise SolrError("no Solr node answered (" + "; ".join(failures) + ")")

    def get(self, path: str, *, timeout: float = ADMIN_SECONDS, **params) -> dict:
        return self.request("GET", path, params=params, timeout=timeout)

    def post_json(self, path: str, body, *, timeout: float, **params) -> dict:
        return self.request("POST", path, json=body, params=params, timeout=timeout)

    def collections(self, action: str, **params) -> dict:
        return self.get("admin/collections", action=action, **params)


def _answer(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400 or body.get("error"):
        error = body.get("error") or {}
        message = error.get("msg") or response.text[:300] or response.reason
        raise SolrError(f"Solr answered {response.status_code}: {message}")
    return body
