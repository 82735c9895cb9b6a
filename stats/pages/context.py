"""What every page's template knows besides its own context."""


def base_url(request) -> dict:
    """Return the service's own address (PUBLIC_URL when set), for the links a page gives to be pasted elsewhere."""
    return {"base_url": request.build_absolute_uri("/").rstrip("/")}
