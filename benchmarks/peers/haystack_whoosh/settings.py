"""Settings of the haystack peer's process: haystack and this app, nothing of ours."""

import os

from benchmarks.peers.haystack_whoosh import INDEX_ENV

SECRET_KEY = "haystack-benchmark-peer"  # noqa: S105 - this process serves no request
INSTALLED_APPS = ["haystack", "benchmarks.peers.haystack_whoosh"]
DATABASES: dict = {}  # haystack stores nothing in a database here
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True

HAYSTACK_CONNECTIONS = {
    "default": {
        "ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
        "PATH": os.environ.get(INDEX_ENV, ""),
    }
}
HAYSTACK_LIMIT_TO_REGISTERED_MODELS = False
