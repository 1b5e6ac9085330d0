"""The JSON API: the same parameters as the search page, the same answers as JSON.

Views only translate GET parameters into a SearchRequest, call the search module and shape JSON.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from search.searching import FACETS, run_search, similar_to_item, similar_to_text
from search.serializers import letter_as_json, letter_queryset
from search.web.forms import SearchForm
from search.web.hit_formats import hit_as_json
from search.web.views import PRECEDENT_TEXT_MAX

SIMILAR_LIMIT = 10
PRECEDENTS_LIMIT = 20


def breakdown_as_json(breakdown) -> dict:
    return {
        "upheld": breakdown.upheld,
        "overturned": breakdown.overturned,
        "overturn_rate": round(breakdown.rate, 4),
    }


@require_safe
def search(request: HttpRequest) -> JsonResponse:
    search_request = SearchForm(request.GET).search_request()
    result = run_search(search_request)
    return JsonResponse(
        {
            "query": search_request.q,
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "notice": result.notice,
            "results": [hit_as_json(hit) for hit in result.hits],
            "facets": {
                facet.name: [
                    {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                    for v in result.facets.get(facet.name, [])
                ]
                for facet in FACETS
            },
            "breakdown": breakdown_as_json(result.breakdown),
            # With an outcome selected: the same search without it (None otherwise).
            "breakdown_before_outcome": (
                breakdown_as_json(result.breakdown_before_outcome)
                if result.breakdown_before_outcome is not None
                else None
            ),
        }
    )


@require_safe
def letter(request: HttpRequest, public_id: str) -> JsonResponse:
    found = letter_queryset().filter(public_id=public_id).first()
    if found is None:
        return JsonResponse({"error": "not found", "id": public_id[:60]}, status=404)
    return JsonResponse(letter_as_json(found))


@require_safe
def similar(request: HttpRequest, public_id: str, ordinal: int) -> JsonResponse:
    result = similar_to_item(public_id, ordinal, limit=SIMILAR_LIMIT)
    if not result.found:
        return JsonResponse({"error": "not found", "notice": result.notice}, status=404)
    return JsonResponse(
        {
            "letter_id": public_id,
            "ordinal": ordinal,
            "total": len(result.hits),
            "notice": result.notice,
            "results": [hit_as_json(hit) for hit in result.hits],
            "breakdown": breakdown_as_json(result.breakdown),
        }
    )


@require_safe
def precedents(request: HttpRequest) -> JsonResponse:
    """The precedent finder as JSON: `text` (a pasted request or denial), optionally within one
    `category` or `specialty`. Results are shaped like /api/search's, with the outcome breakdown
    of the closest precedents and the guideline sections they cite."""
    text = request.GET.get("text", "")[:PRECEDENT_TEXT_MAX]
    category = request.GET.get("category", "").strip()[:200] or None
    specialty = request.GET.get("specialty", "").strip()[:200] or None
    result = similar_to_text(text, category=category, specialty=specialty, limit=PRECEDENTS_LIMIT)
    return JsonResponse(
        {
            "text": text,
            "category": category,
            "specialty": specialty,
            "total": len(result.hits),
            "notice": result.notice,
            "terms": result.terms,
            "results": [hit_as_json(hit) for hit in result.hits],
            "breakdown": breakdown_as_json(result.breakdown),
            "cited_sections": [
                {"section": label, "overturned": overturned, "upheld": upheld}
                for label, overturned, upheld in result.sections
            ],
        }
    )
