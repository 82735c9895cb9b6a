"""Create the group `curators`, holding add/change/delete/view on every model of the app."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CURATED_MODELS = ["conflict", "party", "source", "report", "category", "figure"]
ACTIONS = ["add", "change", "delete", "view"]


def create_curators(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); on a fresh database they do not
    # exist yet, so create them now for this app.
    stats_config = apps.get_app_config("stats")
    stats_config.models_module = True
    create_permissions(stats_config, verbosity=0, apps=apps)
    stats_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    curators, _created = Group.objects.get_or_create(name="curators")
    codenames = [f"{action}_{model}" for model in CURATED_MODELS for action in ACTIONS]
    curators.permissions.add(*Permission.objects.filter(content_type__app_label="stats", codename__in=codenames))


def remove_curators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="curators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_curators, remove_curators)]
