from django.urls import path

from stats.api.views import CompareView, SeriesView, router

urlpatterns = [
    path("series/", SeriesView.as_view(), name="series"),
    path("compare/", CompareView.as_view(), name="compare"),
    *router.urls,
]
