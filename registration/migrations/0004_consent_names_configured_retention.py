"""Consent texts version 2 name the configured retention (`{retention_hours}`) instead of a fixed
72 hours; version 1 stays stored (records point at it) but is no longer current. A consent record
now keeps the body as shown and the retention it named."""

from django.db import migrations, models


def publish_v2(apps, schema_editor):
    from registration.consent_texts import CONSENT_V2

    consent_text = apps.get_model("registration", "ConsentText")
    for (kind, language), (title, body) in CONSENT_V2.items():
        consent_text.objects.get_or_create(
            version="2", kind=kind, language=language, defaults={"title": title, "body": body, "is_current": True}
        )
    consent_text.objects.filter(version="1").update(is_current=False)


def restore_v1(apps, schema_editor):
    consent_text = apps.get_model("registration", "ConsentText")
    consent_text.objects.filter(version="2").update(is_current=False)
    consent_text.objects.filter(version="1").update(is_current=True)


class Migration(migrations.Migration):
    dependencies = [("registration", "0003_verification_policy")]

    operations = [
        migrations.AddField(model_name="consentrecord", name="shown_body", field=models.TextField(blank=True)),
        migrations.AddField(
            model_name="consentrecord",
            name="retention_hours",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(publish_v2, restore_v1),
    ]
