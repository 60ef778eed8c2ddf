"""Passkey (WebAuthn) views: registration, management, second factor, passwordless login.

Every ceremony is two requests: the options (with a single-use challenge, 5 minutes,
:mod:`django_apisec.mfa.passkeys`), then the browser's answer. A passkey as the second factor
is presented to :class:`~django_apisec.jwt.mfa_views.MFAVerifyView` (``"credential"``) after
``POST webauthn/mfa/options/``; a step-up presents it to
:class:`~django_apisec.jwt.mfa_views.ReauthView` after ``POST webauthn/reauth/options/``.

The passwordless login (:class:`PasskeyLoginView`) is a complete login with every factor (a
discoverable passkey with user verification) under the password step's rules: the login rate
per client address, the account's lockout bucket reserved before the assertion is checked, a
trusted-device cookie only after success. While ``APISEC_WEBAUTHN_RP_ID`` is ``None`` every view
here answers 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import serializers, status
from rest_framework.exceptions import APIException, AuthenticationFailed, NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec import signals
from django_apisec.abuse import lockout
from django_apisec.abuse.throttling import LoginIPRateThrottle, refund_login_throttles
from django_apisec.apikeys.views import RefuseApiKeysMixin
from django_apisec.http.parsers import JSONParser
from django_apisec.jwt.authentication import JWTSessionAuthentication, authenticate_header_value
from django_apisec.jwt.login import complete_login
from django_apisec.jwt.mfa_views import INVALID_MFA_TOKEN, NO_STORE
from django_apisec.jwt.serializers import NoBodySerializer
from django_apisec.jwt.stepup import RecentAuthentication
from django_apisec.mfa import challenges, passkeys, recovery
from django_apisec.mfa.factors import WEBAUTHN, has_second_factor
from django_apisec.mfa.serializers import (
    MFATokenSerializer,
    PasskeyCredentialSerializer,
    PasskeyNameSerializer,
    PasskeyRegistrationSerializer,
)
from django_apisec.models import WebAuthnCredential
from django_apisec.observability import events
from django_apisec.ownership.permissions import public

if TYPE_CHECKING:
    import uuid

    from rest_framework.request import Request

DISABLED = "Passkeys are not enabled."


class PasskeyRefused(APIException):
    """400 with the ceremony's own code (``passkey_not_valid``, ``passkey_exists``, ...)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The passkey was refused."
    default_code = "passkey_not_valid"


class PasskeySerializer(serializers.ModelSerializer[WebAuthnCredential]):
    """A passkey as its owner sees it; never key material."""

    class Meta:
        model = WebAuthnCredential
        fields = ("id", "name", "created_at", "last_used_at", "backed_up")
        read_only_fields = fields


class _PasskeysView(RefuseApiKeysMixin, APIView):
    """Base: 404 while passkeys are off; JSON bodies only."""

    parser_classes = [JSONParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Answer 404 before anything else while no relying party is configured."""
        if passkeys.relying_party() is None:
            raise NotFound(DISABLED, code="not_found")
        super().initial(request, *args, **kwargs)


class _AnonymousPasskeysView(_PasskeysView):
    authentication_classes: Any = ()

    def get_authenticate_header(self, request: Request) -> str:
        """Keep failures 401 (DRF answers 403 when no authenticator names a scheme)."""
        return authenticate_header_value()


class _SignedInPasskeysView(_PasskeysView):
    authentication_classes = [JWTSessionAuthentication]
    permission_classes = [IsAuthenticated]


class _StepUpPasskeysView(_PasskeysView):
    authentication_classes = [JWTSessionAuthentication]
    permission_classes = [IsAuthenticated, RecentAuthentication]


def _options(options: dict[str, Any]) -> Response:
    return Response({"publicKey": options}, status=status.HTTP_200_OK, headers=NO_STORE)


class PasskeyRegistrationOptionsView(_StepUpPasskeysView):
    """``POST`` -> 200 ``{"publicKey": creation options}`` for a new passkey (step-up)."""

    serializer_class = NoBodySerializer

    def post(self, request: Request) -> Response:
        """Issue a registration challenge for the requester."""
        try:
            return _options(passkeys.registration_options(request.user))
        except passkeys.PasskeyError as exc:
            raise PasskeyRefused(exc.detail, code=exc.code) from exc


class PasskeyRegistrationView(_StepUpPasskeysView):
    """``POST {"credential", "name"?}`` -> 201 the passkey (step-up).

    The first factor of an account also gets its ten recovery codes, shown once
    (``"recovery_codes"``), as a TOTP enrolment does.
    """

    serializer_class = PasskeyRegistrationSerializer

    def post(self, request: Request) -> Response:
        """Verify the attestation and store the passkey."""
        serializer = PasskeyRegistrationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: Any = request.user
        first_factor = not has_second_factor(user)
        data = serializer.validated_data
        try:
            stored = passkeys.register(user, data["credential"], data["name"])
        except passkeys.PasskeyError as exc:
            raise PasskeyRefused(exc.detail, code=exc.code) from exc
        body: dict[str, Any] = dict(PasskeySerializer(stored).data)
        if first_factor:
            body["recovery_codes"] = recovery.regenerate(user)
        events.record(
            events.MFA_ENROLLED, request=request, user=user, outcome=events.SUCCESS, factor=WEBAUTHN
        )
        signals.mfa_enrolled.send(
            sender=PasskeyRegistrationView, user=user, method=WEBAUTHN, request=request
        )
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)


class PasskeyListView(_SignedInPasskeysView):
    """``GET`` -> ``[{"id", "name", "created_at", "last_used_at", "backed_up"}]``."""

    serializer_class = PasskeySerializer

    def get(self, request: Request) -> Response:
        """The requester's passkeys, oldest first."""
        return Response(PasskeySerializer(passkeys.credentials_of(request.user), many=True).data)


class PasskeyDetailView(_StepUpPasskeysView):
    """``PATCH {"name"}`` -> 200; ``DELETE`` -> 204 (both step-up). Anyone else's: 404."""

    serializer_class = PasskeyNameSerializer

    def _passkey(self, request: Request, passkey_id: uuid.UUID) -> WebAuthnCredential:
        stored: WebAuthnCredential | None = WebAuthnCredential.objects.filter(
            user=request.user, pk=passkey_id
        ).first()
        if stored is None:
            raise NotFound
        return stored

    def patch(self, request: Request, passkey_id: uuid.UUID) -> Response:
        """Rename one of the requester's passkeys."""
        stored = self._passkey(request, passkey_id)
        serializer = PasskeyNameSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stored.name = serializer.validated_data["name"]
        stored.save(update_fields=["name"])
        return Response(PasskeySerializer(stored).data)

    def delete(self, request: Request, passkey_id: uuid.UUID) -> Response:
        """Remove one of the requester's passkeys (and the recovery codes with the last factor)."""
        stored = self._passkey(request, passkey_id)
        stored.delete()
        user: Any = request.user
        if not has_second_factor(user):
            recovery.discard(user)
        events.record(
            events.MFA_REMOVED, request=request, user=user, outcome=events.SUCCESS, factor=WEBAUTHN
        )
        signals.mfa_removed.send(
            sender=PasskeyDetailView, user=user, method=WEBAUTHN, request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@public
class PasskeyMFAOptionsView(_AnonymousPasskeysView):
    """``POST {"mfa_token"}`` -> 200 ``{"publicKey"}``: a passkey as the login's second step.

    The token is not spent here; ``POST /api/auth/mfa/verify/`` with ``"credential"`` spends it.
    """

    serializer_class = MFATokenSerializer

    def post(self, request: Request) -> Response:
        """Issue a second-factor challenge for the user of the pending login."""
        serializer = MFATokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        challenge = challenges.pending(serializer.validated_data["mfa_token"])
        if challenge is None or not challenge.user.is_active:
            raise AuthenticationFailed(INVALID_MFA_TOKEN, code="mfa_token_not_valid")
        if not WebAuthnCredential.objects.registered_for(challenge.user):
            raise NotFound("No passkey is registered.", code="not_found")
        return _options(passkeys.authentication_options(passkeys.SECOND_FACTOR, challenge.user))


class PasskeyReauthOptionsView(_SignedInPasskeysView):
    """``POST`` -> 200 ``{"publicKey"}``: a passkey for ``POST /api/auth/reauth/``."""

    serializer_class = NoBodySerializer

    def post(self, request: Request) -> Response:
        """Issue a step-up challenge for the requester."""
        if not WebAuthnCredential.objects.registered_for(request.user):
            raise NotFound("No passkey is registered.", code="not_found")
        return _options(passkeys.authentication_options(passkeys.REAUTH, request.user))


@public
class PasskeyLoginOptionsView(_AnonymousPasskeysView):
    """``POST`` -> 200 ``{"publicKey"}``: a passwordless login (no account named)."""

    serializer_class = NoBodySerializer

    def post(self, request: Request) -> Response:
        """Issue a passwordless challenge: any of the authenticator's passkeys, user verified."""
        return _options(passkeys.authentication_options(passkeys.LOGIN, None))


@public
class PasskeyLoginView(_AnonymousPasskeysView):
    """``POST {"credential"}`` -> 200 ``{"access"}`` + refresh cookie: a passwordless login.

    Unknown, wrong or replayed answers are a 401 (``passkey_not_valid``) counted by the login
    rate per address and, for a known passkey, by its account's lockout; a locked account
    answers 429; a regressed signature counter 401 ``passkey_counter_regressed``.
    """

    serializer_class = PasskeyCredentialSerializer
    throttle_classes = [LoginIPRateThrottle]

    def post(self, request: Request) -> Response:
        """Reserve a lockout slot, check the assertion, start the session."""
        serializer = PasskeyCredentialSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credential = serializer.validated_data["credential"]
        stored = passkeys.find_credential(credential)
        if stored is None or not stored.user.is_active:
            raise AuthenticationFailed("Unknown passkey.", code="passkey_not_valid")
        user = stored.user
        attempt = lockout.reserve(request, user.get_username())
        if not attempt.admitted:
            lockout.refuse(request, attempt)  # 429, or 503 when the store is down
        try:
            passkeys.verify_assertion(request, credential, passkeys.LOGIN, None)
        except passkeys.PasskeyError as exc:
            lockout.record_failure(request, attempt)
            raise AuthenticationFailed(exc.detail, code=exc.code) from exc
        lockout.record_success(request, attempt)
        refund_login_throttles(request)
        return complete_login(request, user, mfa=WEBAUTHN, passwordless=True)
