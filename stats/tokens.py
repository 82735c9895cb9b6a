"""Curators' API tokens (django-rest-knox): made here, by `manage.py createtoken` and the admin, never from a password;
only a digest of each key is stored, and a password change revokes them all."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from knox.models import AuthToken, get_digest_token
from knox.settings import CONSTANTS, knox_settings


def token_key_set(token: AuthToken) -> str:
    """Give `token` a new random key, valid for API_TOKEN_TTL from now, keeping only its digest; return the key."""
    digest, key = get_digest_token()
    # knox finds a token by the key's first characters, then compares the digest of the whole key.
    token.digest, token.token_key = digest, key[: CONSTANTS.TOKEN_KEY_LENGTH]
    token.expiry = timezone.now() + knox_settings.TOKEN_TTL
    return key


def token_create(*, user: AbstractBaseUser) -> tuple[AuthToken, str]:
    """Return a new token of `user`, saved, and its key (which is stored nowhere)."""
    token = AuthToken(user=user)
    key = token_key_set(token)
    token.save()
    return token, key


def tokens_revoke(*, user: AbstractBaseUser) -> int:
    """Delete every API token of `user`; return how many there were."""
    deleted, _by_model = AuthToken.objects.filter(user=user).delete()
    return deleted


class RevokeTokensOnPasswordChange:
    """Not a rule for passwords: Django tells every validator in AUTH_PASSWORD_VALIDATORS of each password change
    (`password_changed`, after `set_password` and a save), and this one then revokes the user's API tokens, so that
    a token made by whoever knew the old password stops working with it."""

    def validate(self, password: str, user: AbstractBaseUser | None = None) -> None:
        return None

    def password_changed(self, password: str, user: AbstractBaseUser | None = None) -> None:
        if user is not None and user.pk is not None:
            tokens_revoke(user=user)

    def get_help_text(self) -> str:
        return "Changing your password revokes every API token of yours."
