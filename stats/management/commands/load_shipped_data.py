"""Load the data set shipped in fixtures/ into a database that lacks it."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError

from stats.importing import ImportRefused
from stats.services import shipped_data_load


class Command(BaseCommand):
    help = "Add the shipped vocabularies and claims that the database lacks; rows already there are left alone."

    def handle(self, *args, **options):
        try:
            added = shipped_data_load(directory=settings.FIXTURES_DIR)
        except (DeserializationError, ValidationError, ImportRefused) as error:
            raise CommandError(f"The shipped data could not be loaded, nothing was changed: {error}") from None
        if not added:
            self.stdout.write("Shipped data: already loaded, nothing to add.")
            return
        summary = ", ".join(f"{count} {name}" for name, count in sorted(added.items()))
        self.stdout.write(self.style.SUCCESS(f"Shipped data: added {summary}."))
