"""Login, refresh, logout, logout-all and password-change views for JWT sessions.

The access token travels in the JSON body (keep it in memory); the refresh token in a cookie that
is HttpOnly, SameSite=Strict, scoped to the directory of these views and, over https, Secure with
the ``__Secure-`` prefix. ``APISEC_JWT_BODY_TRANSPORT`` also returns and accepts it in the body for
clients without a cookie jar; a refresh cookie, when sent, always wins over the body.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec.abuse import devices
from django_apisec.abuse.lockout import raise_for_lockout
from django_apisec.abuse.throttling import LoginAccountRateThrottle, LoginIPRateThrottle
from django_apisec.apikeys.views import RefuseApiKeysMixin
from django_apisec.conf import apisec_settings
from django_apisec.http.origins import origin_trusted
from django_apisec.http.parsers import JSONParser
from django_apisec.jwt.authentication import (
    INVALID_TOKEN,
    JWTSessionAuthentication,
    authenticate_header_value,
    fingerprint_cookie_name,
    refresh_cookie_name,
)
from django_apisec.jwt.families import (
    IssuedSession,
    SessionError,
    end_session,
    rotate_session,
    start_session,
)
from django_apisec.jwt.revocation import LOGOUT_ALL, revoke_all_sessions
from django_apisec.observability import events
from django_apisec.ownership.permissions import public

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request

INVALID_CREDENTIALS = "Invalid username or password."


class LoginSerializer(serializers.Serializer[Any]):
    """``{"username", "password"}``."""

    username = serializers.CharField(max_length=254, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)


class RefreshSerializer(serializers.Serializer[Any]):
    """The refresh token travels in its cookie; ``refresh`` only with body transport."""

    refresh = serializers.CharField(required=False, write_only=True)


class NoBodySerializer(serializers.Serializer[Any]):
    """No request body."""


class PasswordChangeSerializer(serializers.Serializer[Any]):
    """``{"old_password", "new_password"}``."""

    old_password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)
    new_password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)


def cookie_path(request: HttpRequest) -> str:
    """``Path`` of the refresh cookie: ``APISEC_JWT_COOKIE_PATH`` or the views' directory."""
    return apisec_settings.JWT_COOKIE_PATH or posixpath.dirname(request.path.rstrip("/")) + "/"


def set_session_cookies(response: Response, request: HttpRequest, issued: IssuedSession) -> None:
    """Set the refresh cookie (and the fingerprint cookie) for ``issued``."""
    secure = apisec_settings.JWT_COOKIE_SECURE
    response.set_cookie(
        refresh_cookie_name(),
        issued.refresh,
        expires=issued.refresh_expires_at,
        path=cookie_path(request),
        secure=secure,
        httponly=True,
        samesite="Strict",
    )
    fingerprint = issued.fingerprint or request.COOKIES.get(fingerprint_cookie_name())
    if apisec_settings.JWT_FINGERPRINT and fingerprint:
        response.set_cookie(
            fingerprint_cookie_name(),
            fingerprint,
            expires=issued.refresh_expires_at,
            path="/",
            secure=secure,
            httponly=True,
            samesite="Strict",
        )


def clear_session_cookies(response: Response, request: HttpRequest) -> None:
    """Expire the refresh and fingerprint cookies."""
    response.delete_cookie(refresh_cookie_name(), path=cookie_path(request), samesite="Strict")
    if apisec_settings.JWT_FINGERPRINT:
        response.delete_cookie(fingerprint_cookie_name(), path="/", samesite="Strict")


def presented_refresh_token(request: Request) -> str | None:
    """The refresh token of the request: the cookie, else (if enabled) the body's ``refresh``."""
    cookie = request.COOKIES.get(refresh_cookie_name())
    if cookie:
        return str(cookie)
    if apisec_settings.JWT_BODY_TRANSPORT and isinstance(request.data, dict):
        body = request.data.get("refresh")
        if isinstance(body, str) and body:
            return body
    return None


def check_origin(request: Request) -> None:
    """Refuse a browser request from an untrusted origin to a cookie-authenticated view.

    SameSite=Strict keeps cross-site requests from carrying the cookie; this also stops a sibling
    subdomain (same site, other origin). Trust comes from Django's CSRF origin check and
    django-cors-headers' allow-list (:func:`django_apisec.http.origins.origin_trusted`); clients
    that send no ``Origin`` pass.
    """
    if not origin_trusted(request._request):
        raise PermissionDenied("Origin not allowed.", code="origin_not_allowed")


def _session_response(request: Request, issued: IssuedSession, code: int) -> Response:
    body = {"access": issued.access}
    if apisec_settings.JWT_BODY_TRANSPORT:
        body["refresh"] = issued.refresh
    # Token responses are never stored by a browser or proxy cache (as RFC 6749 5.1 requires).
    response = Response(body, status=code, headers={"Cache-Control": "no-store"})
    set_session_cookies(response, request._request, issued)
    return response


class _CookieAuthView(RefuseApiKeysMixin, APIView):
    """Base of the views that anonymous clients reach with credentials or a refresh cookie."""

    authentication_classes: Any = ()
    parser_classes = [JSONParser]

    def get_authenticate_header(self, request: Request) -> str:
        """Keep failures 401 (DRF answers 403 when no authenticator names a scheme)."""
        return authenticate_header_value()


@public
class LoginView(_CookieAuthView):
    """``POST {"username", "password"}`` -> ``{"access"}`` and the refresh cookie.

    Wrong credentials, unknown and inactive users all get the same 401 (Django's ``ModelBackend``
    runs the password hasher for unknown users too, so timing does not tell them apart).
    """

    serializer_class = LoginSerializer
    # Failed logins count per client address and per account; a success refunds its hit.
    throttle_classes = [LoginIPRateThrottle, LoginAccountRateThrottle]

    def post(self, request: Request) -> Response:
        """Authenticate (through the lockout backend) and start a session."""
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            **{
                get_user_model().USERNAME_FIELD: serializer.validated_data["username"],
                "password": serializer.validated_data["password"],
            },
        )
        if user is None or not user.is_active:
            raise_for_lockout(request)  # 429 + Retry-After when the account is locked
            raise AuthenticationFailed(INVALID_CREDENTIALS, code="authentication_failed")
        issued = start_session(user)
        events.record(
            events.AUTHENTICATION_SUCCEEDED,
            request=request,
            user=user,
            outcome=events.SUCCESS,
            family_id=str(issued.family_id),
        )
        response = _session_response(request, issued, status.HTTP_200_OK)
        devices.set_cookie(request, response)  # this device keeps its own lockout bucket
        return response


@public
class RefreshView(_CookieAuthView):
    """``POST`` with the refresh cookie -> a new ``{"access"}`` and a rotated cookie."""

    serializer_class = RefreshSerializer

    def post(self, request: Request) -> Response:
        """Rotate the session; 401 on an invalid, expired, revoked or replayed token."""
        check_origin(request)
        raw = presented_refresh_token(request)
        if raw is None:
            raise AuthenticationFailed(INVALID_TOKEN, code="token_not_valid")
        try:
            issued = rotate_session(
                raw,
                request=request._request,
                fingerprint=request.COOKIES.get(fingerprint_cookie_name()),
            )
        except SessionError as exc:
            # The cookie is left alone: in a race, this answer may arrive after the winner's.
            raise AuthenticationFailed(exc.detail, code=exc.code) from exc
        return _session_response(request, issued, status.HTTP_200_OK)


@public
class LogoutView(_CookieAuthView):
    """``POST`` with the refresh cookie -> 204; the session is revoked and the cookie cleared."""

    serializer_class = RefreshSerializer

    def post(self, request: Request) -> Response:
        """End the session of the presented refresh token, if any; always succeeds."""
        check_origin(request)
        raw = presented_refresh_token(request)
        if raw is not None:
            end_session(raw)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_session_cookies(response, request._request)
        return response


class LogoutAllView(RefuseApiKeysMixin, APIView):
    """``POST`` with an access token -> 204; every session of the user is revoked."""

    authentication_classes = [JWTSessionAuthentication]
    permission_classes = [IsAuthenticated]
    serializer_class = NoBodySerializer

    def post(self, request: Request) -> Response:
        """Revoke every session of the requester."""
        revoke_all_sessions(request.user, reason=LOGOUT_ALL)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_session_cookies(response, request._request)
        return response


class PasswordChangeView(RefuseApiKeysMixin, APIView):
    """``POST {"old_password", "new_password"}`` with an access token -> 204.

    The new password goes through ``AUTH_PASSWORD_VALIDATORS``; saving it revokes every session
    of the user (see :func:`django_apisec.jwt.revocation.revoke_on_credential_change`).
    """

    authentication_classes = [JWTSessionAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    serializer_class = PasswordChangeSerializer

    def post(self, request: Request) -> Response:
        """Check the old password, validate and set the new one."""
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: Any = request.user
        # Through authenticate(): guesses of the old password count toward the account lockout,
        # so a stolen access token cannot brute-force it here.
        checked = authenticate(
            request._request,
            **{
                get_user_model().USERNAME_FIELD: user.get_username(),
                "password": serializer.validated_data["old_password"],
            },
        )
        if checked is None or checked.pk != user.pk:
            raise_for_lockout(request)
            raise ValidationError({"old_password": ["The current password is not correct."]})
        new_password = serializer.validated_data["new_password"]
        try:
            validate_password(new_password, user)
        except DjangoValidationError as exc:
            raise ValidationError({"new_password": list(exc.messages)}) from exc
        user.set_password(new_password)
        user.save(update_fields=["password"])
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_session_cookies(response, request._request)
        return response


try:
    from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
except ImportError:  # pragma: no cover - drf-spectacular is optional
    pass
else:

    class JWTSessionScheme(SimpleJWTScheme):  # type: ignore[no-untyped-call]
        """OpenAPI: ``JWTSessionAuthentication`` is simplejwt's bearer scheme."""

        target_class = "django_apisec.jwt.authentication.JWTSessionAuthentication"
