"""The face thresholds an admin set record the matcher they were set for; the ones set before were Dlib's."""

from django.db import migrations, models


def overrides_were_dlibs(apps, schema_editor):  # noqa: ANN001, ANN201 - migration signature
    policy = apps.get_model("registration", "VerificationPolicy")
    policy.objects.filter(
        models.Q(face_accept_threshold__isnull=False) | models.Q(face_reject_threshold__isnull=False)
    ).update(face_thresholds_matcher="dlib")


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0008_privacy_retention"),
    ]

    operations = [
        migrations.AddField(
            model_name="verificationpolicy",
            name="face_thresholds_matcher",
            field=models.CharField(
                blank=True, default="", editable=False, max_length=40, verbose_name="face thresholds set for matcher"
            ),
        ),
        migrations.AlterField(
            model_name="verificationpolicy",
            name="face_accept_threshold",
            field=models.FloatField(
                blank=True,
                help_text="Approve at this score or closer, in the unit of the face matcher in use (shown above).",
                null=True,
                verbose_name="face approve threshold",
            ),
        ),
        migrations.AlterField(
            model_name="verificationpolicy",
            name="face_reject_threshold",
            field=models.FloatField(
                blank=True,
                help_text="Reject when the score is farther than this, in the unit of the face matcher in use.",
                null=True,
                verbose_name="face reject threshold",
            ),
        ),
        migrations.RunPython(overrides_were_dlibs, migrations.RunPython.noop),
    ]
