"""Passkeys (WebAuthn) with py_webauthn: registration, assertions, single-use challenges.

The relying party is configured by ``APISEC_WEBAUTHN_RP_ID`` (``None``: passkeys are off),
``APISEC_WEBAUTHN_RP_NAME`` and ``APISEC_WEBAUTHN_ORIGINS``. Every ceremony starts with a
challenge of 32 random bytes stored as its SHA-256 for :data:`LIFETIME`, bound to its purpose
and (but for a passwordless login) to its user; the browser signs it inside ``clientDataJSON``,
where the finishing request finds it. Spending it is one ``DELETE``: a ceremony completes once.

py_webauthn checks the signature, the challenge, the origin and the relying-party id hash. The
signature counter is ours: it moves forward by one conditional ``UPDATE``, and an assertion
whose counter is not above the stored one (when either is non-zero) is refused and reported as
``passkey_counter_regressed`` -- the mark of a cloned authenticator.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, options_to_json_dict, parse_client_data_json
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from django_apisec import signals
from django_apisec.conf import apisec_settings
from django_apisec.models import WebAuthnChallenge, WebAuthnCredential
from django_apisec.observability import events

if TYPE_CHECKING:
    from collections.abc import Mapping

LIFETIME = timedelta(minutes=5)
#: The browser's own timeout, shorter than the challenge's life.
TIMEOUT_MS = 120_000
CHALLENGE_BYTES = 32
#: More passkeys than anyone carries; bounds the rows and the options' credential lists.
MAX_CREDENTIALS = 20
USER_HANDLE_SALT = "django_apisec.mfa.passkeys.user-handle"
#: A credential id as browsers send it: base64url, at most 1023 bytes (1364 characters).
CREDENTIAL_ID = re.compile(r"[A-Za-z0-9_-]{1,1364}")

# Ceremonies (a challenge is spent only by the ceremony it was issued for).
REGISTER = "register"
SECOND_FACTOR = "mfa"
REAUTH = "reauth"
LOGIN = "login"
PURPOSES = frozenset({REGISTER, SECOND_FACTOR, REAUTH, LOGIN})


class PasskeyError(Exception):
    """A passkey ceremony that failed; ``code`` is the stable error code the view answers."""

    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


@dataclass(frozen=True)
class RelyingParty:
    """The relying party as configured: its id (a host name), name and accepted origins."""

    id: str
    name: str
    origins: tuple[str, ...]


def relying_party() -> RelyingParty | None:
    """The configured relying party, or ``None`` when passkeys are off."""
    rp_id = apisec_settings.WEBAUTHN_RP_ID
    if rp_id is None:
        return None
    origins = apisec_settings.WEBAUTHN_ORIGINS or (f"https://{rp_id}",)
    return RelyingParty(rp_id, apisec_settings.WEBAUTHN_RP_NAME or rp_id, origins)


def _required() -> RelyingParty:
    rp = relying_party()
    if rp is None:
        raise PasskeyError("Passkeys are not enabled.", "passkeys_disabled")
    return rp


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _issue_challenge(purpose: str, user: Any | None) -> bytes:
    now = timezone.now()
    # Expired ceremonies go now (one indexed DELETE): rows never pile up.
    WebAuthnChallenge.objects.filter(expires_at__lte=now).delete()
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    WebAuthnChallenge.objects.create(
        challenge_hash=_hash(challenge), purpose=purpose, user=user, expires_at=now + LIFETIME
    )
    return challenge


def _spend_challenge(credential: Mapping[str, Any], purpose: str, user: Any | None) -> bytes:
    """The challenge signed in ``credential``, spent; refuses an unknown, used or foreign one."""
    try:
        client_data = parse_client_data_json(
            base64url_to_bytes(credential["response"]["clientDataJSON"])
        )
        challenge = client_data.challenge
    except Exception as exc:  # untrusted input: any parse failure is a refusal, never a 500
        raise PasskeyError("The passkey response is malformed.", "passkey_not_valid") from exc
    rows = WebAuthnChallenge.objects.filter(
        challenge_hash=_hash(challenge), purpose=purpose, expires_at__gt=timezone.now()
    )
    rows = rows.filter(user__isnull=True) if user is None else rows.filter(user=user)
    if rows.delete()[0] != 1:
        raise PasskeyError("The passkey challenge is invalid or expired.", "passkey_not_valid")
    return bytes(challenge)


def prune_challenges() -> int:
    """Delete every expired WebAuthn challenge; how many rows went."""
    return int(WebAuthnChallenge.objects.filter(expires_at__lte=timezone.now()).delete()[0])


def user_handle(user: Any) -> bytes:
    """The opaque WebAuthn user handle of ``user``: a keyed hash, never the primary key."""
    return salted_hmac(USER_HANDLE_SALT, str(user.pk), algorithm="sha256").digest()


def credentials_of(user: Any) -> list[WebAuthnCredential]:
    """The user's passkeys, oldest first."""
    return list(WebAuthnCredential.objects.filter(user=user).order_by("created_at"))


def _descriptors(user: Any) -> list[PublicKeyCredentialDescriptor]:
    descriptors = []
    for stored in credentials_of(user):
        transports = [AuthenticatorTransport(t) for t in stored.transports if _transport(t)]
        descriptors.append(
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(stored.credential_id), transports=transports or None
            )
        )
    return descriptors


def _transport(value: object) -> bool:
    return value in {t.value for t in AuthenticatorTransport}


def registration_options(user: Any) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptions`` (JSON) for a new passkey of ``user``."""
    rp = _required()
    if WebAuthnCredential.objects.filter(user=user).count() >= MAX_CREDENTIALS:
        raise PasskeyError(
            f"At most {MAX_CREDENTIALS} passkeys per account.", "passkey_limit_reached"
        )
    name = str(user.get_username())
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=name,
        user_id=user_handle(user),
        user_display_name=name,
        challenge=_issue_challenge(REGISTER, user),
        timeout=TIMEOUT_MS,
        # Discoverable (a passkey): the same credential serves the passwordless login.
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    return options_to_json_dict(options)


def register(user: Any, credential: Mapping[str, Any], name: str) -> WebAuthnCredential:
    """Verify the browser's ``navigator.credentials.create()`` answer and store the passkey."""
    rp = _required()
    challenge = _spend_challenge(credential, REGISTER, user)
    try:
        verified = verify_registration_response(
            credential=dict(credential),
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
        )
    except Exception as exc:  # untrusted input: any failure of the library is a refusal
        raise PasskeyError("The passkey could not be verified.", "passkey_not_valid") from exc
    response = credential.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    if not isinstance(transports, list):
        transports = []
    try:
        # A savepoint: the refused insert must not break the caller's transaction (PostgreSQL
        # aborts it, and ATOMIC_REQUESTS or a test runs the view in one).
        with transaction.atomic():
            created: WebAuthnCredential = WebAuthnCredential.objects.create(
                user=user,
                credential_id=_b64(verified.credential_id),
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                name=name,
                transports=[t for t in transports if _transport(t)],
                backed_up=verified.credential_backed_up,
                created_at=timezone.now(),
            )
    except IntegrityError as exc:  # the credential is registered already (to anyone)
        raise PasskeyError("This passkey is already registered.", "passkey_exists") from exc
    return created


def _b64(raw: bytes) -> str:
    return str(bytes_to_base64url(raw))


def authentication_options(purpose: str, user: Any | None) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptions`` (JSON) for a ceremony of ``purpose``.

    With a ``user`` (second factor, step-up) the options list that user's passkeys; without one
    (passwordless login) the authenticator offers its discoverable credentials, and the user must
    be verified on it (PIN or biometrics): that login is then complete with every factor.
    """
    rp = _required()
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=_issue_challenge(purpose, user),
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(user) if user is not None else [],
        user_verification=(
            UserVerificationRequirement.REQUIRED
            if user is None
            else UserVerificationRequirement.PREFERRED
        ),
    )
    return options_to_json_dict(options)


def find_credential(credential: object) -> WebAuthnCredential | None:
    """The stored passkey named by ``credential["id"]`` (with its user), or ``None``."""
    if not isinstance(credential, dict):
        return None
    credential_id = credential.get("id")
    if not isinstance(credential_id, str) or not CREDENTIAL_ID.fullmatch(credential_id):
        return None
    stored: WebAuthnCredential | None = (
        WebAuthnCredential.objects.select_related("user")
        .filter(credential_id=credential_id)
        .first()
    )
    return stored


def verify_assertion(
    request: Any, credential: object, purpose: str, user: Any | None
) -> WebAuthnCredential:
    """Check a ``navigator.credentials.get()`` answer; the passkey used, or :class:`PasskeyError`.

    ``user`` is whom the ceremony was started for (``None`` for a passwordless login: then the
    passkey names the user). Spends the challenge first, so a response is accepted at most once.
    """
    rp = _required()
    stored = find_credential(credential)
    if stored is None or (user is not None and stored.user_id != user.pk):
        raise PasskeyError("Unknown passkey.", "passkey_not_valid")
    assert isinstance(credential, dict)  # find_credential checked it  # noqa: S101
    challenge = _spend_challenge(credential, purpose, user)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            credential_public_key=bytes(stored.public_key),
            # 0: the counter is judged below, atomically, against the row as it is now.
            credential_current_sign_count=0,
            require_user_verification=user is None,
        )
    except Exception as exc:  # untrusted input: any failure of the library is a refusal
        raise PasskeyError("The passkey could not be verified.", "passkey_not_valid") from exc
    _advance_counter(request, stored, verified.new_sign_count, verified.credential_backed_up)
    return stored


def _advance_counter(
    request: Any, stored: WebAuthnCredential, presented: int, backed_up: bool
) -> None:
    now = timezone.now()
    # Authenticators without a counter (most synced passkeys) always send 0: accepted only while
    # the stored counter is 0 too. Otherwise the counter must move forward.
    ahead = {"sign_count": 0} if presented == 0 else {"sign_count__lt": presented}
    rows = WebAuthnCredential.objects.filter(pk=stored.pk, **ahead)
    if rows.update(sign_count=presented, last_used_at=now, backed_up=backed_up) == 1:
        return
    current = WebAuthnCredential.objects.filter(pk=stored.pk).values_list("sign_count", flat=True)
    known = next(iter(current), stored.sign_count)
    events.record(
        events.PASSKEY_COUNTER_REGRESSED,
        request=request,
        user=stored.user,
        outcome=events.BLOCKED,
        passkey=str(stored.pk),
        stored_count=known,
        presented_count=presented,
    )
    signals.passkey_counter_regressed.send(
        sender=WebAuthnCredential,
        user=stored.user,
        passkey=stored,
        stored_count=known,
        presented_count=presented,
        request=request,
    )
    raise PasskeyError("The passkey's signature counter went back.", "passkey_counter_regressed")
