"""Load the data set shipped in fixtures/ into a database that lacks it."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError

from stats.services import shipped_data_load
from stats.sync.lease import Busy


class Command(BaseCommand):
    help = ("Add the shipped vocabularies and founding article the database lacks, and sync every feed never "
            "synced from the origins' files shipped in fixtures/origins/; rows already there are left alone.")

    def handle(self, *args, **options):
        try:
            added, outcomes = shipped_data_load(directory=settings.FIXTURES_DIR)
        except (DeserializationError, ValidationError, Busy) as error:
            raise CommandError(f"The shipped data could not be loaded, nothing was changed: {error}") from None
        for outcome in outcomes:
            self.stdout.write(str(outcome))
        broken = [outcome for outcome in outcomes if outcome.failed]
        if broken:
            raise CommandError(f"{len(broken)} shipped feed(s) could not be loaded; the others were.")
        if not added:
            self.stdout.write("Shipped data: already loaded, nothing to add.")
            return
        summary = ", ".join(f"{count} {name}" for name, count in sorted(added.items()))
        self.stdout.write(self.style.SUCCESS(f"Shipped data: added {summary}."))
