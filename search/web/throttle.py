"""Counting requests and sign-in attempts per client in fixed windows, in the shared cache.

CACHES["throttle"] is diskcache's Django backend (CounterCache below): SQLite files under the data
folder whose `add` and `incr` are transactions, so every gunicorn worker of a host counts every
event exactly once. (Django's file cache reads a count and writes it back; workers racing each
other lost counts.)

When the store fails (a full disk, a broken file), counting fails open with a log line: a limit
that lets requests through for a while is better than every public page answering 500.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from diskcache import DjangoCache
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT

logger = logging.getLogger(__name__)

# One warning a minute per worker while the store keeps failing, not one per request.
FAILURE_LOG_INTERVAL = 60.0
_last_failure_logged = -FAILURE_LOG_INTERVAL


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


def _store_failed(exc: Exception) -> None:
    global _last_failure_logged
    now = time.monotonic()
    if now - _last_failure_logged >= FAILURE_LOG_INTERVAL:
        _last_failure_logged = now
        logger.warning(
            "Rate limits are not counted: the throttle store failed (%s: %s); "
            "requests are let through until it works again.",
            type(exc).__name__,
            exc,
        )


class StoreFailed(Exception):
    pass


class CounterCache(DjangoCache):
    """diskcache's Django cache, failing fast instead of retrying.

    Told to retry, diskcache retries a transaction that cannot begin forever, and on a full
    disk it never can: every worker hung. Without retry it gives up after its SQLite busy
    timeout (DATABASE_TIMEOUT, which is what waits for the other workers): `add` then answers
    False and `incr` None.
    """

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        return super().add(key, value, timeout, version, **{"retry": False, **kwargs})

    def incr(self, key, delta=1, version=None, default=None, retry=False):
        return super().incr(key, delta, version, default, retry)

    def decr(self, key, delta=1, version=None, default=None, retry=False):
        return super().incr(key, -delta, version, default, retry)


def _increment(key: str, window: int) -> int:
    cache = caches["throttle"]
    if cache.add(key, 1, timeout=window + 5):
        return 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr, or add gave up
        if cache.add(key, 1, timeout=window + 5):
            return 1
        raise StoreFailed("could not add a count") from None
    if count is None:
        raise StoreFailed("could not increment a count")
    return count


@dataclass
class Counted:
    """One counted event: `count` is the window's count including it (0 when the store failed
    and nothing was counted)."""

    key: str
    count: int

    def give_back(self) -> None:
        """Uncount this event (a sign-in that succeeded, an attempt refused anyway)."""
        if not self.count:
            return
        try:
            caches["throttle"].decr(self.key)
        except ValueError:  # the window expired meanwhile
            pass
        except Exception as exc:  # noqa: BLE001 - any store failure fails open
            _store_failed(exc)


def hit(kind: str, identity: str, window: int) -> Counted:
    """Count one event in the current window, atomically across processes."""
    key = _key(kind, identity, window)
    try:
        return Counted(key, _increment(key, window))
    except Exception as exc:  # noqa: BLE001 - any store failure fails open
        _store_failed(exc)
        return Counted(key, 0)
