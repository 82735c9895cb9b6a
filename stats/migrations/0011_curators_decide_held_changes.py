"""Let the group `curators` see the feeds and the changes their syncs hold, and approve or reject those changes."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_feed", "view_heldchange", "decide_heldchange"]


def grant(apps, schema_editor):
    # As in 0002: on a fresh database the permissions are created only after every migration ran (post_migrate).
    stats_config = apps.get_app_config("stats")
    stats_config.models_module = True
    create_permissions(stats_config, verbosity=0, apps=apps)
    stats_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    curators, _created = Group.objects.get_or_create(name="curators")
    curators.permissions.add(*Permission.objects.filter(content_type__app_label="stats", codename__in=CODENAMES))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for curators in Group.objects.filter(name="curators"):
        curators.permissions.remove(*Permission.objects.filter(content_type__app_label="stats",
                                                               codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0010_sync_feeds"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
