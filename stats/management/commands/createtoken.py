"""Create an API token for a user and print its key, the one time it is shown."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from stats.tokens import token_create


class Command(BaseCommand):
    help = (
        "Create an API token for USER, valid for API_TOKEN_TTL, and print its key (alone on standard output, so that "
        "a script can read it); only a digest of it is kept, so it cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user is named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"{username!r} is not active: a token of theirs would not work.")
        token, key = token_create(user=user)
        self.stderr.write(
            f"Token for {username!r}, valid until {token.expiry:%Y-%m-%d %H:%M} UTC (send it as "
            "`Authorization: Token <key>`; it is shown only now):"
        )
        self.stdout.write(key)
