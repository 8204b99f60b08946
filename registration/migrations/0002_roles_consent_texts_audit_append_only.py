from django.db import migrations

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION registration_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER registration_auditevent_no_update
    BEFORE UPDATE OR DELETE ON registration_auditevent
    FOR EACH ROW EXECUTE FUNCTION registration_auditevent_append_only();
"""
DROP_APPEND_ONLY_SQL = """
DROP TRIGGER IF EXISTS registration_auditevent_no_update ON registration_auditevent;
DROP FUNCTION IF EXISTS registration_auditevent_append_only();
"""


def create_roles_and_texts(apps, schema_editor):
    from registration.consent_texts import CONSENT_V1
    from registration.roles import ALL_ROLES

    group_model = apps.get_model("auth", "Group")
    for role in ALL_ROLES:
        group_model.objects.get_or_create(name=role)
    consent_text = apps.get_model("registration", "ConsentText")
    for (kind, language), (title, body) in CONSENT_V1.items():
        consent_text.objects.get_or_create(
            version="1", kind=kind, language=language, defaults={"title": title, "body": body, "is_current": True}
        )


def append_only_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)


def drop_append_only_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(create_roles_and_texts, migrations.RunPython.noop),
        migrations.RunPython(append_only_trigger, drop_append_only_trigger),
    ]
