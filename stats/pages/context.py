"""What every page's template knows besides its own context."""

from stats import past, versions


def base_url(request) -> dict:
    """Return the service's own address (PUBLIC_URL when set), for the links a page gives to be pasted elsewhere;
    and, when the page shows the past, the moment and the data version it shows."""
    moment = past.moment()
    return {
        "base_url": request.build_absolute_uri("/").rstrip("/"),
        "as_recorded": moment,
        "recorded_version": versions.at(moment)[0] if moment is not None else None,
    }
