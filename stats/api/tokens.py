"""Revoking API tokens through the API: the one a request carries, or all of its owner's (knox's views). Tokens are
made only by `manage.py createtoken` and in the admin, after its second factor: there is no endpoint that trades a
password for a token."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox import views as knox_views

from stats.api.mixins import StrictQueryMixin
from stats.api.schema import ConflictdataAutoSchema


class TokenSchema(ConflictdataAutoSchema):
    def error_statuses(self) -> list[int]:
        # No body is read and nothing is looked up: only the credentials, the format and the rate can fail.
        return [400, 401, 406, 429]


class LogoutView(StrictQueryMixin, knox_views.LogoutView):
    action = "logout"
    schema = TokenSchema()

    @extend_schema(
        summary="Revoke this token",
        description="Revoke the token this request is sent with (`Authorization: Token <key>`): it answers 401 from "
        "then on. Your other tokens keep working.",
        request=None, responses={204: OpenApiResponse(description="Revoked.")}, tags=["auth"],
    )
    def post(self, request, format=None):
        return super().post(request, format)


class LogoutAllView(StrictQueryMixin, knox_views.LogoutAllView):
    action = "logout_all"
    schema = TokenSchema()

    @extend_schema(
        summary="Revoke all your tokens",
        description="Revoke every token of the account this request's token belongs to, this one included (every "
        "device and script signed in with them).",
        request=None, responses={204: OpenApiResponse(description="Revoked, all of them.")}, tags=["auth"],
    )
    def post(self, request, format=None):
        return super().post(request, format)
