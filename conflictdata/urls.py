"""URL configuration: the API and its documentation, the curators' admin, and the pages for people."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from stats.health import health

admin.site.site_header = "conflictdata curators"
admin.site.site_title = "conflictdata"
admin.site.index_title = "Claims and their sources"

urlpatterns = [
    path("health/", health, name="health"),
    path("api/v1/", include("stats.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI with its start-up script served apart, so that the Content-Security-Policy forbids inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    path("", include("stats.pages.urls")),
]

# HTML pages for people, JSON under /api/.
handler404 = "stats.pages.views.not_found"
handler500 = "stats.pages.views.server_error"
# A read whose time budget ran out (stats.budget.ReadBudgetMiddleware).
handler503 = "stats.pages.views.too_slow"
