"""Strict JWTs for login sessions, built on simplejwt's ``Token`` and ``TokenBackend`` and PyJWT.

What the strict backend adds to simplejwt's:

* the algorithm is pinned to the configured one (exact, case-sensitive match of ``alg``);
* tokens carrying ``jku``, ``jwk``, ``x5u``, ``x5c`` or ``crit`` headers are rejected before any
  key is chosen, so a token can never name its own key;
* every token has a ``kid`` header derived from its key; verification looks the ``kid`` up in
  the configured keys (the current one and ``APISEC_JWT_PREVIOUS_KEYS``) and rejects any other;
* ``exp``, ``iat``, ``jti``, ``iss`` and ``aud`` are required and verified, and a token whose
  ``exp - iat`` exceeds the configured lifetime of its type is rejected;
* a signing key equal to ``SECRET_KEY`` or shorter than the algorithm's minimum is refused.

simplejwt reads its settings once, at import (``AccessToken.lifetime``, ``state.token_backend``);
here every value is read at call time and the one expensive derived object, the backend with its
parsed keys, is cached until a setting changes.

The backend remembers the claims of the last :data:`VERIFIED_TOKENS` tokens it verified (the exact
token text is the key; failures are never remembered), so a client's next request with the same
access token skips PyJWT's parse and signature check. Expiry is checked on every use, and a new
backend (after a key or claim setting changes) starts with nothing remembered.
"""

from __future__ import annotations

import functools
import hashlib
import time
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from uuid import uuid4

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import (
    TokenBackendError,
    TokenBackendExpiredToken,
    TokenError,
)
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import datetime_to_epoch

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime, timedelta

#: Header parameters that let a token choose or describe its own key; never accepted.
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
#: Claims every token must carry (PyJWT's ``require`` option).
REQUIRED_CLAIMS = ("exp", "iat", "jti", "iss", "aud")
#: The session (token family) id, as in OpenID Connect's ``sid``.
SESSION_CLAIM = "sid"
#: SHA-256 of the sidejacking fingerprint cookie (OWASP JWT cheat sheet).
FINGERPRINT_CLAIM = "fgp"
#: When the user last proved a factor (OpenID Connect's ``auth_time``): login or step-up.
AUTH_TIME_CLAIM = "auth_time"
TOKEN_TYPE_CLAIM = "token_type"  # noqa: S105 - a claim name
JTI_CLAIM = "jti"
#: Used when ``SIMPLE_JWT["ISSUER"]`` / ``["AUDIENCE"]`` are not set, so both are always checked.
DEFAULT_ISSUER = "django_apisec"
DEFAULT_AUDIENCE = "django_apisec"
#: How many verified tokens a backend remembers (about 1 KiB each): the access tokens of the
#: clients a process serves within a few minutes.
VERIFIED_TOKENS = 4096
#: The settings that the cached backend is built from.
BACKEND_SETTINGS = frozenset({"SIMPLE_JWT", "APISEC_JWT_PREVIOUS_KEYS", "SECRET_KEY"})


T = TypeVar("T", bound="SessionToken")


def jwt_settings() -> Any:
    """simplejwt's settings object as of now (simplejwt replaces it when ``SIMPLE_JWT`` changes)."""
    return simplejwt_settings.api_settings


def key_id(key: str) -> str:
    """The ``kid`` of a key: 16 hex characters of its SHA-256, stable across processes.

    For HMAC the key is the secret; a truncated hash of a strong secret reveals nothing an
    attacker holding any signed token could not already try offline.
    """
    return hashlib.sha256(b"django_apisec.kid:" + key.encode()).hexdigest()[:16]


class StrictTokenBackend(TokenBackend):
    """simplejwt's ``TokenBackend`` with a pinned algorithm, ``kid`` key rotation and strict claims.

    ``verifying_keys`` maps each accepted ``kid`` to its key: the current key (the signing key
    for HMAC, the verifying key otherwise) and every previous key.
    """

    def __init__(
        self,
        *,
        algorithm: str,
        signing_key: str,
        verifying_key: str = "",
        previous_keys: tuple[str, ...] = (),
        audience: Any = DEFAULT_AUDIENCE,
        issuer: str = DEFAULT_ISSUER,
        leeway: Any = 0,
    ) -> None:
        super().__init__(algorithm, signing_key, verifying_key, audience, issuer, None, leeway)
        current = signing_key if algorithm.startswith("HS") else verifying_key
        if not signing_key or not current:
            raise ImproperlyConfigured(
                "SIMPLE_JWT needs a SIGNING_KEY (and a VERIFYING_KEY for asymmetric algorithms)."
            )
        self.kid = key_id(current)
        algorithm_object = jwt.get_algorithm_by_name(algorithm)
        try:
            keys = {key_id(key): algorithm_object.prepare_key(key) for key in previous_keys}
            keys[self.kid] = algorithm_object.prepare_key(current)
        except jwt.InvalidKeyError as exc:
            message = f"A configured {algorithm} key is not usable: {exc}"
            raise ImproperlyConfigured(message) from exc
        for key in keys.values():
            # PyJWT's own minimum (e.g. 32 bytes for HS256, 2048 bits for RSA).
            too_short = algorithm_object.check_key_length(key)
            if too_short:
                message = f"A configured {algorithm} key is too short: {too_short}"
                raise ImproperlyConfigured(message)
        self.verifying_keys: Mapping[str, Any] = keys
        # Only successes are remembered (lru_cache keeps no exception), never shared between keys.
        self.verified_claims: Callable[[Any], dict[str, Any]] = functools.lru_cache(
            maxsize=VERIFIED_TOKENS
        )(self.verify_token)

    def encode(self, payload: dict[str, Any]) -> str:
        """Sign ``payload`` with the current key, adding ``iss``, ``aud`` and the ``kid`` header."""
        claims = {**payload, "iss": self.issuer, "aud": self.audience}
        return jwt.encode(
            claims,
            self.prepared_signing_key,
            algorithm=self.algorithm,
            headers={"kid": self.kid},
            json_encoder=self.json_encoder,
        )

    def decode(self, token: Any, verify: bool = True) -> dict[str, Any]:
        """Verify ``token`` and return its claims; always verifies, whatever ``verify`` says.

        Raises ``TokenBackendExpiredToken`` for an expired token and ``TokenBackendError`` for
        anything else wrong with it. A token verified before by this backend is not parsed again;
        only its expiry is checked.
        """
        claims = self.verified_claims(token)
        # PyJWT verified that "exp" is a number (it accepts numeric text, as int() does).
        if int(claims["exp"]) <= time.time() - self.get_leeway().total_seconds():
            raise TokenBackendExpiredToken("Token is expired")
        return dict(claims)

    def verify_token(self, token: Any) -> dict[str, Any]:
        """Parse and verify ``token`` with PyJWT: the key its ``kid`` names, every claim checked."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise TokenBackendError("Token is invalid") from exc
        if FORBIDDEN_HEADERS.intersection(header):
            raise TokenBackendError("Token is invalid")
        if header.get("alg") != self.algorithm:
            raise TokenBackendError("Invalid algorithm specified")
        key = self.verifying_keys.get(header.get("kid"))  # type: ignore[arg-type]
        if key is None:
            raise TokenBackendError("Token is invalid")
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.get_leeway(),
                options={
                    "verify_signature": True,
                    "verify_exp": True,
                    "verify_nbf": True,
                    "verify_iat": True,
                    "verify_iss": True,
                    "verify_aud": True,
                    "verify_jti": True,
                    "require": list(REQUIRED_CLAIMS),
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenBackendExpiredToken("Token is expired") from exc
        except jwt.PyJWTError as exc:
            raise TokenBackendError("Token is invalid") from exc


@functools.cache
def token_backend() -> StrictTokenBackend:
    """The strict backend for the current settings (rebuilt after a relevant setting changes)."""
    jwt_config = jwt_settings()
    from django_apisec.conf import apisec_settings  # noqa: PLC0415 - conf imports nothing of ours

    algorithm = str(jwt_config.ALGORITHM)
    signing_key = jwt_config.SIGNING_KEY
    if algorithm.startswith("HS") and signing_key == settings.SECRET_KEY:
        raise ImproperlyConfigured(
            "SIMPLE_JWT['SIGNING_KEY'] equals SECRET_KEY; set a separate JWT signing key."
        )
    return StrictTokenBackend(
        algorithm=algorithm,
        signing_key=signing_key,
        verifying_key=jwt_config.VERIFYING_KEY or "",
        previous_keys=tuple(apisec_settings.JWT_PREVIOUS_KEYS),
        audience=jwt_config.AUDIENCE or DEFAULT_AUDIENCE,
        issuer=jwt_config.ISSUER or DEFAULT_ISSUER,
        leeway=jwt_config.LEEWAY,
    )


def clear_token_backend(*, setting: str, **kwargs: Any) -> None:
    """``setting_changed`` receiver: forget the cached backend when its settings change."""
    if setting in BACKEND_SETTINGS:
        token_backend.cache_clear()


class SessionToken(Token):
    """A token of a login session: typed, with a user id, a session id and a bounded lifetime."""

    lifetime_setting: ClassVar[str]

    @property
    def lifetime(self) -> timedelta:  # type: ignore[override]
        """The configured lifetime of this token type, read now (simplejwt reads it at import)."""
        return getattr(jwt_settings(), self.lifetime_setting)  # type: ignore[no-any-return]

    def get_token_backend(self) -> StrictTokenBackend:
        """The strict backend (simplejwt calls this to encode and decode)."""
        return token_backend()

    @classmethod
    def issue(
        cls: type[T],
        *,
        user_id: str,
        session_id: str,
        now: datetime,
        expires_at: datetime,
        fingerprint_hash: str | None = None,
        auth_time: datetime | None = None,
    ) -> T:
        """A new token of this type for ``user_id`` in session ``session_id``."""
        token = cls()
        token.payload = {
            TOKEN_TYPE_CLAIM: cls.token_type,
            JTI_CLAIM: uuid4().hex,
            "iat": datetime_to_epoch(now),
            "exp": datetime_to_epoch(expires_at),
            jwt_settings().USER_ID_CLAIM: user_id,
            SESSION_CLAIM: session_id,
        }
        if fingerprint_hash is not None:
            token.payload[FINGERPRINT_CLAIM] = fingerprint_hash
        if auth_time is not None:
            token.payload[AUTH_TIME_CLAIM] = datetime_to_epoch(auth_time)
        return token

    def verify(self) -> None:
        """Check the type, the ids and the lifetime on top of PyJWT's checks."""
        # PyJWT accepts numeric strings ("exp": "9999999999"); only JSON integers are valid here.
        for claim in ("exp", "iat"):
            if type(self.payload.get(claim)) is not int:
                raise TokenError("Token is invalid")
        self.check_exp()
        if self.payload.get(TOKEN_TYPE_CLAIM) != self.token_type:
            raise TokenError("Token has wrong type")
        for claim in (JTI_CLAIM, SESSION_CLAIM, jwt_settings().USER_ID_CLAIM):
            if not isinstance(self.payload.get(claim), str):
                raise TokenError("Token is invalid")
        if self.payload["exp"] - self.payload["iat"] > self.lifetime.total_seconds():
            raise TokenError("Token lifetime exceeds the maximum")

    @property
    def jti(self) -> str:
        """The token id."""
        return str(self.payload[JTI_CLAIM])

    @property
    def session_id(self) -> str:
        """The id of the token family this token belongs to."""
        return str(self.payload[SESSION_CLAIM])

    @property
    def user_id(self) -> str:
        """The user id claim."""
        return str(self.payload[jwt_settings().USER_ID_CLAIM])

    @property
    def auth_time(self) -> int | None:
        """When the user last proved a factor (Unix time), or ``None`` for a token without it."""
        value = self.payload.get(AUTH_TIME_CLAIM)
        return value if type(value) is int else None


class SessionAccessToken(SessionToken):
    """A short-lived access token (``Authorization: Bearer``)."""

    token_type = "access"  # noqa: S105
    lifetime_setting = "ACCESS_TOKEN_LIFETIME"


class SessionRefreshToken(SessionToken):
    """A refresh token; valid only while it is its family's current token."""

    token_type = "refresh"  # noqa: S105
    lifetime_setting = "REFRESH_TOKEN_LIFETIME"
