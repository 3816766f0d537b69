"""Roles as groups, and the database's refusal to update a Resolution row in place."""

from django.db import migrations

ANALYST_PERMISSIONS = {
    "source": ["view", "add", "change"],
    "analyst": ["view", "add", "change"],
    "analystalias": ["view", "add", "change"],
    "topic": ["view", "add", "change"],
    "question": ["view", "add", "change"],
    "prediction": ["view", "add", "change"],
    "probabilityphrase": ["view"],
    "resolution": ["view", "add"],
    "resolutioncheck": ["view", "change"],
}
READER_PERMISSIONS = {model: ["view"] for model in ANALYST_PERMISSIONS}

SQLITE_TRIGGER = """
CREATE TRIGGER forecasts_resolution_append_only BEFORE UPDATE ON forecasts_resolution
BEGIN SELECT RAISE(ABORT, 'forecasts_resolution rows are append-only'); END;
"""
POSTGRES_TRIGGER = """
CREATE OR REPLACE FUNCTION forecasts_resolution_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'forecasts_resolution rows are append-only'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER forecasts_resolution_append_only BEFORE UPDATE ON forecasts_resolution
FOR EACH ROW EXECUTE FUNCTION forecasts_resolution_append_only();
"""
DROP_TRIGGER = {
    "sqlite": "DROP TRIGGER IF EXISTS forecasts_resolution_append_only;",
    "postgresql": "DROP TRIGGER IF EXISTS forecasts_resolution_append_only ON forecasts_resolution;"
    " DROP FUNCTION IF EXISTS forecasts_resolution_append_only();",
}


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in (("analysts", ANALYST_PERMISSIONS), ("api-readers", READER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [f"{action}_{model}" for model, actions in grants.items() for action in actions]
        group.permissions.set(Permission.objects.filter(content_type__app_label="forecasts", codename__in=codenames))


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["analysts", "api-readers"]).delete()


def create_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_TRIGGER)


def drop_trigger(apps, schema_editor):
    sql = DROP_TRIGGER.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("forecasts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_groups, delete_groups),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
