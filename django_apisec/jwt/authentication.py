"""``JWTSessionAuthentication``: simplejwt's bearer authentication with the strict tokens.

On top of simplejwt's ``JWTAuthentication`` it verifies access tokens with the strict backend,
refuses tokens of a revoked session and, when ``APISEC_JWT_FINGERPRINT`` is on, access tokens
presented without the browser's fingerprint cookie. Everything it asks the store is one round
trip (:func:`~django_apisec.jwt.revocation.check_session`: the revocation marker, the user's
version, and the decisions of the user's throttles), and the user usually comes from the
process's cache (:mod:`django_apisec.jwt.users`) instead of a query. A refused token counts
toward the client's anonymous rate
(:func:`~django_apisec.abuse.throttling.count_failed_authentication`): a flood of forged tokens
is answered 429.

simplejwt's ``JWTAuthentication`` matches the header against ``AUTH_HEADER_TYPES`` and
``AUTH_HEADER_NAME`` captured when its module was imported; here both are read on every request,
so a changed ``SIMPLE_JWT`` (or ``override_settings`` in a test) takes effect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from rest_framework import HTTP_HEADER_ENCODING
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import TokenError

from django_apisec.abuse.throttling import count_failed_authentication
from django_apisec.conf import apisec_settings
from django_apisec.jwt.families import fingerprint_matches
from django_apisec.jwt.revocation import check_session
from django_apisec.jwt.tokens import SessionAccessToken, jwt_settings
from django_apisec.jwt.transport import fingerprint_cookie_name
from django_apisec.jwt.users import cached_user, remember_user

if TYPE_CHECKING:
    from rest_framework.request import Request

__all__ = [
    "JWTSessionAuthentication",
    "auth_header_types",
    "authenticate_header_value",
]

INVALID_TOKEN = "Token is invalid or expired."  # noqa: S105 - a message, not a secret


def auth_header_types() -> tuple[str, ...]:
    """``SIMPLE_JWT["AUTH_HEADER_TYPES"]`` as of now; a lone string is one type."""
    types = jwt_settings().AUTH_HEADER_TYPES
    if isinstance(types, (list, tuple)):
        return tuple(str(header_type) for header_type in types)
    return (str(types),)


def authenticate_header_value() -> str:
    """The ``WWW-Authenticate`` value of a 401: the first configured header type."""
    return f'{auth_header_types()[0]} realm="{JWTAuthentication.www_authenticate_realm}"'


class JWTSessionAuthentication(JWTAuthentication):
    """Bearer authentication with strict access tokens of live sessions.

    Use it in ``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`` instead of simplejwt's
    ``JWTAuthentication``. Every failure is the same 401 ``token_not_valid``.
    """

    def authenticate(self, request: Request) -> tuple[Any, SessionAccessToken] | None:
        """The user and token of a valid ``Authorization: Bearer`` header, or ``None``."""
        try:
            return self.authenticate_session(request)
        except AuthenticationFailed:
            count_failed_authentication(request)
            raise

    def authenticate_session(self, request: Request) -> tuple[Any, SessionAccessToken] | None:
        """:meth:`authenticate` without counting a failure toward the anonymous rate."""
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        token = self.get_validated_token(raw_token)
        session = check_session(request, token)
        if session.revoked or not self.fingerprint_ok(token, request):
            raise AuthenticationFailed(INVALID_TOKEN, code="token_not_valid")
        user = cached_user(token.user_id, session.version)
        if user is None:
            user = self.get_user(token)
            remember_user(token.user_id, session.version, user)
        return user, token

    def authenticate_header(self, request: Request) -> str:
        """``WWW-Authenticate`` of a 401, naming the configured header type (read now)."""
        return authenticate_header_value()

    def get_header(self, request: Request) -> bytes | None:  # type: ignore[override]
        """The raw ``SIMPLE_JWT["AUTH_HEADER_NAME"]`` header (read now), or ``None``."""
        header = request.META.get(jwt_settings().AUTH_HEADER_NAME)
        if isinstance(header, str):
            return header.encode(HTTP_HEADER_ENCODING)
        return header

    def get_raw_token(self, header: bytes) -> bytes | None:
        """The token of ``<type> <token>`` for a configured type; ``None`` for another scheme."""
        parts = header.split()
        accepted = {header_type.encode(HTTP_HEADER_ENCODING) for header_type in auth_header_types()}
        if not parts or parts[0] not in accepted:
            # Another scheme (Basic, Token, ...) is left to the next authentication class.
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(INVALID_TOKEN, code="token_not_valid")
        return parts[1]

    def fingerprint_ok(self, token: SessionAccessToken, request: Request) -> bool:
        """With ``APISEC_JWT_FINGERPRINT`` on, the browser's fingerprint cookie must match."""
        if not apisec_settings.JWT_FINGERPRINT:
            return True
        return fingerprint_matches(token, request.COOKIES.get(fingerprint_cookie_name()))

    def get_validated_token(self, raw_token: bytes) -> SessionAccessToken:
        """The strictly verified access token; never a refresh token."""
        try:
            return SessionAccessToken(raw_token)  # type: ignore[arg-type]
        except TokenError as exc:
            raise AuthenticationFailed(INVALID_TOKEN, code="token_not_valid") from exc

    def get_user(self, validated_token: Any) -> Any:
        """The active user the token names (settings read now, not at import)."""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(
                **{jwt_settings().USER_ID_FIELD: validated_token.user_id}
            )
        except (user_model.DoesNotExist, ValueError) as exc:
            raise AuthenticationFailed(INVALID_TOKEN, code="token_not_valid") from exc
        if not user.is_active:
            raise AuthenticationFailed(INVALID_TOKEN, code="token_not_valid")
        return user
