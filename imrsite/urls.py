from django.contrib import admin
from django.urls import include, path

from search.web import staff_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/upload/", staff_views.upload, name="staff-upload"),
    path("", include("search.web.api_urls")),
    path("", include("search.web.urls")),
]
