from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def read_paths_installed(sender, using, **kwargs):
    """Put back what a migration may have dropped: the search indexes' triggers (SQLite drops a remade table's), and
    the past views, made anew from the models' fields."""
    from stats import past, search

    search.install(connections[using])
    past.install(connections[using])


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = "Casualty claims"

    def ready(self):
        from stats import versions

        post_migrate.connect(read_paths_installed, sender=self)
        versions.connect()
