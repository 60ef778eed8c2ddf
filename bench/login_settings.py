"""The testproject's production settings with the Argon2 parameters chosen by ``BENCH_ARGON2``
(bench/login_cost.py, bench/login_flood.py): ``django`` (Django's Argon2PasswordHasher, 100 MiB,
t=2, p=8: what ``harden()`` installed before issue 16) or ``owasp`` (OWASP's recommended 19 MiB,
t=2, p=1: ``django_apisec.abuse.hashing.Argon2idPasswordHasher``, what ``harden()`` installs
now)."""

import os

from testproject.settings import *  # noqa: F403
from testproject.settings import PASSWORD_HASHERS

if os.environ.get("BENCH_ARGON2") == "django":
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        *(name for name in PASSWORD_HASHERS if "Argon2" not in name),
    ]
