"""The JSON API: the same parameters as the search page, the same answers as JSON.

Views only translate GET parameters into a SearchRequest, call the search module and shape JSON.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from search.searching import FACETS, run_search, similar_to_item
from search.serializers import letter_as_json, letter_queryset
from search.web.forms import SearchForm
from search.web.hit_formats import hit_as_json

SIMILAR_LIMIT = 10


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
