"""The canonical form of a username: one account, one spelling, one lockout counter.

``Alice``, ``alice `` and full-width ``alice`` (U+FF41...) are different strings that a person
reads as one name. Every counter that is about an account (lockout, the login throttle per
account) is keyed on :func:`canonical_username`, so an attacker cannot get a fresh counter by
respelling the name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model

__all__ = ["canonical_username", "submitted_username", "username_field"]

# Folds applied: every code point is stable after one (a test checks all of Unicode).
FOLD_ROUNDS = 2


def canonical_username(value: object) -> str:
    """NFKC, case-folded, trimmed: the key of every per-account counter.

    NFKC folds compatibility forms (full-width letters, ligatures, the ideographic space);
    ``casefold`` is Unicode's caseless matching (``ß`` and ``ss`` agree). Folding the upper case too
    merges the letters that only meet through it: Turkish dotless i (U+0131) upper-cases to ``I``,
    so a database that compares case-insensitively finds the account ``ivan`` spelt with it — that
    spelling must not get a counter of its own. Folding twice makes the result stable (idempotent);
    trimming removes the spaces people and attackers add.
    """
    text = unicodedata.normalize("NFKC", str(value))
    # One fold reaches the fixed point for every code point; the second covers sequences where
    # NFKC composes across a folded letter.
    for _ in range(FOLD_ROUNDS):
        text = unicodedata.normalize("NFKC", text.upper().casefold())
    return text.strip()


def username_field() -> str:
    """The user model's ``USERNAME_FIELD`` (``"username"`` for Django's user)."""
    return str(get_user_model().USERNAME_FIELD)


def submitted_username(credentials: Mapping[str, Any] | Any) -> str | None:
    """The username in login credentials (``authenticate()`` kwargs or a request body).

    Django's ``ModelBackend`` accepts either ``username`` or the model's ``USERNAME_FIELD``;
    so does this. ``None`` when absent or not a string-like value.
    """
    if not isinstance(credentials, Mapping):
        return None
    value = credentials.get("username")
    if value is None:
        value = credentials.get(username_field())
    if value is None or isinstance(value, (Mapping, list, tuple, set)):
        return None
    return str(value)
