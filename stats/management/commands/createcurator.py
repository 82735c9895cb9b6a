"""Create a curator: a staff user in the group `curators`, with a generated password."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Create a staff user in the group 'curators' (who may add, change and delete claims in the admin) "
        "and print a generated password once; the curator can change it in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="", help="The curator's e-mail address (optional).")

    @transaction.atomic
    def handle(self, *args, username, email, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        try:
            curators = Group.objects.get(name="curators")
        except Group.DoesNotExist:
            raise CommandError("The group 'curators' is missing: run `python manage.py migrate` first.") from None
        password = secrets.token_urlsafe(18)
        user = User(username=username, email=email, is_staff=True)
        user.set_password(password)
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        user.save()
        user.groups.add(curators)
        self.stdout.write(f"Curator {username!r} created. Password (shown once): {password}")
