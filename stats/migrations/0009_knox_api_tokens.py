"""API tokens move to knox (digests only): curators may view, make and delete their own, and the plaintext keys of
DRF's authtoken are dropped with its table (README: Becoming a curator, on re-issuing tokens)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TOKEN_CODENAMES = ["add_authtoken", "delete_authtoken", "view_authtoken"]


def let_curators_keep_their_tokens(apps, schema_editor):
    # As in 0002: the permissions are made after all migrations on a fresh database, so make knox's now.
    knox_config = apps.get_app_config("knox")
    knox_config.models_module = True
    create_permissions(knox_config, verbosity=0, apps=apps)
    knox_config.models_module = None
    curators = apps.get_model("auth", "Group").objects.filter(name="curators").first()
    if curators is not None:
        curators.permissions.add(
            *apps.get_model("auth", "Permission").objects.filter(
                content_type__app_label="knox", codename__in=TOKEN_CODENAMES
            )
        )


def take_tokens_back(apps, schema_editor):
    curators = apps.get_model("auth", "Group").objects.filter(name="curators").first()
    if curators is not None:
        curators.permissions.remove(
            *apps.get_model("auth", "Permission").objects.filter(
                content_type__app_label="knox", codename__in=TOKEN_CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0008_redactions"),
        ("knox", "0009_extend_authtoken_field"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(let_curators_keep_their_tokens, take_tokens_back),
        # DRF's authtoken is no longer installed, but its table (if it was ever made) still holds working keys in
        # plain text: drop it, and forget its migrations so that it could be installed again.
        migrations.RunSQL(
            ["DROP TABLE IF EXISTS authtoken_token", "DELETE FROM django_migrations WHERE app = 'authtoken'"],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
