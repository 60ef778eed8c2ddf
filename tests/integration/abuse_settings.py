"""The testproject's production settings, with an Argon2 that counts each hash in Redis
(``abuse_hashers``), so the abuse integration tests can see how many password checks ran.

Everything else, the throttle classes included, is exactly ``testproject.settings`` under
``APISEC_PROFILE=production``.
"""

from testproject.settings import *  # noqa: F403
from testproject.settings import PASSWORD_HASHERS

PASSWORD_HASHERS = [
    "tests.integration.abuse_hashers.CountingArgon2PasswordHasher",
    # Any other argon2 hasher would verify the argon2 hashes instead (the last one of an algorithm
    # does), uncounted.
    *(name for name in PASSWORD_HASHERS if "Argon2" not in name),
]
