"""Encryption at rest of TOTP secrets: AES-256-GCM with a key derived from ``SECRET_KEY``.

A TOTP secret must be readable by the server (it computes the expected code), so it cannot be
hashed; encrypting it means a database dump alone (a backup, a read-only SQL injection) does not
yield the secrets. The key is derived with HKDF-SHA256 from ``SECRET_KEY``; values encrypted under
a key in ``SECRET_KEY_FALLBACKS`` still decrypt, so ``SECRET_KEY`` rotates as Django documents.
The user's primary key is authenticated data: a ciphertext copied onto another user's row does
not decrypt.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

#: Binds the derived key to this one use of ``SECRET_KEY``.
KEY_INFO = b"django_apisec.mfa.totp-secret"
VERSION = "v1"
NONCE_BYTES = 12


class UndecryptableSecret(Exception):  # noqa: N818 - reads as what it is
    """No current or fallback ``SECRET_KEY`` decrypts the stored value."""


def _key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO)
    return hkdf.derive(secret_key.encode())


def _keys() -> list[bytes]:
    fallbacks = getattr(settings, "SECRET_KEY_FALLBACKS", [])
    return [_key(settings.SECRET_KEY), *(_key(key) for key in fallbacks)]


def encrypt(plaintext: str, *, context: str) -> str:
    """``v1:<base64url(nonce + ciphertext)>`` of ``plaintext`` bound to ``context``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_keys()[0]).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(value: str, *, context: str) -> str:
    """The plaintext of :func:`encrypt`'s ``value``; raises :class:`UndecryptableSecret`."""
    version, _, payload = value.partition(":")
    if version != VERSION:
        raise UndecryptableSecret(version)
    raw = base64.urlsafe_b64decode(payload.encode())
    nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    for key in _keys():
        plaintext = _open(key, nonce, sealed, context)
        if plaintext is not None:
            return plaintext
    raise UndecryptableSecret(version)


def _open(key: bytes, nonce: bytes, sealed: bytes, context: str) -> str | None:
    try:
        return AESGCM(key).decrypt(nonce, sealed, context.encode()).decode()
    except InvalidTag:
        return None
