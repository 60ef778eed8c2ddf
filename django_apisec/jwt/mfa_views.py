"""The second step of a login, step-up re-authentication, and TOTP enrolment.

The login view (:class:`django_apisec.jwt.views.LoginView`) answers a user with a second factor
with an ``mfa_token`` only (:mod:`django_apisec.mfa.challenges`); :class:`MFAVerifyView` exchanges
it and a factor for the session. The factors themselves live in :mod:`django_apisec.mfa`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import authenticate, get_user_model
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec import signals
from django_apisec.abuse.lockout import raise_for_lockout
from django_apisec.abuse.throttling import LoginIPRateThrottle, refund_login_throttles
from django_apisec.apikeys.views import RefuseApiKeysMixin
from django_apisec.http.errors import error_body
from django_apisec.http.parsers import JSONParser
from django_apisec.jwt.authentication import JWTSessionAuthentication, authenticate_header_value
from django_apisec.jwt.families import reauthenticate
from django_apisec.jwt.login import complete_login
from django_apisec.jwt.serializers import NoBodySerializer
from django_apisec.jwt.stepup import RecentAuthentication
from django_apisec.mfa import challenges, passkeys, recovery, totp
from django_apisec.mfa.factors import (
    TOTP,
    FactorCheck,
    check_second_factor,
    enrolled_methods,
    has_second_factor,
)
from django_apisec.mfa.serializers import (
    CodeSerializer,
    MFAVerifySerializer,
    ReauthSerializer,
)
from django_apisec.observability import events
from django_apisec.ownership.permissions import public
from django_apisec.request.state import django_request

if TYPE_CHECKING:
    from rest_framework.request import Request

INVALID_MFA_TOKEN = "MFA token is invalid or expired."  # noqa: S105 - a message
INVALID_CODE = "Invalid code."
NO_STORE = {"Cache-Control": "no-store"}


def mfa_required_response(user: Any) -> Response:
    """The password step's answer for a user with a second factor: no token, no cookie."""
    body = {
        "mfa_required": True,
        "mfa_token": challenges.issue(user),
        "methods": enrolled_methods(user),
    }
    return Response(body, status=status.HTTP_200_OK, headers=NO_STORE)


def _factor(data: dict[str, Any], ceremony: str = passkeys.SECOND_FACTOR) -> FactorCheck:
    return FactorCheck(
        code=data.get("code"),
        recovery_code=data.get("recovery_code"),
        credential=data.get("credential"),
        ceremony=ceremony,
    )


@public
class MFAVerifyView(RefuseApiKeysMixin, APIView):
    """``POST {"mfa_token", "code"}`` (or ``"recovery_code"``, ``"credential"``) -> ``{"access"}``.

    A wrong or replayed code is a 401 counted by the account lockout; an unknown, spent or
    expired ``mfa_token`` is a 401 (``mfa_token_not_valid``); a locked account a 429.
    """

    authentication_classes: Any = ()
    parser_classes = [JSONParser]
    serializer_class = MFAVerifySerializer
    throttle_classes = [LoginIPRateThrottle]

    def get_authenticate_header(self, request: Request) -> str:
        """Keep failures 401 (DRF answers 403 when no authenticator names a scheme)."""
        return authenticate_header_value()

    def post(self, request: Request) -> Response:
        """Check the factor, spend the token once, start the session."""
        serializer = MFAVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        challenge = challenges.pending(serializer.validated_data["mfa_token"])
        if challenge is None or not challenge.user.is_active:
            raise AuthenticationFailed(INVALID_MFA_TOKEN, code="mfa_token_not_valid")
        user = challenge.user
        presented = _factor(serializer.validated_data)
        if not check_second_factor(request, user, presented):
            raise AuthenticationFailed(INVALID_CODE, code="mfa_code_not_valid")
        if not challenges.spend(challenge):  # another request spent it first
            raise AuthenticationFailed(INVALID_MFA_TOKEN, code="mfa_token_not_valid")
        refund_login_throttles(request)
        # Only now, with every factor proved, does this device get its own lockout bucket.
        return complete_login(request, user, mfa=presented.method)


class ReauthView(RefuseApiKeysMixin, APIView):
    """``POST {"password"}`` (+ ``"code"``, ``"recovery_code"`` or ``"credential"`` with MFA).

    Answers ``{"access"}``. A passkey ``credential`` answers the options of
    ``POST /api/auth/webauthn/reauth/options/``.

    The new access token of the same session carries ``auth_time`` = now. The password and the
    code count toward the account lockout, as at login.
    """

    authentication_classes = [JWTSessionAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    serializer_class = ReauthSerializer

    def post(self, request: Request) -> Response:
        """Check the password (and the factor), then issue the fresh access token."""
        serializer = ReauthSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user: Any = request.user
        with_factor = has_second_factor(user)
        if with_factor and not (
            data.get("code") or data.get("recovery_code") or data.get("credential")
        ):
            raise ValidationError({"code": ["This field is required."]})
        checked = authenticate(
            django_request(request),
            **{get_user_model().USERNAME_FIELD: user.get_username(), "password": data["password"]},
        )
        if checked is None or checked.pk != user.pk:
            raise_for_lockout(request)
            raise AuthenticationFailed("Invalid password.", code="reauthentication_failed")
        if with_factor and not check_second_factor(request, user, _factor(data, passkeys.REAUTH)):
            raise AuthenticationFailed(INVALID_CODE, code="mfa_code_not_valid")
        access = reauthenticate(request.auth)  # type: ignore[arg-type]
        session_id = request.auth.session_id  # type: ignore[union-attr]
        events.record(
            events.REAUTHENTICATED,
            request=request,
            user=user,
            outcome=events.SUCCESS,
            family_id=session_id,
        )
        signals.reauthenticated.send(
            sender=ReauthView, user=user, family_id=session_id, request=request
        )
        return Response({"access": access}, status=status.HTTP_200_OK, headers=NO_STORE)


class _AccountView(RefuseApiKeysMixin, APIView):
    """An account-management view: access token, a recent step-up, no API key."""

    authentication_classes = [JWTSessionAuthentication]
    permission_classes = [IsAuthenticated, RecentAuthentication]
    parser_classes = [JSONParser]


class TOTPView(_AccountView):
    """``POST`` -> 201 ``{"secret", "otpauth_uri"}``; ``DELETE`` -> 204 (removes MFA).

    Both need a recent ``auth_time``: a stolen access token can neither remove the factor nor
    enrol the thief's own authenticator (which would lock the owner out).
    """

    serializer_class = NoBodySerializer

    def post(self, request: Request) -> Response:
        """Start enrolment; 409 when a confirmed device exists (remove it first)."""
        if totp.device_of(request.user, confirmed=True) is not None:
            body = error_body("TOTP is already enabled.", "mfa_already_enabled")
            return Response(body, status=status.HTTP_409_CONFLICT)
        enrolment = totp.enrol(request.user)
        body = {"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri}
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)

    def delete(self, request: Request) -> Response:
        """Remove the device and the recovery codes."""
        user: Any = request.user
        if totp.remove(user):
            if not has_second_factor(user):  # recovery codes back up a factor, never stand alone
                recovery.discard(user)
            events.record(
                events.MFA_REMOVED, request=request, user=user, outcome=events.SUCCESS, factor=TOTP
            )
            signals.mfa_removed.send(sender=TOTPView, user=user, method=TOTP, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TOTPConfirmView(_AccountView):
    """``POST {"code"}`` -> 200 ``{"recovery_codes": [10 codes]}``, shown once."""

    serializer_class = CodeSerializer

    def post(self, request: Request) -> Response:
        """Confirm the pending device with its first code and issue recovery codes."""
        serializer = CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: Any = request.user
        device = totp.device_of(user, confirmed=False)
        if device is None:
            raise NotFound("No TOTP enrolment is pending.", code="not_found")
        if not totp.verify(device, serializer.validated_data["code"]) or not totp.confirm(device):
            raise ValidationError({"code": [INVALID_CODE]})
        codes = recovery.regenerate(user)
        events.record(
            events.MFA_ENROLLED, request=request, user=user, outcome=events.SUCCESS, factor=TOTP
        )
        signals.mfa_enrolled.send(sender=TOTPConfirmView, user=user, method=TOTP, request=request)
        return Response({"recovery_codes": codes}, status=status.HTTP_200_OK, headers=NO_STORE)


class RecoveryCodesView(_AccountView):
    """``POST`` -> 200 ``{"recovery_codes"}``: ten new codes replace the old ones (step-up)."""

    serializer_class = NoBodySerializer

    def post(self, request: Request) -> Response:
        """Regenerate; 404 when the user has no second factor."""
        if not has_second_factor(request.user):
            raise NotFound("MFA is not enabled.", code="not_found")
        user: Any = request.user
        codes = recovery.regenerate(user)
        events.record(
            events.RECOVERY_CODES_REGENERATED,
            request=request,
            user=user,
            outcome=events.SUCCESS,
            count=len(codes),
        )
        signals.recovery_codes_regenerated.send(
            sender=RecoveryCodesView, user=user, count=len(codes), request=request
        )
        return Response({"recovery_codes": codes}, status=status.HTTP_200_OK, headers=NO_STORE)
