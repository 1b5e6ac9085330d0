"""The benchmark code behind `manage.py bench` and `manage.py loadtest`.

It lives in the top-level benchmarks/ package of the source tree (beside manage.py), which the
installed package does not ship: the commands stay thin and import it only when they run, so a
production install answers them with a clear message instead of a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from django.core.management.base import CommandError

PACKAGE = "benchmarks"


def import_benchmarks(*names: str) -> list[ModuleType]:
    """The modules benchmarks.<name>, or a CommandError saying where they are to be found."""
    try:
        return [importlib.import_module(f"{PACKAGE}.{name}") for name in names]
    except ModuleNotFoundError as exc:
        if exc.name != PACKAGE:
            raise
        raise CommandError(
            f"The {PACKAGE}/ folder is not here: benchmarks run from a checkout of the source "
            f"tree (manage.py with {PACKAGE}/ beside it), not from an installed package."
        ) from exc
