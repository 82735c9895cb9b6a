"""Human pages."""

from django.shortcuts import render

from stats.models import Figure, Source


def home(request):
    """Return the short human page that points to the docs and the admin."""
    return render(
        request,
        "stats/home.html",
        {"figure_count": Figure.objects.count(), "source_count": Source.objects.count()},
    )
