"""Argon2 that counts every password hash in Redis: how the integration tests see hasher calls.

A known user's check is one ``verify``; an unknown user's is one ``encode`` (ModelBackend hashes
the password anyway to equalise timing): one count per password check either way.
"""

from __future__ import annotations

import os
from typing import Any

from django_apisec.abuse.hashing import Argon2idPasswordHasher

COUNTER_KEY = "apisec-test:password-hashes"
_client: Any = None


def count() -> None:
    """Add one to the counter (one client per worker process)."""
    global _client  # noqa: PLW0603
    if _client is None:
        import redis

        _client = redis.Redis.from_url(os.environ["APISEC_TEST_HASH_COUNTER_URL"])
    _client.incr(COUNTER_KEY)


class CountingArgon2PasswordHasher(Argon2idPasswordHasher):
    """The Argon2 ``harden()`` installs (same algorithm name, same hashes) plus a count per hash."""

    def verify(self, password: str, encoded: str) -> bool:
        count()
        return super().verify(password, encoded)

    def encode(self, password: str, salt: str) -> str:
        count()
        return super().encode(password, salt)
