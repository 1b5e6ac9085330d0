"""Logging filters named in settings.LOGGING (no Django import: dictConfig loads this early)."""

from __future__ import annotations

import logging

PATH_SHOWN = 200


class OneLineWarning(logging.Filter):
    """Turn a record into a one-line WARNING without its traceback.

    For a refusal the site makes on purpose, such as the 400 answered when a request carries
    more parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS (Django logs it at ERROR with the
    traceback): the line says what was refused, for which method and path, and the status.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        method = getattr(request, "method", None) or "?"
        path = getattr(request, "path", None) or "?"
        if len(path) > PATH_SHOWN:
            path = path[:PATH_SHOWN] + "..."
        # The path is the client's text: escaped, so it cannot start a new log line.
        path = path.encode("unicode_escape").decode("ascii")
        message = " ".join(record.getMessage().split())
        status = getattr(record, "status_code", None)
        record.msg = "%s (%s %s%s)"
        record.args = (message, method, path, f" answered {status}" if status else "")
        record.levelno = logging.WARNING
        record.levelname = logging.getLevelName(logging.WARNING)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
