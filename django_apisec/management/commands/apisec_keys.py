"""``manage.py apisec_keys list|create|revoke|rotate``: API keys from the command line."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from django_apisec.apikeys.keys import issue_key, revoke_key, rotate_key
from django_apisec.models import APIKey

if TYPE_CHECKING:
    from django.core.management.base import CommandParser


class Command(BaseCommand):
    """List, create, revoke and rotate API keys; a new key is printed once, on stdout."""

    help = "Manage django_apisec API keys: list, create, revoke, rotate."

    def add_arguments(self, parser: CommandParser) -> None:
        """``list``, ``create USER NAME --scope S``, ``revoke PREFIX...``, ``rotate PREFIX``."""
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Keys (prefix, owner, name, scopes, state).")
        listing.add_argument("--user", help="Only this user's keys (username).")
        create = sub.add_parser("create", help="Create a key; the key is printed once.")
        create.add_argument("username")
        create.add_argument("name")
        create.add_argument("--scope", action="append", default=[], dest="scopes")
        create.add_argument(
            "--allow",
            action="append",
            default=[],
            dest="allowed_ips",
            help="An allowed client network (CIDR); repeat for more.",
        )
        create.add_argument("--expires-in-days", type=int, default=None)
        revoke = sub.add_parser("revoke", help="Revoke keys by prefix.")
        revoke.add_argument("prefixes", nargs="+")
        rotate = sub.add_parser(
            "rotate",
            help="Create a successor; the old key keeps working for the overlap, then expires.",
        )
        rotate.add_argument("prefix")
        rotate.add_argument(
            "--overlap-minutes",
            type=int,
            default=None,
            help="Default: APISEC_API_KEY_ROTATION_OVERLAP.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the action."""
        getattr(self, f"handle_{options['action']}")(options)

    def handle_list(self, options: dict[str, Any]) -> None:
        """One line per key: prefix, owner, name, scopes, state."""
        keys = APIKey.objects.select_related("user").order_by("created_at")
        if options["user"]:
            keys = keys.filter(**{f"user__{get_user_model().USERNAME_FIELD}": options["user"]})
        now = timezone.now()
        for key in keys:
            state = "revoked" if key.revoked else "active"
            if not key.revoked and key.expires_at is not None:
                state = (
                    "expired"
                    if key.expires_at <= now
                    else f"expires {key.expires_at:%Y-%m-%dT%H:%M}Z"
                )
            scopes = ",".join(key.scopes) or "-"
            self.stdout.write(
                f"{key.prefix}\t{key.user.get_username()}\t{key.name}\t{scopes}\t{state}"
            )

    def handle_create(self, options: dict[str, Any]) -> None:
        """Create a key and print it (the only time it is shown)."""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(options["username"])
        except user_model.DoesNotExist as exc:
            raise CommandError(f"No user {options['username']!r}.") from exc
        days = options["expires_in_days"]
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            _key, raw = issue_key(
                user,
                name=options["name"],
                scopes=options["scopes"],
                expires_at=expires_at,
                allowed_ips=options["allowed_ips"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(raw)

    def handle_revoke(self, options: dict[str, Any]) -> None:
        """Revoke each key named by its prefix."""
        for prefix in options["prefixes"]:
            key = self._key(prefix)
            state = "revoked" if revoke_key(key, by="command") else "was already revoked"
            self.stdout.write(f"{prefix}: {state}")

    def handle_rotate(self, options: dict[str, Any]) -> None:
        """Print the successor key; the old one expires after the overlap."""
        key = self._key(options["prefix"])
        if key.revoked:
            raise CommandError(f"{key.prefix} is revoked; create a new key instead.")
        minutes = options["overlap_minutes"]
        _successor, raw = rotate_key(key, overlap=None if minutes is None else minutes * 60)
        self.stdout.write(raw)

    def _key(self, prefix: str) -> APIKey:
        try:
            key: APIKey = APIKey.objects.select_related("user").get(prefix=prefix)
        except APIKey.DoesNotExist as exc:
            raise CommandError(f"No API key with prefix {prefix!r}.") from exc
        return key
