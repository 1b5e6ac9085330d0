"""JSON API routes, included at the site root (full paths here)."""

from django.urls import path

from search.web import api, guideline_views

urlpatterns = [
    path("api/search", api.search, name="api-search"),
    path("api/precedents", api.precedents, name="api-precedents"),
    path("api/guidelines", guideline_views.guideline_json, name="api-guideline"),
    path("api/letters/<str:public_id>", api.letter, name="api-letter"),
    path(
        "api/letters/<str:public_id>/items/<int:ordinal>/similar",
        api.similar,
        name="api-similar",
    ),
]
