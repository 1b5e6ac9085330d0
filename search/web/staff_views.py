"""Staff-only upload: letters go through the same ingest path as the command."""

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from search.engine.errors import IndexUnavailable
from search.ingest import REJECTED, IngestReport, ingest_upload, sync_index

# An upload waits this long for a bulk ingest's writer, well inside the server's request timeout
# (30 s in DEPLOYMENT.md); past it the letters stay stored and pending for the next sync.
UPLOAD_INDEX_WAIT_SECONDS = 10.0


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.txt,.zip"}))
        # An empty file is reported by name beside the others (see `upload`), not a form error
        # that rejects the whole batch.
        kwargs.setdefault("allow_empty_file", True)
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        items = data if isinstance(data, list | tuple) else [data]
        return [cleaned for cleaned in (single(item, initial) for item in items) if cleaned]


class UploadForm(forms.Form):
    files = MultipleFileField(label="Letters (.pdf, .txt or .zip)")

    def __init__(self, *args, refused=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.refused = list(refused)  # (file name, reason) dropped while streaming in

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("files") and not self.refused and not self.errors:
            self.add_error("files", "Choose at least one file to upload.")
        return cleaned


@staff_member_required
@require_http_methods(["GET", "POST"])
def upload(request):
    report = None
    index_busy = ""
    if request.method == "POST":
        # Reading the body streams each file through uploads.FileSizeLimitHandler, which drops
        # a file over its limit and names it in request.refused_uploads.
        data, files = request.POST, request.FILES
        form = UploadForm(data, files, refused=getattr(request, "refused_uploads", []))
    else:
        form = UploadForm()
    if form.is_bound and form.is_valid():
        report = IngestReport()
        for name, reason in form.refused:
            report.add(name, REJECTED, reason=reason)
        for uploaded in form.cleaned_data["files"]:
            if not uploaded.size:
                report.add(uploaded.name, REJECTED, reason="the file is empty")
                continue
            # Within its limit (the upload handler checked as it streamed in), so reading it
            # whole is bounded.
            report.merge(ingest_upload(uploaded.name, uploaded.read(), update_index=False))
        try:
            report.indexed = sync_index(wait_seconds=UPLOAD_INDEX_WAIT_SECONDS)
        except IndexUnavailable as exc:
            index_busy = str(exc)
        form = UploadForm()
    context = {"form": form, "report": report, "index_busy": index_busy}
    return render(request, "staff/upload.html", context)
