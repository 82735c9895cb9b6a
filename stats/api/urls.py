from django.urls import path

from stats.api.tokens import LogoutAllView, LogoutView
from stats.api.views import CompareView, DataPackageView, SeriesView, router
from stats.api.wide import SeriesExportView

urlpatterns = [
    path("series/", SeriesView.as_view(), name="series"),
    path("series/export/", SeriesExportView.as_view(), name="series-export"),
    path("compare/", CompareView.as_view(), name="compare"),
    path("datapackage.json", DataPackageView.as_view(), name="datapackage"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
    path("auth/logout-all/", LogoutAllView.as_view(), name="logout-all"),
    *router.urls,
]
