"""Write the API reference's examples, asked of the API over the data in the database, to stats/api/examples.json."""

from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError

from stats.api.examples import EXAMPLES_FILE, examples_generate, examples_write


class Command(BaseCommand):
    help = ("Ask the API the questions of the reference's examples and write the answers (and the write bodies, "
            "checked by sending them, then rolled back) to stats/api/examples.json. Run it on a database loaded "
            "with `load_shipped_data` alone.")

    def handle(self, *args, **options):
        try:
            examples = examples_generate()
        except ObjectDoesNotExist as error:
            raise CommandError(f"The shipped data is not loaded ({error}); nothing was written.") from None
        except AssertionError as error:
            raise CommandError(
                f"An example could not be asked (is the shipped data loaded?), nothing was written: {error}"
            ) from None
        examples_write(examples)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(examples)} examples to {EXAMPLES_FILE}."))
