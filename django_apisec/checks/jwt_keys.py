"""simplejwt signing key and algorithm checks (``apisec.E201``-``E205``).

The signing key must be its own random value, long enough for its HMAC algorithm; the algorithm
must exist, sign, and be able to run here. Like every simplejwt check they run only where
simplejwt is in use (see :mod:`django_apisec.checks.jwt`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jwt.algorithms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

from django_apisec.checks.introspection import as_items
from django_apisec.checks.jwt import simple_jwt_setting, simplejwt_in_use
from django_apisec.checks.registry import config_check, deploy_check, emit, error

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E201 = error(
    "apisec.E201",
    "SIMPLE_JWT['SIGNING_KEY'] {reason}: whoever learns SECRET_KEY (or an old one) can forge "
    "access tokens for any user, and rotating one key rotates both.",
    "Set SIMPLE_JWT['SIGNING_KEY'] to its own random value, e.g. from the "
    'APISEC_JWT_SIGNING_KEY environment variable: python -c "import secrets; '
    'print(secrets.token_urlsafe(64))".',
)
E202 = error(
    "apisec.E202",
    "The JWT signing key is {length} bytes long; {algorithm} needs at least {minimum} (the "
    "length of its hash output) or it can be brute-forced offline from one token.",
    'Use a random key of at least {minimum} bytes, e.g. python -c "import secrets; '
    'print(secrets.token_urlsafe(64))".',
)
E203 = error(
    "apisec.E203",
    "The JWT signing key is guessable: {reason}. Anyone can forge access tokens.",
    'Use a random key: python -c "import secrets; print(secrets.token_urlsafe(64))".',
)
E204 = error(
    "apisec.E204",
    "SIMPLE_JWT['ALGORITHM'] is {algorithm!r}: {reason}.",
    "Use HS256, HS384 or HS512 with a random key, or an asymmetric algorithm (RS256, ES256, "
    "EdDSA, ...) with the cryptography package installed.",
)
E205 = error(
    "apisec.E205",
    "SIMPLE_JWT['ALGORITHM'] is {algorithm} but neither SIMPLE_JWT['VERIFYING_KEY'] nor "
    "SIMPLE_JWT['JWK_URL'] is set: no token can be verified, so every request with a token "
    "fails.",
    "Set SIMPLE_JWT['VERIFYING_KEY'] to the public key (PEM) matching SIGNING_KEY, or "
    "JWK_URL to an https:// JWKS endpoint.",
)

HMAC_MINIMUM_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
ASYMMETRIC = frozenset(jwt.algorithms.requires_cryptography)
SUPPORTED = frozenset(HMAC_MINIMUM_BYTES) | ASYMMETRIC
MIN_DISTINCT_KEY_BYTES = 8
# Keys from tutorials, jwt.io and framework docs; a key made of one of them repeated is as weak.
WEAK_KEYS = frozenset(
    {
        "a-string-secret-at-least-256-bits-long",
        "change-me",
        "change_me",
        "changeme",
        "default",
        "jwt-secret",
        "jwt_secret",
        "jwtsecret",
        "key",
        "my-secret",
        "my-secret-key",
        "mysecret",
        "mysecretkey",
        "password",
        "secret",
        "secret-key",
        "secret_key",
        "secretkey",
        "super-secret",
        "supersecret",
        "supersecretkey",
        "test",
        "your-256-bit-secret",
        "your-384-bit-secret",
        "your-512-bit-secret",
        "your-secret-key",
        "your_secret_key",
    }
)
SEPARATORS = " -_.:"


def _as_bytes(value: Any) -> bytes | None:
    """A key as PyJWT signs with it (UTF-8), or ``None`` when it is not a string at all."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return None


def _secret_key() -> bytes | None:
    try:
        return _as_bytes(getattr(settings, "SECRET_KEY", ""))
    except ImproperlyConfigured:  # Django refuses to hand out an empty SECRET_KEY
        return None


def _configured_signing_key() -> tuple[bool, Any]:
    configured = getattr(settings, "SIMPLE_JWT", None)
    if isinstance(configured, Mapping) and "SIGNING_KEY" in configured:
        return True, configured["SIGNING_KEY"]
    return False, None


def signing_key() -> bytes | None:
    """The key simplejwt signs with: ``SIGNING_KEY``, or ``SECRET_KEY`` when it is not set."""
    present, key = _configured_signing_key()
    return _as_bytes(key) if present else _secret_key()


def _algorithm() -> str | None:
    value = simple_jwt_setting("ALGORITHM")
    return value if isinstance(value, str) else None


@deploy_check
def check_signing_key_separate(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E201: the JWT signing key is set and is not (an old) SECRET_KEY."""
    if not simplejwt_in_use():
        return []
    present, raw = _configured_signing_key()
    if not present:
        return [emit(E201, reason="is not set, so simplejwt signs with SECRET_KEY")]
    key = _as_bytes(raw)
    if not key:
        return [emit(E201, reason="is empty or not a string")]
    if key == _secret_key():
        return [emit(E201, reason="is SECRET_KEY")]
    fallbacks = as_items(getattr(settings, "SECRET_KEY_FALLBACKS", []))
    if any(key == _as_bytes(old) for old in fallbacks):
        return [emit(E201, reason="is one of SECRET_KEY_FALLBACKS")]
    return []


@deploy_check
def check_hmac_key_length(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E202: an HMAC key is at least as long as the hash output."""
    algorithm = _algorithm()
    key = signing_key()
    if not simplejwt_in_use() or algorithm not in HMAC_MINIMUM_BYTES or not key:
        return []
    minimum = HMAC_MINIMUM_BYTES[algorithm]
    if len(key) >= minimum:
        return []
    return [emit(E202, length=len(key), algorithm=algorithm, minimum=minimum)]


def key_weakness(key: bytes) -> str | None:
    """Why an HMAC key is guessable, or ``None``."""
    text = key.decode(errors="replace").strip().lower()
    for weak in sorted(WEAK_KEYS):
        if text == weak or not text.replace(weak, "").strip(SEPARATORS):
            return f"it is (a repetition of) the well-known key {weak!r}"
    if len(set(key)) < MIN_DISTINCT_KEY_BYTES:
        return f"it has fewer than {MIN_DISTINCT_KEY_BYTES} distinct characters"
    return None


@deploy_check
def check_hmac_key_strength(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E203: an HMAC key is not a well-known or low-variety value."""
    key = signing_key()
    if not simplejwt_in_use() or _algorithm() not in HMAC_MINIMUM_BYTES or not key:
        return []
    reason = key_weakness(key)
    return [emit(E203, reason=reason)] if reason else []


@config_check
def check_algorithm(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E204: the algorithm exists, signs, and can run here."""
    if not simplejwt_in_use():
        return []
    algorithm = simple_jwt_setting("ALGORITHM")
    if isinstance(algorithm, str) and algorithm.lower() == "none":
        reason = "unsigned tokens, which anyone can write"
    elif not isinstance(algorithm, str) or algorithm not in SUPPORTED:
        reason = f"not an algorithm simplejwt accepts ({', '.join(sorted(SUPPORTED))})"
    # Read at call time: whether cryptography is installed can change (and tests patch it).
    elif algorithm in ASYMMETRIC and not jwt.algorithms.has_crypto:
        reason = "it needs the cryptography package, which is not installed"
    else:
        return []
    return [emit(E204, algorithm=algorithm, reason=reason)]


@config_check
def check_verifying_key(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E205: an asymmetric algorithm has a public key to verify with."""
    algorithm = _algorithm()
    if not simplejwt_in_use() or algorithm not in ASYMMETRIC:
        return []
    if simple_jwt_setting("VERIFYING_KEY") or simple_jwt_setting("JWK_URL"):
        return []
    return [emit(E205, algorithm=algorithm)]
