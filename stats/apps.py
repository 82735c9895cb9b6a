from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def search_indexes_installed(sender, using, **kwargs):
    """Put back the search indexes' triggers if a migration dropped them (SQLite drops a remade table's)."""
    from stats import search

    search.install(connections[using])


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = "Casualty claims"

    def ready(self):
        post_migrate.connect(search_indexes_installed, sender=self)
