"""``manage.py apisec_lockout list`` / ``unlock USERNAME...``: inspect and lift account locks."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand

from django_apisec.abuse import lockout
from django_apisec.abuse.usernames import canonical_username

if TYPE_CHECKING:
    from django.core.management.base import CommandParser


class Command(BaseCommand):
    """List locked accounts, or unlock some."""

    help = "List accounts locked by django_apisec's lockout, or unlock them."

    def add_arguments(self, parser: CommandParser) -> None:
        """``list`` or ``unlock USERNAME [USERNAME ...]``."""
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="Locked accounts (canonical username, unlock time).")
        unlock = sub.add_parser("unlock", help="Unlock accounts and forget their lock level.")
        unlock.add_argument("usernames", nargs="+")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the action."""
        if options["action"] == "list":
            accounts = lockout.locked_accounts()
            if not accounts:
                self.stdout.write("No account is locked.")
            for name, until in accounts.items():
                end = datetime.datetime.fromtimestamp(until, tz=datetime.timezone.utc)
                self.stdout.write(f"{name}\tlocked until {end.isoformat(timespec='seconds')}")
            return
        for name in options["usernames"]:
            was_locked = lockout.unlock(name, by="command")
            state = "unlocked" if was_locked else "was not locked; counters cleared"
            self.stdout.write(f"{canonical_username(name)}: {state}")
