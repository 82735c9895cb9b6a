"""URL configuration: the home page and the curators' admin."""

from django.contrib import admin
from django.urls import path

from stats.views import home

admin.site.site_header = "conflictdata curators"
admin.site.site_title = "conflictdata"
admin.site.index_title = "Claims and their sources"

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
]
