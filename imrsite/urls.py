from django.contrib import admin
from django.urls import include, path

from search import staff_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/upload/", staff_views.upload, name="staff-upload"),
    path("", include("search.api_urls")),
    path("", include("search.urls")),
]
