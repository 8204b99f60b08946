"""The registration tables as they stood before the first production database (0001-0007 of the
development history, squashed into one), then the reference rows: the roles, the consent texts
(version 1, then version 2 current, which names the configured retention), and the trigger that
keeps the audit log append-only on PostgreSQL."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

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


def publish_v2(apps, schema_editor):
    """Version 2 names the configured retention (`{retention_hours}`) instead of a fixed 72 hours;
    version 1 stays stored but is no longer current."""
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

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name='Outlet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=16, unique=True, verbose_name='code')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('address', models.CharField(blank=True, max_length=400, verbose_name='address')),
            ],
            options={
                'ordering': ['code'],
                'verbose_name': 'outlet',
                'verbose_name_plural': 'outlets',
            },
        ),
        migrations.CreateModel(
            name='VerificationPolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('face_accept_threshold', models.FloatField(blank=True, help_text='Approve at or below this distance.', null=True, verbose_name='face approve threshold')),
                ('face_reject_threshold', models.FloatField(blank=True, help_text='Reject above this distance.', null=True, verbose_name='face reject threshold')),
                ('evidence_retention_hours', models.PositiveIntegerField(blank=True, null=True, verbose_name='evidence retention (hours)')),
                ('max_active_numbers_per_id', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='most active numbers per document')),
                ('session_ttl_seconds', models.PositiveIntegerField(blank=True, null=True, verbose_name='session time (seconds)')),
                ('max_liveness_attempts', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='live check attempts')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('light_challenge', models.BooleanField(blank=True, help_text='Add the screen-light step to the live check (the customer may choose more actions instead).', null=True, verbose_name='screen-light step')),
            ],
            options={
                'verbose_name': 'verification policy',
                'verbose_name_plural': 'verification policy',
            },
        ),
        migrations.CreateModel(
            name='ConsentText',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.CharField(max_length=32, verbose_name='version')),
                ('kind', models.CharField(choices=[('face_processing', 'Face processing'), ('guardian', "Guardian's consent for a minor")], default='face_processing', max_length=32, verbose_name='kind')),
                ('language', models.CharField(max_length=16, verbose_name='language')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('body', models.TextField(verbose_name='text')),
                ('is_current', models.BooleanField(default=True, verbose_name='current')),
                ('published_at', models.DateTimeField(auto_now_add=True, verbose_name='published')),
            ],
            options={
                'verbose_name': 'consent text',
                'verbose_name_plural': 'consent texts',
                'constraints': [models.UniqueConstraint(fields=('version', 'kind', 'language'), name='unique_consent_text_version')],
            },
        ),
        migrations.CreateModel(
            name='IdentityDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('document_type', models.CharField(choices=[('prc_id', 'PRC resident identity card'), ('passport', 'Passport'), ('hk_macao_permit', 'Mainland travel permit for Hong Kong and Macao residents'), ('taiwan_permit', 'Mainland travel permit for Taiwan residents')], max_length=32, verbose_name='document type')),
                ('number_hash', models.CharField(max_length=64, verbose_name='number hash')),
                ('number_encrypted', models.BinaryField(verbose_name='encrypted number')),
                ('number_key_id', models.CharField(max_length=32, verbose_name='number key')),
                ('number_masked', models.CharField(max_length=32, verbose_name='document number (masked)')),
                ('birth_date', models.DateField(blank=True, null=True, verbose_name='date of birth')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
            ],
            options={
                'verbose_name': 'data subject (ID document)',
                'verbose_name_plural': 'data subjects (ID documents)',
                'constraints': [models.UniqueConstraint(fields=('document_type', 'number_hash'), name='unique_identity_document')],
            },
        ),
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('actor_label', models.CharField(max_length=150, verbose_name='actor name')),
                ('action', models.CharField(db_index=True, max_length=64, verbose_name='action')),
                ('object_type', models.CharField(max_length=64, verbose_name='object type')),
                ('object_id', models.CharField(db_index=True, max_length=64, verbose_name='object')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='time')),
                ('details', models.JSONField(blank=True, default=dict, verbose_name='details')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                ('outlet', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='registration.outlet', verbose_name='outlet')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'verbose_name': 'audit event',
                'verbose_name_plural': 'audit log',
            },
        ),
        migrations.CreateModel(
            name='StaffProfile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('outlet', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='staff', to='registration.outlet', verbose_name='outlet')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='staff_profile', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'staff profile',
                'verbose_name_plural': 'staff profiles',
            },
        ),
        migrations.CreateModel(
            name='Subscriber',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('full_name', models.CharField(max_length=200, verbose_name='full name')),
                ('phone_number', models.CharField(db_index=True, max_length=16, verbose_name='phone number')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('active', 'Active'), ('rejected', 'Rejected')], default='pending', max_length=16, verbose_name='status')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('activated_at', models.DateTimeField(blank=True, null=True, verbose_name='activated')),
                ('document', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='subscribers', to='registration.identitydocument', verbose_name='document')),
                ('outlet', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='subscribers', to='registration.outlet', verbose_name='outlet')),
            ],
            options={
                'verbose_name': 'subscriber',
                'verbose_name_plural': 'subscribers',
            },
        ),
        migrations.CreateModel(
            name='VerificationSession',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False, verbose_name='session number')),
                ('state', models.CharField(choices=[('created', 'Created'), ('consented', 'Consented'), ('document_captured', 'Document captured'), ('liveness_running', 'Live check running'), ('liveness_passed', 'Live check passed'), ('liveness_failed', 'Live check failed'), ('matching', 'Comparing faces'), ('manual_review', 'Manual review'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('expired', 'Expired'), ('cancelled', 'Cancelled')], db_index=True, default='created', max_length=24, verbose_name='state')),
                ('challenge_plan', models.JSONField(blank=True, default=list, verbose_name='challenge plan')),
                ('challenge_nonce', models.CharField(blank=True, max_length=64, verbose_name='challenge nonce')),
                ('non_biometric', models.BooleanField(default=False, verbose_name='checked by hand')),
                ('alternative_reason', models.CharField(blank=True, max_length=400, verbose_name='why by hand')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='created')),
                ('expires_at', models.DateTimeField(verbose_name='expires')),
                ('consented_at', models.DateTimeField(blank=True, null=True, verbose_name='consented')),
                ('document_captured_at', models.DateTimeField(blank=True, null=True, verbose_name='document photographed')),
                ('liveness_started_at', models.DateTimeField(blank=True, null=True, verbose_name='live check started')),
                ('liveness_finished_at', models.DateTimeField(blank=True, null=True, verbose_name='live check finished')),
                ('matching_started_at', models.DateTimeField(blank=True, null=True, verbose_name='comparison started')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('attempt_count', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('liveness_passed', models.BooleanField(blank=True, null=True, verbose_name='live check passed')),
                ('liveness_reasons', models.JSONField(blank=True, default=list, verbose_name='live check reasons')),
                ('liveness_detail', models.JSONField(blank=True, default=dict, verbose_name='live check detail')),
                ('match_distance', models.FloatField(blank=True, null=True, verbose_name='face distance')),
                ('match_threshold', models.FloatField(blank=True, null=True, verbose_name='comparison threshold')),
                ('match_model', models.CharField(blank=True, max_length=64, verbose_name='comparison model')),
                ('match_detail', models.JSONField(blank=True, default=dict, verbose_name='comparison detail')),
                ('decision', models.CharField(blank=True, max_length=16, verbose_name='decision')),
                ('decision_reasons', models.JSONField(blank=True, default=list, verbose_name='decision reasons')),
                ('decision_note', models.CharField(blank=True, max_length=1000, verbose_name='decision note')),
                ('evidence_purge_after', models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='evidence purged after')),
                ('clerk', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='clerk')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                ('outlet', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='sessions', to='registration.outlet', verbose_name='outlet')),
                ('subscriber', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='sessions', to='registration.subscriber', verbose_name='subscriber')),
            ],
            options={
                'ordering': ['-created_at'],
                'verbose_name': 'verification session',
                'verbose_name_plural': 'verification sessions',
            },
        ),
        migrations.CreateModel(
            name='Evidence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('id_portrait', 'ID portrait'), ('live_frame', 'Live frame'), ('liveness_trace', 'Liveness feature trace'), ('live_frames_extra', 'Extra live frames (deleted after the match)')], max_length=32, verbose_name='kind')),
                ('content_type', models.CharField(max_length=64, verbose_name='content type')),
                ('key_id', models.CharField(max_length=32, verbose_name='key')),
                ('ciphertext', models.BinaryField(verbose_name='ciphertext')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='evidence', to='registration.verificationsession', verbose_name='session')),
            ],
            options={
                'verbose_name_plural': 'evidence',
                'verbose_name': 'evidence',
            },
        ),
        migrations.CreateModel(
            name='ConsentRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('face_processing', 'Face processing'), ('guardian', "Guardian's consent for a minor")], max_length=32, verbose_name='kind')),
                ('given_at', models.DateTimeField(auto_now_add=True, verbose_name='given')),
                ('channel', models.CharField(default='tablet', max_length=32, verbose_name='channel')),
                ('guardian_name', models.CharField(blank=True, max_length=200, verbose_name="guardian's name")),
                ('guardian_document_masked', models.CharField(blank=True, max_length=32, verbose_name="guardian's document (masked)")),
                ('guardian_document_hash', models.CharField(blank=True, max_length=64, verbose_name="guardian's document hash")),
                ('shown_body', models.TextField(blank=True, verbose_name='text as shown')),
                ('retention_hours', models.PositiveIntegerField(blank=True, null=True, verbose_name='retention (hours)')),
                ('consent_text', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registration.consenttext', verbose_name='consent text')),
                ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='registration.verificationsession', verbose_name='session')),
            ],
            options={
                'verbose_name': 'consent record',
                'verbose_name_plural': 'consent records',
            },
        ),
        migrations.CreateModel(
            name='ManualReviewSession',
            fields=[
            ],
            options={
                'verbose_name': 'case waiting for review',
                'verbose_name_plural': 'manual review queue',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('registration.verificationsession',),
        ),
        migrations.AddConstraint(
            model_name='subscriber',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'active')), fields=('phone_number',), name='unique_active_phone_number'),
        ),
        migrations.AddIndex(
            model_name='verificationsession',
            index=models.Index(fields=['outlet', '-created_at'], name='registratio_outlet__fb1387_idx'),
        ),
        migrations.AddConstraint(
            model_name='evidence',
            constraint=models.UniqueConstraint(fields=('session', 'kind'), name='one_evidence_per_kind'),
        ),
        migrations.RunPython(create_roles_and_texts, migrations.RunPython.noop),
        migrations.RunPython(append_only_trigger, drop_append_only_trigger),
        migrations.RunPython(publish_v2, restore_v1),
    ]
