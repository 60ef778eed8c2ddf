from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

# Development-only demo accounts; the command refuses to run in production.
DEMO_USERS = {
    "alice": "alice-demo-passphrase",
    "bob": "bob-demo-passphrase",
}


class Command(BaseCommand):
    help = "Create the demo users alice and bob (development profile only)."

    def handle(self, *args, **options):
        if getattr(settings, "APISEC_PROFILE", "production") != "development":
            raise CommandError("Demo users exist in the development profile only.")
        User = get_user_model()  # noqa: N806
        for username, password in DEMO_USERS.items():
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            if created:
                user.set_password(password)
                user.save()
            self.stdout.write(f"{username} / {password} ({'created' if created else 'exists'})")
