"""TOTP, recovery codes and the two-step login: the attacks on each, then that they failed."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from django_apisec.abuse.devices import cookie_name as device_cookie_name
from django_apisec.jwt.transport import refresh_cookie_name
from django_apisec.mfa import challenges, encryption, recovery
from django_apisec.models import MFAChallenge, RecoveryCode, TOTPDevice
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
VERIFY = "/api/auth/mfa/verify/"
TOTP_URL = "/api/auth/mfa/totp/"
CONFIRM = "/api/auth/mfa/totp/confirm/"
STEP = 30


def code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_steps * STEP)


def login(client: APIClient, username: str = "alice", password: str = PASSWORD) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, format="json")


def bearer(client: APIClient, username: str = "alice") -> dict[str, str]:
    response = login(client, username)
    assert response.status_code == 200
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}


def enrol(client: APIClient, headers: dict[str, str]) -> tuple[str, list[str]]:
    """Enrol and confirm TOTP for the user of ``headers``: (secret, recovery codes)."""
    response = client.post(TOTP_URL, **headers)
    assert response.status_code == 201
    secret = response.json()["secret"]
    assert response.json()["otpauth_uri"].startswith("otpauth://totp/")
    response = client.post(CONFIRM, {"code": code_at(secret)}, format="json", **headers)
    assert response.status_code == 200
    return secret, response.json()["recovery_codes"]


def forget_last_step(user: Any) -> None:
    """Stand for time passing: the device has accepted no code yet."""
    TOTPDevice.objects.filter(user=user).update(last_used_step=None)


@pytest.fixture
def enrolled(alice: Any) -> tuple[str, list[str]]:
    client = APIClient()
    secret, codes = enrol(client, bearer(client))
    forget_last_step(alice)
    return secret, codes


def mfa_token(client: APIClient) -> str:
    response = login(client)
    assert response.status_code == 200
    return str(response.json()["mfa_token"])


def verify(client: APIClient, token: str, **factor: str) -> Any:
    return client.post(VERIFY, {"mfa_token": token, **factor}, format="json")


# --- enrolment ----------------------------------------------------------------------------------


def test_enrolment_shows_ten_recovery_codes_once_and_stores_nothing_in_clear(
    alice: Any, enrolled: tuple[str, list[str]]
) -> None:
    secret, codes = enrolled
    assert len(codes) == 10
    assert len(set(codes)) == 10
    device = TOTPDevice.objects.get(user=alice)
    assert device.confirmed_at is not None
    assert secret not in device.encrypted_secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM django_apisec_recoverycode")
        rows = str(cursor.fetchall())
        cursor.execute("SELECT * FROM django_apisec_totpdevice")
        rows += str(cursor.fetchall())
    assert secret not in rows
    assert not [code for code in codes if code in rows or recovery.normalise(code) in rows]


def test_confirmation_refuses_a_wrong_code_and_a_second_enrolment_is_a_conflict(
    alice: Any,
) -> None:
    client = APIClient()
    headers = bearer(client)
    secret = client.post(TOTP_URL, **headers).json()["secret"]
    wrong = str((int(code_at(secret)) + 1) % 1_000_000).zfill(6)
    assert client.post(CONFIRM, {"code": wrong}, format="json", **headers).status_code == 400
    assert client.post(CONFIRM, {"code": "12ab56"}, format="json", **headers).status_code == 400
    assert TOTPDevice.objects.get(user=alice).confirmed_at is None
    # Until confirmed, the password alone still logs in.
    assert "access" in login(APIClient()).json()
    assert (
        client.post(CONFIRM, {"code": code_at(secret)}, format="json", **headers).status_code == 200
    )
    response = client.post(TOTP_URL, **headers)
    assert response.status_code == 409
    assert response.json()["code"] == "mfa_already_enabled"
    # Nothing left to confirm.
    assert (
        client.post(CONFIRM, {"code": code_at(secret)}, format="json", **headers).status_code == 404
    )


# --- the two-step login -------------------------------------------------------------------------


def test_password_step_of_an_mfa_user_yields_nothing_usable(
    alice: Any, enrolled: tuple[str, list[str]]
) -> None:
    client = APIClient()
    response = login(client)
    assert response.status_code == 200
    body = response.json()
    assert body["mfa_required"] is True
    assert body["methods"] == ["totp", "recovery_code"]
    assert "access" not in body
    assert response.cookies == {}  # no refresh cookie, no trusted-device cookie
    assert response["Cache-Control"] == "no-store"
    # The mfa_token is not an access token.
    me = APIClient().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {body['mfa_token']}")
    assert me.status_code == 401
    # Nor a refresh token.
    attacker = APIClient()
    attacker.cookies[refresh_cookie_name()] = body["mfa_token"]
    assert attacker.post("/api/auth/refresh/").status_code == 401
    # And only its hash is stored.
    assert not MFAChallenge.objects.filter(token_hash=body["mfa_token"]).exists()


def test_second_step_gives_the_session_and_the_trusted_device(
    alice: Any, enrolled: tuple[str, list[str]]
) -> None:
    secret, _ = enrolled
    client = APIClient()
    response = verify(client, mfa_token(client), code=code_at(secret))
    assert response.status_code == 200
    assert refresh_cookie_name() in response.cookies
    assert device_cookie_name() in response.cookies
    access = response.json()["access"]
    assert APIClient().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200


def test_wrong_password_answers_alike_with_and_without_mfa(
    alice: Any, bob: Any, enrolled: tuple[str, list[str]]
) -> None:
    with_mfa = login(APIClient(), "alice", "wrong password")
    without = login(APIClient(), "bob", "wrong password")
    assert (with_mfa.status_code, with_mfa.json()) == (without.status_code, without.json())
    assert with_mfa.status_code == 401


def test_a_replayed_totp_code_is_refused_even_within_its_window(
    alice: Any, enrolled: tuple[str, list[str]]
) -> None:
    secret, _ = enrolled
    code = code_at(secret)
    assert verify(APIClient(), mfa_token(APIClient()), code=code).status_code == 200
    client = APIClient()
    response = verify(client, mfa_token(client), code=code)
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_code_not_valid"
    assert refresh_cookie_name() not in response.cookies


@override_settings(APISEC_LOCKOUT_THRESHOLD=10)
def test_codes_of_one_step_of_drift_are_accepted_and_no_further(
    alice: Any, enrolled: tuple[str, list[str]]
) -> None:
    secret, _ = enrolled
    for offset in (2, -2):
        assert (
            verify(APIClient(), mfa_token(APIClient()), code=code_at(secret, offset)).status_code
            == 401
        )
    assert verify(APIClient(), mfa_token(APIClient()), code=code_at(secret, -1)).status_code == 200
    # A later step is still ahead of the last one used.
    assert verify(APIClient(), mfa_token(APIClient()), code=code_at(secret, 1)).status_code == 200
    # ...and then an earlier one is not.
    assert verify(APIClient(), mfa_token(APIClient()), code=code_at(secret)).status_code == 401


def test_an_mfa_token_works_once(alice: Any, enrolled: tuple[str, list[str]]) -> None:
    secret, codes = enrolled
    client = APIClient()
    token = mfa_token(client)
    assert verify(client, token, code=code_at(secret)).status_code == 200
    response = verify(client, token, recovery_code=codes[0])
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_token_not_valid"
    assert RecoveryCode.objects.filter(used_at__isnull=False).count() == 0


def test_an_expired_mfa_token_is_refused(alice: Any, enrolled: tuple[str, list[str]]) -> None:
    secret, _ = enrolled
    client = APIClient()
    token = mfa_token(client)
    MFAChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = verify(client, token, code=code_at(secret))
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_token_not_valid"
    # An unknown token too, and a new login clears the expired challenge.
    assert verify(client, "x" * 43, code=code_at(secret)).status_code == 401
    mfa_token(client)
    assert MFAChallenge.objects.count() == 1


def test_a_deactivated_user_cannot_finish_the_login(
    alice: Any, enrolled: tuple[str, list[str]]
) -> None:
    secret, _ = enrolled
    client = APIClient()
    token = mfa_token(client)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert verify(client, token, code=code_at(secret)).status_code == 401


def test_a_recovery_code_works_once(alice: Any, enrolled: tuple[str, list[str]]) -> None:
    _, codes = enrolled
    typed = codes[3].upper().replace("-", " ")  # as a user may type it
    assert verify(APIClient(), mfa_token(APIClient()), recovery_code=typed).status_code == 200
    response = verify(APIClient(), mfa_token(APIClient()), recovery_code=codes[3])
    assert response.status_code == 401
    assert recovery.remaining(alice) == 9


def test_the_verify_body_needs_exactly_one_factor(
    alice: Any, enrolled: tuple[str, list[str]]
) -> None:
    secret, codes = enrolled
    client = APIClient()
    token = mfa_token(client)
    assert verify(client, token).status_code == 400
    both = verify(client, token, code=code_at(secret), recovery_code=codes[0])
    assert both.status_code == 400


@override_settings(APISEC_LOCKOUT_THRESHOLD=3, APISEC_LOCKOUT_PERIODS=[60])
def test_wrong_codes_count_toward_the_lockout_and_lock_both_steps(
    alice: Any, enrolled: tuple[str, list[str]]
) -> None:
    secret, _ = enrolled
    client = APIClient()
    token = mfa_token(client)  # the password step holds one slot until a factor is right
    assert verify(client, token, code="000000").status_code == 401
    assert verify(client, token, recovery_code="wrong-code-1").status_code == 401
    # The third attempt is refused before any code is looked at, even a right one.
    response = verify(client, token, code=code_at(secret))
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert int(response["Retry-After"]) > 0
    assert TOTPDevice.objects.get(user=alice).last_used_step is None
    locked = login(APIClient())
    assert locked.status_code == 429
    assert "Retry-After" in locked


@override_settings(APISEC_LOCKOUT_THRESHOLD=3, APISEC_LOCKOUT_PERIODS=[60])
def test_the_password_alone_never_buys_fresh_code_guesses(
    alice: Any, enrolled: tuple[str, list[str]]
) -> None:
    # An attacker holding the password logs in again and again: each password step counts,
    # nothing resets the bucket, and no trusted-device cookie gives a fresh one.
    attacker = APIClient()
    statuses = []
    for _ in range(3):
        response = login(attacker)
        statuses.append(response.status_code)
        if response.status_code == 200:
            assert device_cookie_name() not in response.cookies
            statuses.append(
                verify(attacker, response.json()["mfa_token"], code="000000").status_code
            )
    assert statuses[-1] == 429
    assert statuses.count(401) <= 2


def test_a_right_code_clears_earlier_failures(alice: Any, enrolled: tuple[str, list[str]]) -> None:
    secret, _ = enrolled
    with override_settings(APISEC_LOCKOUT_THRESHOLD=4):
        client = APIClient()
        token = mfa_token(client)
        assert verify(client, token, code="000000").status_code == 401
        assert verify(client, token, code=code_at(secret)).status_code == 200
        forget_last_step(alice)
        # Cleared: a new password step, a wrong code and a right one fit under the threshold
        # again (before the success, the fourth attempt would have been refused).
        token = mfa_token(APIClient())
        assert verify(APIClient(), token, code="000000").status_code == 401
        assert verify(APIClient(), mfa_token(APIClient()), code=code_at(secret)).status_code == 200


# --- encryption of the secret -------------------------------------------------------------------


def test_the_secret_survives_a_secret_key_rotation_and_is_bound_to_its_user() -> None:
    sealed = encryption.encrypt("JBSWY3DPEHPK3PXP", context="totp:1")
    with override_settings(
        SECRET_KEY="a-new-secret-key-" + "n" * 50,
        SECRET_KEY_FALLBACKS=["tests-only-secret-key-" + "k" * 48],
    ):
        assert encryption.decrypt(sealed, context="totp:1") == "JBSWY3DPEHPK3PXP"
    with (
        override_settings(SECRET_KEY="another-secret-key-" + "m" * 50),
        pytest.raises(encryption.UndecryptableSecret),
    ):
        encryption.decrypt(sealed, context="totp:1")
    with pytest.raises(encryption.UndecryptableSecret):
        encryption.decrypt(sealed, context="totp:2")
    with pytest.raises(encryption.UndecryptableSecret):
        encryption.decrypt("v0:" + sealed[3:], context="totp:1")


def test_recovery_codes_survive_a_secret_key_rotation(
    alice: Any, enrolled: tuple[str, list[str]]
) -> None:
    _, codes = enrolled
    with override_settings(
        SECRET_KEY="a-new-secret-key-" + "n" * 50,
        SECRET_KEY_FALLBACKS=["tests-only-secret-key-" + "k" * 48],
    ):
        assert recovery.use(alice, codes[0])
    assert not recovery.use(alice, "")
    assert not recovery.use(alice, "x" * 65)


def test_an_mfa_token_spent_by_a_concurrent_request_is_refused(
    alice: Any, enrolled: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race the DELETE decides: another request spent the token between the check and here.
    secret, _ = enrolled
    client = APIClient()
    token = mfa_token(client)
    monkeypatch.setattr(challenges, "spend", lambda challenge: False)
    response = verify(client, token, code=code_at(secret))
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_token_not_valid"
    assert refresh_cookie_name() not in response.cookies


def test_tokens_that_are_no_strings_or_too_long_find_no_challenge() -> None:
    assert challenges.pending(None) is None
    assert challenges.pending("x" * 129) is None


def test_mfa_rows_never_show_a_secret_when_printed() -> None:
    # The admin, logs and shells print rows with str(): the secret, code hash or token hash of
    # a second factor must never appear there.
    from django_apisec.models import MFAChallenge, RecoveryCode, TOTPDevice

    rows = {
        "ENCRYPTED-SECRET": TOTPDevice(user_id=7, encrypted_secret="ENCRYPTED-SECRET"),
        "CODE-HASH": RecoveryCode(user_id=7, code_hash="CODE-HASH"),
        "TOKEN-HASH": MFAChallenge(user_id=7, token_hash="TOKEN-HASH"),
    }
    for secret, row in rows.items():
        assert str(row).endswith("of user 7")
        assert secret not in str(row)
