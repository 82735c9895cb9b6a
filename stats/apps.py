from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db import connections
from django.db.models.signals import post_migrate


def read_paths_installed(sender, using, **kwargs):
    """Put back what a migration may have dropped: the search indexes' triggers (SQLite drops a remade table's), and
    the past views, made anew from the models' fields, once the database has every migration (views made from
    today's models over an older schema would name columns it lacks, and stop the next migration on SQLite)."""
    from django.db.migrations.executor import MigrationExecutor

    from stats import past, search

    connection = connections[using]
    search.install(connection)
    executor = MigrationExecutor(connection)
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        past.install(connection)


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = "Casualty claims"

    def ready(self):
        from conflictdata import routers
        from stats import versions

        post_migrate.connect(read_paths_installed, sender=self)
        versions.connect()
        routers.connect()  # a request reads one replica


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin, whose site asks for a second factor after the password (stats/second_factor.py)."""

    default = False  # named in INSTALLED_APPS; "stats" itself stays StatsConfig
    default_site = "stats.second_factor.AdminSite"
