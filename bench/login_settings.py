"""The testproject's production settings with the Argon2 parameters chosen by ``BENCH_ARGON2``
(bench/login_cost.py): ``django`` (Django's Argon2PasswordHasher, the default ``harden()``
installs) or ``owasp`` (OWASP's minimum, for comparison only)."""

import os

from testproject.settings import *  # noqa: F403
from testproject.settings import PASSWORD_HASHERS

if os.environ.get("BENCH_ARGON2") == "owasp":
    PASSWORD_HASHERS = ["bench.login_cost.OwaspMinimumArgon2", *PASSWORD_HASHERS]
