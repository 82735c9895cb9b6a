"""Sync datasets from their origins, or decide the changes a sync held (README: Syncing)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from stats.models import Dataset
from stats.services import vocabularies_load
from stats.sync import decisions, lease
from stats.sync.engine import sync
from stats.sync.feeds import all_feeds


class Command(BaseCommand):
    help = ("Fetch each feed of the named datasets (all when none is named) from its origin, apply what is "
            "mechanical in one recorded write per feed and hold what is doubtful for a curator; or, with --approve "
            "or --reject, decide every held change of the datasets that has one answer.")

    def add_arguments(self, parser):
        parser.add_argument("datasets", nargs="*", metavar="DATASET", help="Dataset slugs; all when none.")
        parser.add_argument(
            "--source", action="append", default=[], metavar="FEED=ADDRESS",
            help="Read FEED (its name, or DATASET/NAME) from ADDRESS: an https:// or http:// address, or a file "
                 "path; FEED.NAME=ADDRESS for a file it also reads ({date} filled in). Only the feeds named are "
                 "synced.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would be done; change nothing.")
        decide = parser.add_mutually_exclusive_group()
        decide.add_argument("--approve", action="store_true", help="Approve every held change with one answer.")
        decide.add_argument("--reject", action="store_true", help="Reject every held change with one answer.")
        parser.add_argument("--user", help="The curator named in the record of --approve/--reject.")

    def handle(self, *args, datasets, source, dry_run, approve, reject, user, **options):
        feeds = all_feeds()
        known = {feed.dataset for feed in feeds}
        unknown = [slug for slug in datasets if slug not in known]
        if unknown:
            raise CommandError(f"no feed syncs the dataset(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        chosen = [feed for feed in feeds if not datasets or feed.dataset in datasets]
        if approve or reject:
            return self.decide(datasets, approving=approve, user=self.curator(user))
        if user:
            raise CommandError("--user names the curator of --approve or --reject")
        addresses, also = self.sources(source, chosen)
        if addresses:
            chosen = [feed for feed in chosen if feed.label in addresses]
        vocabularies_load()
        outcomes = []
        try:
            with lease.held() as held:
                for feed in chosen:
                    held.renew()
                    outcomes.append(sync(feed, address=addresses.get(feed.label), also=also.get(feed.label),
                                         allow_files=True, dry_run=dry_run))
                    self.stdout.write(str(outcomes[-1]))
        except lease.Busy as error:
            raise CommandError(str(error)) from None
        broken = [outcome for outcome in outcomes if outcome.failed]
        if broken:
            raise CommandError(f"{len(broken)} of {len(outcomes)} feed(s) failed")

    def sources(self, given: list[str], chosen: list) -> tuple[dict, dict]:
        """Return the addresses given per feed label, and per feed label its also-read files' addresses."""
        addresses, also = {}, {}
        for text in given:
            name, equals, address = text.partition("=")
            if not equals or not address:
                raise CommandError(f"--source takes FEED=ADDRESS, not '{text}'")
            name, dot, other = name.partition(".")
            matches = [feed for feed in chosen if name in (feed.name, feed.label)]
            if len(matches) != 1:
                names = ", ".join(feed.label for feed in chosen)
                raise CommandError(f"--source names '{name}', which is {'ambiguous' if matches else 'no feed'} "
                                   f"here; feeds: {names}")
            feed = matches[0]
            if dot:
                if other not in feed.also_reads:
                    raise CommandError(f"{feed.label} reads no file named '{other}' "
                                       f"(it reads: {', '.join(feed.also_reads) or 'none'})")
                also.setdefault(feed.label, {})[other] = address
            else:
                addresses[feed.label] = address
        for label in also:
            addresses.setdefault(label, next(feed for feed in chosen if feed.label == label).configured_address())
        return addresses, also

    def curator(self, name: str | None):
        if not name:
            return None
        found = get_user_model().objects.filter(username=name).first()
        if found is None:
            raise CommandError(f"no user is named '{name}'")
        return found

    def decide(self, datasets: list[str], *, approving: bool, user) -> None:
        if not datasets:
            raise CommandError("name the dataset(s) whose held changes to decide")
        for slug in datasets:
            if not Dataset.objects.filter(slug=slug).exists():
                raise CommandError(f"no dataset has the slug '{slug}'")
            done, left = decisions.decide_all(slug, approving=approving, user=user)
            verb = "approved" if approving else "rejected"
            self.stdout.write(f"{slug}: {verb} {len(done)}" + (
                f"; {left} left for the admin (a choice between rows, or an unknown claimant label)" if left else ""))
