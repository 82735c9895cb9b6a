"""Who a request to the API is: a token's owner (knox, stats/tokens.py), or the admin's signed-in curator."""

from drf_spectacular.authentication import SessionScheme as SpectacularSessionScheme
from rest_framework import authentication

from stats import second_factor


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (the browsable API), for a session that has given the admin's second factor
    where one is due: a password alone signs in to neither the admin nor the API."""

    def authenticate(self, request):
        signed_in = super().authenticate(request)
        if signed_in is not None and second_factor.due(request._request):
            return None
        return signed_in


class SessionScheme(SpectacularSessionScheme):
    """In the OpenAPI schema, the session cookie as drf-spectacular describes DRF's own session authentication."""

    target_class = SessionAuthentication
