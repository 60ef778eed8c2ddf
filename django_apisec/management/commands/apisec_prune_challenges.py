"""``manage.py apisec_prune_challenges``: delete expired MFA and passkey challenges."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from django_apisec.mfa import challenges, passkeys


class Command(BaseCommand):
    """Delete the second steps and passkey ceremonies nobody finished; run it from cron."""

    help = "Delete expired MFA challenges (mfa_token) and WebAuthn challenges."

    def handle(self, *args: Any, **options: Any) -> None:
        """Prune both kinds and report the counts."""
        mfa = challenges.prune()
        webauthn = passkeys.prune_challenges()
        self.stdout.write(f"Deleted {mfa} MFA challenge(s) and {webauthn} passkey challenge(s).")
