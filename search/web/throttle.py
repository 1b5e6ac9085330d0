"""Counting requests and failed logins per client in fixed windows, in the shared cache.

The cache is Django's (a file or database cache by default), so every gunicorn worker on a host
sees the same counts.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import caches


def client_address(request) -> str:
    """The client's address; behind a proxy, the last hop the proxy appended (not spoofable)."""
    from django.conf import settings

    if settings.IMR_TRUSTED_PROXY_COUNT:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= settings.IMR_TRUSTED_PROXY_COUNT:
            return forwarded[-settings.IMR_TRUSTED_PROXY_COUNT]
    return request.META.get("REMOTE_ADDR", "unknown")


def _key(kind: str, identity: str, window: int) -> str:
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]
    return f"throttle:{kind}:{digest}:{int(time.time() // window)}"


def hit(kind: str, identity: str, window: int) -> int:
    """Count one event and return the count in the current window."""
    cache = caches["throttle"]
    key = _key(kind, identity, window)
    if cache.add(key, 1, timeout=window + 5):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        return 1


def count(kind: str, identity: str, window: int) -> int:
    return caches["throttle"].get(_key(kind, identity, window), 0)


def reset(kind: str, identity: str, window: int) -> None:
    caches["throttle"].delete(_key(kind, identity, window))
