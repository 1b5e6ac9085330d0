"""Staff-only upload: letters go through the same ingest path as the command."""

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from .ingest import IngestReport, ingest_upload, sync_index


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
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        report = IngestReport()
        for uploaded in form.cleaned_data["files"]:
            report.merge(ingest_upload(uploaded.name, uploaded.read(), update_index=False))
        report.indexed = sync_index()
        form = UploadForm()
    return render(request, "staff/upload.html", {"form": form, "report": report})
