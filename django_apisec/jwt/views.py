"""Login, refresh, logout, logout-all and password-change views for JWT sessions.

A user with a second factor gets an ``mfa_token`` from the login, exchanged for the session at
:class:`django_apisec.jwt.mfa_views.MFAVerifyView`.

How the tokens travel (the access token in the body, the refresh token in a cookie) is
:mod:`django_apisec.jwt.transport`; the request bodies are :mod:`django_apisec.jwt.serializers`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import status
from rest_framework.exceptions import APIException, AuthenticationFailed, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec.abuse.lockout import raise_for_lockout
from django_apisec.abuse.throttling import LoginAccountRateThrottle, LoginIPRateThrottle
from django_apisec.apikeys.views import RefuseApiKeysMixin
from django_apisec.http.parsers import JSONParser
from django_apisec.jwt import schema  # noqa: F401 (registers the OpenAPI extension)
from django_apisec.jwt.authentication import (
    INVALID_TOKEN,
    JWTSessionAuthentication,
    authenticate_header_value,
)
from django_apisec.jwt.families import (
    RefreshSupersededError,
    SessionError,
    end_session,
    rotate_session,
)
from django_apisec.jwt.login import complete_login
from django_apisec.jwt.mfa_views import mfa_required_response
from django_apisec.jwt.revocation import LOGOUT_ALL, revoke_all_sessions
from django_apisec.jwt.serializers import (
    LoginSerializer,
    NoBodySerializer,
    PasswordChangeSerializer,
    RefreshSerializer,
)
from django_apisec.jwt.stepup import RecentAuthentication
from django_apisec.jwt.transport import (
    check_origin,
    clear_session_cookies,
    fingerprint_cookie_name,
    presented_refresh_token,
    session_response,
)
from django_apisec.mfa.factors import has_second_factor
from django_apisec.ownership.permissions import public
from django_apisec.request.state import django_request

if TYPE_CHECKING:
    from rest_framework.request import Request

INVALID_CREDENTIALS = "Invalid username or password."


class RefreshConflict(APIException):
    """409 ``refresh_superseded``: a concurrent refresh (another tab) rotated the token first.

    The page retries the refresh: its browser already holds the winner's cookie.
    """

    status_code = status.HTTP_409_CONFLICT
    default_detail = RefreshSupersededError.detail
    default_code = RefreshSupersededError.code


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
            django_request(request),
            **{
                get_user_model().USERNAME_FIELD: serializer.validated_data["username"],
                "password": serializer.validated_data["password"],
            },
        )
        if user is None or not user.is_active:
            raise_for_lockout(request)  # 429 + Retry-After when the account is locked
            raise AuthenticationFailed(INVALID_CREDENTIALS, code="authentication_failed")
        if has_second_factor(user):
            # Half a login: an mfa_token only; no token, no cookie, no trusted device yet.
            return mfa_required_response(user)
        return complete_login(request, user)


@public
class RefreshView(_CookieAuthView):
    """``POST`` with the refresh cookie -> a new ``{"access"}`` and a rotated cookie."""

    serializer_class = RefreshSerializer

    def post(self, request: Request) -> Response:
        """Rotate the session.

        401 on an invalid, expired, revoked or replayed token, expiring the refresh cookie so the
        browser stops sending a dead one; 409 ``refresh_superseded`` when a concurrent refresh
        rotated the token moments ago, without touching the cookie.
        """
        check_origin(request)
        raw = presented_refresh_token(request)
        if raw is None:
            raise AuthenticationFailed(INVALID_TOKEN, code="token_not_valid")
        try:
            issued = rotate_session(
                raw,
                request=django_request(request),
                fingerprint=request.COOKIES.get(fingerprint_cookie_name()),
            )
        except RefreshSupersededError as exc:
            # Never a Set-Cookie here: the browser shares one cookie jar across tabs, and the
            # winner's fresh cookie is already in it (expiring it would log every tab out).
            raise RefreshConflict from exc
        except SessionError as exc:
            response = self.handle_exception(AuthenticationFailed(exc.detail, code=exc.code))
            clear_session_cookies(response, django_request(request))
            return response
        return session_response(request, issued, status.HTTP_200_OK)


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
        clear_session_cookies(response, django_request(request))
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
        clear_session_cookies(response, django_request(request))
        return response


class PasswordChangeView(RefuseApiKeysMixin, APIView):
    """``POST {"old_password", "new_password"}`` with an access token -> 204.

    The new password goes through ``AUTH_PASSWORD_VALIDATORS``; saving it revokes every session
    of the user (see :func:`django_apisec.jwt.revocation.revoke_on_credential_change`). It needs
    a recent ``auth_time`` (:class:`~django_apisec.jwt.stepup.RecentAuthentication`): 403
    ``reauthentication_required`` otherwise.
    """

    authentication_classes = [JWTSessionAuthentication]
    permission_classes = [IsAuthenticated, RecentAuthentication]
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
            django_request(request),
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
        # Saving revokes every session; when that cannot complete (the revocation store is down:
        # 503), the password stays the old one, so the client's retry still works.
        with transaction.atomic():
            user.set_password(new_password)
            user.save(update_fields=["password"])
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_session_cookies(response, django_request(request))
        return response
