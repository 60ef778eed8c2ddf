"""TokenFamily: one row per login session (token ids only)."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TokenFamily",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("current_jti", models.CharField(max_length=64)),
                ("previous_jti", models.CharField(blank=True, default="", max_length=64)),
                ("rotated_at", models.DateTimeField(blank=True, null=True)),
                ("generation", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField()),
                ("idle_expires_at", models.DateTimeField()),
                ("absolute_expires_at", models.DateTimeField()),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_reason", models.CharField(blank=True, default="", max_length=32)),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "token family",
                "verbose_name_plural": "token families",
                "indexes": [
                    models.Index(fields=["user", "revoked_at"], name="apisec_family_user_revoked"),
                    models.Index(fields=["idle_expires_at"], name="apisec_family_expiry"),
                ],
            },
        ),
    ]
