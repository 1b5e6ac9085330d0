"""Staff-only upload: letters go through the same ingest path as the command."""

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from search.engine.errors import IndexUnavailable
from search.ingest import IngestReport, ingest_upload, sync_index

# An upload waits this long for a bulk ingest's writer, well inside the server's request timeout
# (30 s in DEPLOYMENT.md); past it the letters stay stored and pending for the next sync.
UPLOAD_INDEX_WAIT_SECONDS = 10.0


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.txt,.zip"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    files = MultipleFileField(label="Letters (.pdf, .txt or .zip)")


@staff_member_required
@require_http_methods(["GET", "POST"])
def upload(request):
    report = None
    index_busy = ""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        report = IngestReport()
        for uploaded in form.cleaned_data["files"]:
            report.merge(ingest_upload(uploaded.name, uploaded.read(), update_index=False))
        try:
            report.indexed = sync_index(wait_seconds=UPLOAD_INDEX_WAIT_SECONDS)
        except IndexUnavailable as exc:
            index_busy = str(exc)
        form = UploadForm()
    context = {"form": form, "report": report, "index_busy": index_busy}
    return render(request, "staff/upload.html", context)
