from django.urls import path, register_converter

from stats.pages import feeds, views


class SlugConverter:
    """A slug as the API's routes take it (no other character reaches a view)."""

    regex = r"[-a-zA-Z0-9_]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SlugConverter, "name")

QUANTITY = "<name:conflict>/<name:party>/<name:category>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("about/api/", views.start_here, name="start-here"),
    path("feeds/claims.atom", feeds.claims_feed, name="claims-feed"),
    path("search/", views.search, name="search"),
    path("conflicts/<name:slug>/", views.conflict_page, name="conflict"),
    path("conflicts/<name:slug>/feed.atom", feeds.conflict_feed, name="conflict-feed"),
    path(f"conflicts/{QUANTITY}", views.quantity_page, name="quantity"),
    path(f"conflicts/{QUANTITY}feed.atom", feeds.quantity_feed, name="quantity-feed"),
    path(f"conflicts/{QUANTITY}chart.svg", views.chart_file, {"kind": "svg"}, name="chart-svg"),
    path(f"conflicts/{QUANTITY}chart.png", views.chart_file, {"kind": "png"}, name="chart-png"),
    path(f"embed/{QUANTITY}", views.embed, name="embed"),
    path("figures/<int:pk>/", views.figure_page, name="figure"),
]
