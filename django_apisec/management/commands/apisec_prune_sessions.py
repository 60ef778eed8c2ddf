"""``manage.py apisec_prune_sessions``: delete expired and revoked login sessions in batches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand

from django_apisec.conf import apisec_settings
from django_apisec.jwt.families import prune_sessions

if TYPE_CHECKING:
    from django.core.management.base import CommandParser


class Command(BaseCommand):
    """Delete dead token families; run it from cron, e.g. hourly, besides the login-time pruning."""

    help = "Delete expired and revoked JWT sessions (token families) in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--batch-size``: rows per DELETE statement."""
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Rows deleted per statement (default: APISEC_JWT_PRUNE_BATCH_SIZE).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Prune until nothing dead is left and report the count."""
        size = options["batch_size"] or apisec_settings.JWT_PRUNE_BATCH_SIZE
        deleted = prune_sessions(batch_size=max(1, size))
        self.stdout.write(f"Deleted {deleted} expired or revoked session(s).")
