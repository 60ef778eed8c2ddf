"""Passkeys (WebAuthn): registration, second factor, passwordless login, and the attacks on each.

A software authenticator (tests/soft_authenticator.py) stands for the browser and the passkey;
tests/browser/test_passkeys.py repeats the main paths in Chromium with a virtual authenticator.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from django_apisec.abuse.devices import cookie_name as device_cookie_name
from django_apisec.jwt.transport import refresh_cookie_name
from django_apisec.mfa import challenges, passkeys
from django_apisec.mfa.factors import enrolled_methods
from django_apisec.models import (
    MFAChallenge,
    RecoveryCode,
    TokenFamily,
    WebAuthnChallenge,
    WebAuthnCredential,
)
from django_apisec.signals import passkey_counter_regressed
from tests.conftest import PASSWORD
from tests.soft_authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db

RP_ID = "example.com"
ORIGIN = "https://app.example.com"
PASSKEYS = {"APISEC_WEBAUTHN_RP_ID": RP_ID, "APISEC_WEBAUTHN_ORIGINS": [ORIGIN]}
BASE = "/api/auth/webauthn/"
LOGIN = "/api/auth/login/"
VERIFY = "/api/auth/mfa/verify/"
TOTP = "/api/auth/mfa/totp/"


@pytest.fixture(autouse=True)
def _passkeys_on() -> Any:
    with override_settings(**PASSKEYS):
        yield


def login(client: APIClient, username: str = "alice") -> Any:
    return client.post(LOGIN, {"username": username, "password": PASSWORD}, format="json")


def bearer(client: APIClient, username: str = "alice") -> dict[str, str]:
    response = login(client, username)
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}


def register(
    client: APIClient, headers: dict[str, str], **create: Any
) -> tuple[SoftAuthenticator, Any]:
    """Register a new passkey for the user of ``headers``: (authenticator, 201 answer)."""
    authenticator = SoftAuthenticator(RP_ID, ORIGIN)
    options = client.post(f"{BASE}register/options/", **headers)
    assert options.status_code == 200, options.content
    public_key = options.json()["publicKey"]
    assert public_key["rp"]["id"] == RP_ID
    assert public_key["authenticatorSelection"]["residentKey"] == "required"
    credential = authenticator.create(public_key, **create)
    response = client.post(
        f"{BASE}register/", {"credential": credential, "name": "laptop"}, format="json", **headers
    )
    return authenticator, response


@pytest.fixture
def passkey(alice: Any) -> SoftAuthenticator:
    client = APIClient()
    authenticator, response = register(client, bearer(client))
    assert response.status_code == 201, response.content
    return authenticator


def mfa_token(client: APIClient) -> str:
    response = login(client)
    assert response.status_code == 200
    body = response.json()
    assert "access" not in body
    return str(body["mfa_token"])


def mfa_options(client: APIClient, token: str) -> dict[str, Any]:
    response = client.post(f"{BASE}mfa/options/", {"mfa_token": token}, format="json")
    assert response.status_code == 200, response.content
    return dict(response.json()["publicKey"])


def login_options(client: APIClient) -> dict[str, Any]:
    response = client.post(f"{BASE}login/options/")
    assert response.status_code == 200, response.content
    return dict(response.json()["publicKey"])


def passwordless(client: APIClient, credential: dict[str, Any]) -> Any:
    return client.post(f"{BASE}login/", {"credential": credential}, format="json")


def enrol_totp(client: APIClient, headers: dict[str, str]) -> list[str]:
    """Enrol and confirm TOTP for the user of ``headers``: the recovery codes."""
    secret = client.post(TOTP, **headers).json()["secret"]
    code = pyotp.TOTP(secret).now()
    response = client.post(f"{TOTP}confirm/", {"code": code}, format="json", **headers)
    assert response.status_code == 200, response.content
    return list(response.json()["recovery_codes"])


def stale(user: Any) -> None:
    """Stand for time passing: the sessions' last proof of a factor is an hour old."""
    TokenFamily.objects.filter(user=user).update(auth_time=timezone.now() - timedelta(hours=1))


def stale_headers(client: APIClient, user: Any) -> dict[str, str]:
    """An access token whose auth_time is an hour old (carried by a refresh)."""
    bearer(client)
    stale(user)
    response = client.post("/api/auth/refresh/")
    assert response.status_code == 200
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}


# --- registration and management ------------------------------------------------------------------


def test_registration_stores_the_public_key_only_and_shows_recovery_codes_once(
    alice: Any,
) -> None:
    client = APIClient()
    headers = bearer(client)
    authenticator, response = register(client, headers)
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "laptop"
    assert len(body["recovery_codes"]) == 10
    stored = WebAuthnCredential.objects.get(user=alice)
    assert stored.credential_id == authenticator.id
    assert RecoveryCode.objects.filter(user=alice).count() == 10
    # A second passkey: the codes are not reissued (they back up every factor of the account).
    _, second = register(client, headers)
    assert second.status_code == 201
    assert "recovery_codes" not in second.json()
    listed = client.get(f"{BASE}credentials/", **headers).json()
    assert [item["name"] for item in listed] == ["laptop", "laptop"]
    assert set(listed[0]) == {"id", "name", "created_at", "last_used_at", "backed_up"}


def test_registration_needs_a_recent_step_up(alice: Any) -> None:
    client = APIClient()
    headers = stale_headers(client, alice)
    for path in ("register/options/", "register/"):
        response = client.post(f"{BASE}{path}", {}, format="json", **headers)
        assert response.status_code == 403
        assert response.json()["code"] == "reauthentication_required"
    assert not WebAuthnChallenge.objects.exists()


def test_rename_and_remove_need_a_step_up_and_another_users_passkey_is_a_404(
    alice: Any, bob: Any, passkey: SoftAuthenticator
) -> None:
    stored = WebAuthnCredential.objects.get(user=alice)
    detail = f"{BASE}credentials/{stored.pk}/"
    client = APIClient()
    assert passwordless(client, passkey.get(login_options(client))).status_code == 200
    stale(alice)
    refreshed = client.post("/api/auth/refresh/").json()["access"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {refreshed}"}
    assert client.patch(detail, {"name": "x"}, format="json", **headers).status_code == 403
    assert client.delete(detail, **headers).status_code == 403
    # Bob, freshly logged in, cannot see, rename or remove Alice's passkey.
    other = APIClient()
    bobs = bearer(other, "bob")
    assert other.get(f"{BASE}credentials/", **bobs).json() == []
    assert other.patch(detail, {"name": "mine"}, format="json", **bobs).status_code == 404
    assert other.delete(detail, **bobs).status_code == 404
    assert WebAuthnCredential.objects.get(pk=stored.pk).name == "laptop"
    # Alice after a step-up: rename, then remove (the codes go with the last factor).
    fresh = APIClient()
    token = mfa_token(fresh)
    assertion = passkey.get(mfa_options(fresh, token))
    access = fresh.post(VERIFY, {"mfa_token": token, "credential": assertion}, format="json")
    own = {"HTTP_AUTHORIZATION": f"Bearer {access.json()['access']}"}
    renamed = fresh.patch(detail, {"name": "phone"}, format="json", **own)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "phone"
    assert fresh.delete(detail, **own).status_code == 204
    assert not WebAuthnCredential.objects.filter(user=alice).exists()
    assert not RecoveryCode.objects.filter(user=alice).exists()
    assert "access" in login(APIClient()).json()  # the password alone logs in again


def test_a_registration_from_an_origin_not_listed_is_refused(alice: Any) -> None:
    client = APIClient()
    _, response = register(client, bearer(client), origin="https://evil.example.net")
    assert response.status_code == 400
    assert response.json()["code"] == "passkey_not_valid"
    assert not WebAuthnCredential.objects.exists()


def test_a_registration_challenge_is_single_use(alice: Any) -> None:
    client = APIClient()
    headers = bearer(client)
    options = client.post(f"{BASE}register/options/", **headers).json()["publicKey"]
    first = SoftAuthenticator(RP_ID, ORIGIN).create(options)
    second = SoftAuthenticator(RP_ID, ORIGIN).create(options)
    assert (
        client.post(f"{BASE}register/", {"credential": first}, format="json", **headers).status_code
        == 201
    )
    replay = client.post(f"{BASE}register/", {"credential": second}, format="json", **headers)
    assert replay.status_code == 400
    assert WebAuthnCredential.objects.filter(user=alice).count() == 1


# --- second factor --------------------------------------------------------------------------------


def test_a_passkey_is_a_second_factor_next_to_the_password(
    alice: Any, passkey: SoftAuthenticator
) -> None:
    client = APIClient()
    response = login(client)
    body = response.json()
    assert body["mfa_required"] is True
    assert body["methods"] == ["webauthn", "recovery_code"]
    assert refresh_cookie_name() not in response.cookies
    options = mfa_options(client, body["mfa_token"])
    assert [c["id"] for c in options["allowCredentials"]] == [passkey.id]
    verified = client.post(
        VERIFY, {"mfa_token": body["mfa_token"], "credential": passkey.get(options)}, format="json"
    )
    assert verified.status_code == 200, verified.content
    assert "access" in verified.json()
    assert refresh_cookie_name() in verified.cookies
    assert device_cookie_name() in verified.cookies
    assert WebAuthnCredential.objects.get(user=alice).last_used_at is not None


def test_a_passkey_steps_up(alice: Any, passkey: SoftAuthenticator) -> None:
    client = APIClient()
    token = mfa_token(client)
    client.post(
        VERIFY,
        {"mfa_token": token, "credential": passkey.get(mfa_options(client, token))},
        format="json",
    )
    stale(alice)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {client.post('/api/auth/refresh/').json()['access']}"}
    options = client.post(f"{BASE}reauth/options/", **headers).json()["publicKey"]
    body = {"password": PASSWORD, "credential": passkey.get(options)}
    response = client.post("/api/auth/reauth/", body, format="json", **headers)
    assert response.status_code == 200, response.content
    fresh = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}
    assert client.post(f"{BASE}register/options/", **fresh).status_code == 200


def test_a_second_factor_challenge_does_not_log_in_passwordless(
    alice: Any, passkey: SoftAuthenticator
) -> None:
    # The attack: a challenge issued for someone's second step (the attacker knows the password
    # of no one, but asks for options with a stolen mfa_token) replayed as a passwordless login.
    client = APIClient()
    options = mfa_options(client, mfa_token(client))
    response = passwordless(APIClient(), passkey.get(options))
    assert response.status_code == 401
    assert response.json()["code"] == "passkey_not_valid"


# --- passwordless ---------------------------------------------------------------------------------


def test_passwordless_login_is_a_complete_login(alice: Any, passkey: SoftAuthenticator) -> None:
    client = APIClient()
    options = login_options(client)
    assert options["userVerification"] == "required"
    assert options.get("allowCredentials", []) == []
    response = passwordless(client, passkey.get(options))
    assert response.status_code == 200, response.content
    assert "access" in response.json()
    assert refresh_cookie_name() in response.cookies
    # Every factor was proved: this device gets its own lockout bucket.
    assert device_cookie_name() in response.cookies
    access = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}
    assert client.get("/api/me/", **access).json()["username"] == "alice"


def test_a_passwordless_assertion_without_user_verification_is_refused(
    alice: Any, passkey: SoftAuthenticator
) -> None:
    # Presence alone (a touch) proves possession only: one factor, not a login.
    response = passwordless(
        APIClient(), passkey.get(login_options(APIClient()), user_verified=False)
    )
    assert response.status_code == 401


def test_a_replayed_assertion_is_refused(alice: Any, passkey: SoftAuthenticator) -> None:
    assertion = passkey.get(login_options(APIClient()))
    assert passwordless(APIClient(), assertion).status_code == 200
    replay = passwordless(APIClient(), assertion)
    assert replay.status_code == 401
    assert replay.json()["code"] == "passkey_not_valid"


def test_an_assertion_for_another_relying_party_is_refused(
    alice: Any, passkey: SoftAuthenticator
) -> None:
    # The phishing case: the same authenticator signed for evil.example.net (a lookalike site
    # relaying our challenge), reported from an origin we list.
    assertion = passkey.get(login_options(APIClient()), rp_id="evil.example.net")
    response = passwordless(APIClient(), assertion)
    assert response.status_code == 401
    assert "access" not in response.json()


def test_an_assertion_from_an_origin_not_listed_is_refused(
    alice: Any, passkey: SoftAuthenticator
) -> None:
    assertion = passkey.get(login_options(APIClient()), origin="https://app.example.com.evil.net")
    assert passwordless(APIClient(), assertion).status_code == 401


def test_a_regressed_signature_counter_is_refused_and_reported(
    alice: Any, passkey: SoftAuthenticator
) -> None:
    assert passwordless(APIClient(), passkey.get(login_options(APIClient()))).status_code == 200
    assert passwordless(APIClient(), passkey.get(login_options(APIClient()))).status_code == 200
    assert WebAuthnCredential.objects.get(user=alice).sign_count == 2
    seen: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        seen.append(kwargs)

    passkey_counter_regressed.connect(receiver)
    try:
        # A clone of the authenticator, taken when its counter was 1, signs a fresh challenge.
        cloned = passkey.get(login_options(APIClient()), counter=2)
        response = passwordless(APIClient(), cloned)
    finally:
        passkey_counter_regressed.disconnect(receiver)
    assert response.status_code == 401
    assert response.json()["code"] == "passkey_counter_regressed"
    assert [(s["stored_count"], s["presented_count"]) for s in seen] == [(2, 2)]
    # The genuine authenticator goes on.
    assert passwordless(APIClient(), passkey.get(login_options(APIClient()))).status_code == 200


def test_a_counter_that_stops_at_zero_after_counting_is_a_regression(
    alice: Any, passkey: SoftAuthenticator
) -> None:
    assert passwordless(APIClient(), passkey.get(login_options(APIClient()))).status_code == 200
    response = passwordless(APIClient(), passkey.get(login_options(APIClient()), counter=0))
    assert response.json()["code"] == "passkey_counter_regressed"


def test_authenticators_without_a_counter_are_accepted(alice: Any) -> None:
    client = APIClient()
    authenticator, _ = register(client, bearer(client))
    for _ in range(2):
        assertion = authenticator.get(login_options(APIClient()), counter=0)
        assert passwordless(APIClient(), assertion).status_code == 200


def test_wrong_passwordless_assertions_count_toward_the_lockout(
    alice: Any, passkey: SoftAuthenticator
) -> None:
    forger = SoftAuthenticator(RP_ID, ORIGIN, credential_id=passkey.credential_id)  # wrong key
    with override_settings(APISEC_LOCKOUT_THRESHOLD=3):
        codes = [
            passwordless(APIClient(), forger.get(login_options(APIClient()))).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        # Locked: even the genuine passkey waits (no assertion is checked while locked).
        response = passwordless(APIClient(), passkey.get(login_options(APIClient())))
        assert response.status_code == 429
        assert "Retry-After" in response
        # And the password step of the same account is locked too: one bucket per account.
        assert login(APIClient()).status_code == 429


def test_unknown_and_malformed_credentials_are_401_or_400_never_500(alice: Any) -> None:
    client = APIClient()
    login_options(client)
    for credential in (
        {},
        {"id": "nope"},
        {"id": 5, "response": []},
        {"id": "x" * 5000},
        {"id": "AAAA", "response": {"clientDataJSON": "!!!"}},
    ):
        response = passwordless(client, credential)
        assert response.status_code == 401, (credential, response.content)
    assert client.post(f"{BASE}login/", {"credential": "text"}, format="json").status_code == 400
    # A NUL (which PostgreSQL refuses in text) is refused by the JSON parser, before any query;
    # find_credential refuses it too (base64url only).
    nul = client.post(f"{BASE}login/", {"credential": {"id": "AA\u0000AA"}}, format="json")
    assert (nul.status_code, nul.json()["code"]) == (400, "null_character")
    assert passkeys.find_credential({"id": "AA\u0000AA"}) is None
    headers = bearer(client)
    garbage = {"credential": {"id": "AAAA", "response": {"clientDataJSON": 7}}}
    response = client.post(f"{BASE}register/", garbage, format="json", **headers)
    assert response.status_code == 400


def test_passkeys_off_answer_404(alice: Any) -> None:
    with override_settings(APISEC_WEBAUTHN_RP_ID=None):
        assert passkeys.relying_party() is None
        assert APIClient().post(f"{BASE}login/options/").status_code == 404
        assert APIClient().post(f"{BASE}login/", {}, format="json").status_code == 404


def test_expired_challenges_are_refused_and_pruned(alice: Any, passkey: SoftAuthenticator) -> None:
    options = login_options(APIClient())
    WebAuthnChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert passwordless(APIClient(), passkey.get(options)).status_code == 401
    assert passkeys.prune_challenges() == 1
    assert not WebAuthnChallenge.objects.exists()


def test_expired_challenges_of_everyone_are_pruned(alice: Any, bob: Any) -> None:
    challenges.issue(alice)
    challenges.issue(bob)
    login_options(APIClient())
    MFAChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    WebAuthnChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    live = challenges.issue(alice)  # (this one also drops alice's own expired challenge)
    out = io.StringIO()
    call_command("apisec_prune_challenges", stdout=out)
    assert out.getvalue().strip() == "Deleted 1 MFA challenge(s) and 1 passkey challenge(s)."
    assert challenges.pending(live) is not None
    # Piggy-backed: a login that draws the batch prunes them too.
    challenges.issue(bob)
    MFAChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with override_settings(APISEC_JWT_PRUNE_EVERY=1):
        assert login(APIClient(), "bob").status_code == 200
    assert not MFAChallenge.objects.exists()


# --- refusals of the ceremonies, one per stable code ---------------------------------------------


def test_with_passkeys_off_every_ceremony_refuses_with_passkeys_disabled(
    alice: Any, passkey: SoftAuthenticator
) -> None:
    client = APIClient()
    token = mfa_token(client)
    assertion = passkey.get(mfa_options(client, token))
    with override_settings(APISEC_WEBAUTHN_RP_ID=None):
        for ceremony in (
            lambda: passkeys.registration_options(alice),
            lambda: passkeys.register(alice, assertion, "laptop"),
            lambda: passkeys.authentication_options(passkeys.LOGIN, None),
            lambda: passkeys.verify_assertion(None, assertion, passkeys.SECOND_FACTOR, alice),
        ):
            with pytest.raises(passkeys.PasskeyError) as refused:
                ceremony()
            assert refused.value.code == "passkeys_disabled"
        # A passkey registered while they were on no longer passes the second step.
        response = client.post(VERIFY, {"mfa_token": token, "credential": assertion}, format="json")
        assert response.status_code == 401
        assert response.json()["code"] == "mfa_code_not_valid"
    assert WebAuthnCredential.objects.get(user=alice).last_used_at is None


def test_an_account_holds_at_most_max_credentials_passkeys(alice: Any) -> None:
    client = APIClient()
    headers = bearer(client)
    for n in range(passkeys.MAX_CREDENTIALS - 1):
        WebAuthnCredential.objects.create(
            user=alice,
            credential_id=f"stored{n}",
            public_key=b"key",
            name=f"key {n}",
            created_at=timezone.now(),
        )
    _, response = register(client, headers)  # the 20th
    assert response.status_code == 201, response.content
    assert WebAuthnChallenge.objects.count() == 0
    refused = client.post(f"{BASE}register/options/", **headers)
    assert refused.status_code == 400
    assert refused.json()["code"] == "passkey_limit_reached"
    assert not WebAuthnChallenge.objects.exists()  # no challenge issued for a refused ceremony
    assert WebAuthnCredential.objects.filter(user=alice).count() == passkeys.MAX_CREDENTIALS


def test_a_credential_registered_already_is_refused_with_passkey_exists(
    alice: Any, bob: Any, passkey: SoftAuthenticator
) -> None:
    # The same authenticator again for its owner, then for another account (claiming a
    # credential id someone else registered): one row per credential id, never a second.
    alices = APIClient()
    signed_in = passwordless(alices, passkey.get(login_options(alices)))
    for client, headers in (
        (alices, {"HTTP_AUTHORIZATION": f"Bearer {signed_in.json()['access']}"}),
        (APIClient(), bearer(APIClient(), "bob")),
    ):
        options = client.post(f"{BASE}register/options/", **headers).json()["publicKey"]
        body = {"credential": passkey.create(options), "name": "copy"}
        response = client.post(f"{BASE}register/", body, format="json", **headers)
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "passkey_exists"
    assert list(WebAuthnCredential.objects.values_list("user__username", "name")) == [
        ("alice", "laptop")
    ]


@pytest.mark.parametrize(
    ("transports", "stored"),
    [
        ("internal", []),
        ({"internal": True}, []),
        (["internal", "warp-drive", 5, None, "usb"], ["internal", "usb"]),
    ],
)
def test_transports_keep_only_the_known_values_of_a_list(
    alice: Any, transports: object, stored: list[str]
) -> None:
    client = APIClient()
    headers = bearer(client)
    options = client.post(f"{BASE}register/options/", **headers).json()["publicKey"]
    credential = SoftAuthenticator(RP_ID, ORIGIN).create(options)
    credential["response"]["transports"] = transports
    response = client.post(f"{BASE}register/", {"credential": credential}, format="json", **headers)
    assert response.status_code == 201, response.content
    assert WebAuthnCredential.objects.get(user=alice).transports == stored


def test_a_credential_that_is_no_object_names_no_passkey(passkey: SoftAuthenticator) -> None:
    assert passkeys.find_credential({"id": passkey.id}) is not None
    for credential in (passkey.id, [passkey.id], None, 5):
        assert passkeys.find_credential(credential) is None
        with pytest.raises(passkeys.PasskeyError) as refused:
            passkeys.verify_assertion(None, credential, passkeys.LOGIN, None)
        assert refused.value.code == "passkey_not_valid"


def test_another_users_passkey_is_no_second_factor(
    alice: Any, bob: Any, passkey: SoftAuthenticator
) -> None:
    bobs, response = register(APIClient(), bearer(APIClient(), "bob"))
    assert response.status_code == 201
    client = APIClient()
    token = mfa_token(client)
    options = mfa_options(client, token)
    # Bob's own passkey, genuinely signing the challenge issued for Alice's second step.
    response = client.post(
        VERIFY, {"mfa_token": token, "credential": bobs.get(options)}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_code_not_valid"
    assert "access" not in response.json()
    assert WebAuthnCredential.objects.get(user=bob).last_used_at is None
    # The challenge was not spent by the refusal: Alice's passkey still completes the step.
    verified = client.post(
        VERIFY, {"mfa_token": token, "credential": passkey.get(options)}, format="json"
    )
    assert verified.status_code == 200, verified.content


def test_a_wrong_assertion_is_a_failed_second_factor(
    alice: Any, passkey: SoftAuthenticator
) -> None:
    forger = SoftAuthenticator(RP_ID, ORIGIN, credential_id=passkey.credential_id)  # wrong key
    client = APIClient()
    token = mfa_token(client)
    forged = forger.get(mfa_options(client, token))
    response = client.post(VERIFY, {"mfa_token": token, "credential": forged}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_code_not_valid"
    assert WebAuthnCredential.objects.get(user=alice).last_used_at is None


# --- options of the second step and the step-up ---------------------------------------------------


def test_second_factor_options_need_a_live_mfa_token_of_an_active_user(
    alice: Any, passkey: SoftAuthenticator
) -> None:
    client = APIClient()
    for token in ("not-a-token", "x" * 128):
        response = client.post(f"{BASE}mfa/options/", {"mfa_token": token}, format="json")
        assert response.status_code == 401
        assert response.json()["code"] == "mfa_token_not_valid"
    token = mfa_token(client)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    response = client.post(f"{BASE}mfa/options/", {"mfa_token": token}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_token_not_valid"
    assert not WebAuthnChallenge.objects.exists()


def test_options_for_an_account_without_a_passkey_are_a_404(alice: Any) -> None:
    # Alice has TOTP only: no passkey challenge is issued for her second step or step-up.
    client = APIClient()
    headers = bearer(client)
    enrol_totp(client, headers)
    token = mfa_token(client)
    response = client.post(f"{BASE}mfa/options/", {"mfa_token": token}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    response = client.post(f"{BASE}reauth/options/", **headers)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert not WebAuthnChallenge.objects.exists()


# --- removing one factor of several ---------------------------------------------------------------


def test_removing_one_passkey_of_two_keeps_the_recovery_codes(alice: Any) -> None:
    client = APIClient()
    headers = bearer(client)
    _, first = register(client, headers)
    _, second = register(client, headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert client.delete(f"{BASE}credentials/{first.json()['id']}/", **headers).status_code == 204
    assert RecoveryCode.objects.filter(user=alice).count() == 10
    assert login(APIClient()).json()["methods"] == ["webauthn", "recovery_code"]


def test_removing_totp_next_to_a_passkey_keeps_the_recovery_codes(alice: Any) -> None:
    client = APIClient()
    headers = bearer(client)
    codes = enrol_totp(client, headers)
    _, response = register(client, headers)
    assert response.status_code == 201
    assert "recovery_codes" not in response.json()  # TOTP's codes back up the passkey too
    assert client.delete(TOTP, **headers).status_code == 204
    assert RecoveryCode.objects.filter(user=alice).count() == len(codes) == 10
    assert login(APIClient()).json()["methods"] == ["webauthn", "recovery_code"]


def test_a_passkey_without_recovery_codes_offers_no_recovery_code(
    alice: Any, passkey: SoftAuthenticator
) -> None:
    assert enrolled_methods(alice) == ["webauthn", "recovery_code"]
    RecoveryCode.objects.filter(user=alice).delete()  # e.g. every code spent
    assert enrolled_methods(alice) == ["webauthn"]
    assert login(APIClient()).json()["methods"] == ["webauthn"]


def test_a_passkey_challenge_never_shows_its_hash_when_printed() -> None:
    row = WebAuthnChallenge(challenge_hash="CHALLENGE-HASH", purpose=passkeys.REGISTER, user_id=7)
    assert str(row) == "WebAuthn register challenge"
    stored = WebAuthnCredential(user_id=7, name="laptop", credential_id="CRED-ID", public_key=b"K")
    assert str(stored) == "laptop (passkey of user 7)"
    assert "CRED-ID" not in str(stored)
