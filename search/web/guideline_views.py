"""The guideline page and its JSON: thin views over search.guideline_pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from search.guideline_pages import UnknownGuideline, guideline_index, guideline_page
from search.web.views import outcome_bar


@require_safe
def guideline(request: HttpRequest) -> HttpResponse:
    label = request.GET.get("label", "")
    if not label.strip():
        return render(request, "search/guideline.html", {"index": guideline_index()})
    try:
        page = guideline_page(label)
    except UnknownGuideline as exc:
        return render(request, "search/guideline.html",
                      {"label": label[:300], "problem": str(exc)}, status=404)
    return render(request, "search/guideline.html", {
        "label": page.label,
        "page": page,
        "breakdown": outcome_bar(page.breakdown),
    })


@require_safe
def guideline_json(request: HttpRequest) -> JsonResponse:
    try:
        page = guideline_page(request.GET.get("label", ""))
    except UnknownGuideline as exc:
        return JsonResponse({"error": str(exc)}, status=404)
    return JsonResponse(page.as_json())
