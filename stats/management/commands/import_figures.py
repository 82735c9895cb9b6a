"""Import figures from a CSV file in the export's columns, all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stats.importing import ImportRefused, figures_import


class Command(BaseCommand):
    help = (
        "Import figures from a CSV file with the columns of /api/v1/figures/export/ (id and updated_at ignored). "
        "One bad row imports nothing; importing the same file twice changes nothing the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The CSV file (UTF-8; a byte-order mark is accepted).")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and say what would change.")

    def handle(self, *args, path, dry_run, **options):
        def progress(message):
            self.stderr.write(f"  {message}")

        try:
            result = figures_import(source=path, dry_run=dry_run, progress=progress)
        except ImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(f"{path}: {error}")
            raise CommandError(f"{path}: nothing was imported ({len(refused.errors)} problem"
                               f"{'' if len(refused.errors) == 1 else 's'} shown above).") from None
        self.stdout.write(str(result))
