"""Upload handling for the staff upload page: each file's size is checked as it streams in.

Django's handlers take an uploaded file whole (in memory, or in the system temp folder) before
anything looks at its size. With FILE_UPLOAD_HANDLERS set to this handler followed by Django's
TemporaryFileUploadHandler, every file is written only to FILE_UPLOAD_TEMP_DIR (inside the data
folder) and a file that outgrows its limit is dropped at that chunk, its partial copy deleted,
and named with the reason in `request.refused_uploads`.
"""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


def file_limit(file_name: str) -> int:
    """A letter may be IMR_MAX_LETTER_BYTES; a zip of letters, as much as the whole upload."""
    if PurePath(file_name).suffix.lower() == ".zip":
        return settings.IMR_MAX_UPLOAD_BYTES
    return settings.IMR_MAX_LETTER_BYTES


class FileSizeLimitHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.limit = file_limit(self.file_name or "")

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            refused = self.request.__dict__.setdefault("refused_uploads", [])
            refused.append((self.file_name, f"file too large (the limit is {self.limit:,} bytes)"))
            raise SkipFile
        return raw_data  # on to the next handler, which writes it to FILE_UPLOAD_TEMP_DIR

    def file_complete(self, file_size):
        return None  # the next handler's file is the upload
