"""URL configuration: the home page, the API and its documentation, and the curators' admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from stats.health import health
from stats.views import home

admin.site.site_header = "conflictdata curators"
admin.site.site_title = "conflictdata"
admin.site.index_title = "Claims and their sources"

urlpatterns = [
    path("", home, name="home"),
    path("health/", health, name="health"),
    path("api/v1/", include("stats.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI with its start-up script served apart, so that the Content-Security-Policy forbids inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
]

handler404 = "stats.api.errors.json_not_found"
handler500 = "stats.api.errors.json_server_error"
