"""The public pages; the JSON API lives in api_urls."""

from django.urls import path

from search.web import feeds, guideline_views, views

urlpatterns = [
    path("", views.search_page, name="search"),
    path("letters/<str:public_id>/", views.letter_detail, name="letter"),
    path(
        "letters/<str:public_id>/items/<int:ordinal>/similar/",
        views.item_similar,
        name="item-similar",
    ),
    path("precedents/", views.precedents, name="precedents"),
    path("guidelines/", guideline_views.guideline, name="guideline"),
    path("feeds/search/", feeds.SearchFeed(), name="search-feed"),
    path("export/search.csv", views.search_csv, name="search-csv"),
]
