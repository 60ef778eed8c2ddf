"""Every security event in docs/security-events.rst is recorded by the action the table names.

Each test performs the real action through the test client (a login, a refresh-token replay, an
unauthenticated request...) and asserts that the event reached both the security log and the
``security_event`` signal. The table is parsed, so a newly documented event without a test here
fails :func:`test_every_documented_event_has_a_test`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from django_apisec.abuse.usernames import account_id
from django_apisec.jwt.transport import refresh_cookie_name
from django_apisec.models import TokenFamily, WebAuthnCredential
from django_apisec.observability import events
from django_apisec.observability.formatting import JsonLinesFormatter
from django_apisec.signals import security_event
from testproject.api.models import Note
from tests.soft_authenticator import SoftAuthenticator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parent.parent / "docs" / "security-events.rst"
PASSWORD = "correct horse battery staple"
LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
LOCKOUT = {"APISEC_LOCKOUT_THRESHOLD": 3, "APISEC_LOCKOUT_PERIODS": [60, 300]}


def documented_events() -> list[str]:
    """The event types in the first column of the table in docs/security-events.rst."""
    text = DOCS.read_text()
    header = re.search(r"^=+ +=+\nEvent type +Recorded by\n=+ +=+\n", text, re.MULTILINE)
    assert header is not None, "the events table's header moved"
    body = text[header.end() :].split("\n=", 1)[0]
    return re.findall(r"^``(\w+)``", body, re.MULTILINE)


@dataclass
class Recorded:
    """The security events recorded so far: the log's payloads and the signal's events."""

    caplog: pytest.LogCaptureFixture
    signalled: list[events.SecurityEvent]

    def of(self, event_type: str) -> list[dict[str, Any]]:
        """The logged payloads of ``event_type``, in order; each must also have been signalled."""
        payloads = [
            r.security_event  # type: ignore[attr-defined]
            for r in self.caplog.records
            if r.name == events.SECURITY_LOGGER and getattr(r, "event", None) == event_type
        ]
        assert [e.as_dict() for e in self.signalled if e.type == event_type] == payloads
        return payloads


@pytest.fixture
def recorded(caplog: pytest.LogCaptureFixture) -> Iterator[Recorded]:
    """Capture the security log and the ``security_event`` signal during the test."""
    result = Recorded(caplog, [])

    def receiver(event: events.SecurityEvent, **_kwargs: Any) -> None:
        result.signalled.append(event)

    security_event.connect(receiver)
    with caplog.at_level(logging.INFO, logger=events.SECURITY_LOGGER):
        yield result
    security_event.disconnect(receiver)


@pytest.fixture
def alice() -> Any:
    return get_user_model().objects.create_user("alice", password=PASSWORD)


def login(client: APIClient, username: str = "alice", password: str = PASSWORD) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, format="json")


# --- one test per documented event ------------------------------------------------------------


def test_authentication_succeeded(alice: Any, recorded: Recorded) -> None:
    assert login(APIClient()).status_code == 200
    [payload] = recorded.of(events.AUTHENTICATION_SUCCEEDED)
    assert payload["outcome"] == "success"
    assert payload["user_id"] == str(alice.pk)
    assert payload["path"] == LOGIN


def test_authentication_failed(alice: Any, recorded: Recorded) -> None:
    assert login(APIClient(), password="wrong password here").status_code == 401
    assert login(APIClient(), username="ghost", password="wrong password here").status_code == 401
    real, ghost = recorded.of(events.AUTHENTICATION_FAILED)
    assert real["outcome"] == "failure"
    assert real["code"] == "authentication_failed"
    # Which account: its keyed identifier, shaped alike whether the account exists or not.
    assert real["account"] == account_id("alice")
    assert ghost["account"] == account_id("ghost")
    assert len(real["account"]) == len(ghost["account"])
    assert "alice" not in str(real)
    assert "ghost" not in str(ghost)


@override_settings(**LOCKOUT)
def test_account_locked_out(alice: Any, recorded: Recorded) -> None:
    client = APIClient()
    statuses = [login(client, password=f"wrong password {i}").status_code for i in range(3)]
    assert statuses == [401, 401, 401]
    # The third failure locks the account: one event, with the lock's length.
    [locked] = recorded.of(events.ACCOUNT_LOCKED_OUT)
    assert locked["outcome"] == "blocked"
    assert locked["phase"] == "locked"
    assert locked["account"] == account_id("alice")
    assert "username" not in locked
    assert locked["wait"] == 60
    assert locked["lockout_level"] == 1
    assert locked["trusted_device"] is False
    # Its JSON log line keeps the line's own level (alerts filter on it).
    [record] = [r for r in recorded.caplog.records if getattr(r, "security_event", None) is locked]
    line = json.loads(JsonLinesFormatter().format(record))
    assert (line["level"], line["lockout_level"]) == ("WARNING", 1)
    # Each login the lock refuses, even with the right password, is recorded too: never as a
    # generic "throttled".
    response = login(client)
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    [_, refused] = recorded.of(events.ACCOUNT_LOCKED_OUT)
    assert refused["outcome"] == "blocked"
    assert refused["phase"] == "refused"
    assert refused["account"] == account_id("ALICE ")  # one account, one identifier
    assert 0 < refused["wait"] <= locked["wait"] + 1  # the lock's end is rounded up
    assert refused["wait"] == int(response["Retry-After"])
    assert recorded.of(events.THROTTLED) == []


@override_settings(**LOCKOUT)
def test_account_unlocked(alice: Any, recorded: Recorded) -> None:
    from django.test import Client

    for i in range(3):
        login(APIClient(), password=f"wrong password {i}")
    operator = get_user_model().objects.create_superuser("operator", password=PASSWORD)
    admin = Client(REMOTE_ADDR="192.0.2.44")
    admin.force_login(operator)
    page = admin.get("/admin/apisec_monitoring/securityoverview/")
    assert b'data-username="alice"' in page.content
    answer = admin.post("/admin/apisec_monitoring/securityoverview/unlock/", {"username": "alice"})
    assert answer.status_code == 302
    [payload] = recorded.of(events.ACCOUNT_UNLOCKED)
    assert payload["outcome"] == "success"
    assert (payload["by"], payload["was_locked"]) == ("admin", True)
    assert payload["account"] == account_id("alice")
    assert payload["user_id"] == str(operator.pk)
    assert payload["client_ip"] == "192.0.2.44"
    assert "alice" not in str(payload)
    assert login(APIClient()).status_code == 200


def test_token_reused(alice: Any, recorded: Recorded) -> None:
    victim = APIClient()
    assert login(victim).status_code == 200
    stolen = victim.cookies[refresh_cookie_name()].value
    assert victim.post(REFRESH).status_code == 200  # the victim rotates
    # Beyond APISEC_JWT_REUSE_GRACE_SECONDS: inside it the stale token is only told to retry.
    TokenFamily.objects.update(rotated_at=timezone.now() - timedelta(minutes=1))
    attacker = APIClient()
    attacker.cookies[refresh_cookie_name()] = stolen
    assert attacker.post(REFRESH).status_code == 401
    [payload] = recorded.of(events.TOKEN_REUSED)
    assert payload["outcome"] == "blocked"
    assert payload["user_id"] == str(alice.pk)
    assert payload["path"] == REFRESH


def test_authorization_denied(recorded: Recorded) -> None:
    assert APIClient().get("/api/notes/").status_code == 401
    [payload] = recorded.of(events.AUTHORIZATION_DENIED)
    assert payload["outcome"] == "denied"
    assert payload["code"] == "not_authenticated"


@pytest.mark.urls("tests.ownership_urls")
def test_owner_bypass(alice: Any, recorded: Recorded) -> None:
    note = Note.objects.create(title="alice's", body="private", owner=alice)
    staff = get_user_model().objects.create_user("staff", is_staff=True)
    client = APIClient()
    client.force_authenticate(staff)
    assert client.get(f"/api/staff-notes/{note.pk}/").status_code == 200
    [payload] = recorded.of(events.OWNER_BYPASS_USED)
    assert payload["outcome"] == "allowed"
    assert payload["user_id"] == str(staff.pk)
    assert payload["policy"] == "StaffMayRead"


def test_validation_failed(recorded: Recorded) -> None:
    response = APIClient().post(LOGIN, {"username": "alice"}, format="json")
    assert response.status_code == 400
    [payload] = recorded.of(events.VALIDATION_FAILED)
    assert payload["outcome"] == "failure"
    assert payload["fields"] == ["password"]


def test_input_rejected(alice: Any, recorded: Recorded) -> None:
    client = APIClient()
    access = login(client).json()["access"]
    response = client.post(
        "/api/notes/",
        '{"title": ',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {access}",
    )
    assert response.status_code == 400
    [payload] = recorded.of(events.INPUT_REJECTED)
    assert payload["outcome"] == "blocked"
    assert payload["code"] == "parse_error"
    assert payload["user_id"] == str(alice.pk)


def test_malformed_login_body_is_input_rejected(recorded: Recorded) -> None:
    # Not a login without a username: the login throttle must not swallow the parse error.
    body = '{"username": '
    response = APIClient().post("/api/auth/login/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    [payload] = recorded.of(events.INPUT_REJECTED)
    assert payload["code"] == "parse_error"
    assert recorded.of(events.VALIDATION_FAILED) == []


def test_throttled(recorded: Recorded) -> None:
    # Failed logins of ever new accounts: no lockout, only the per-address login throttle.
    client = APIClient()
    statuses = [login(client, username=f"nobody{i}").status_code for i in range(30)]
    assert 429 in statuses
    [payload, *_] = recorded.of(events.THROTTLED)
    assert payload["outcome"] == "blocked"
    assert payload["wait"] > 0
    assert recorded.of(events.ACCOUNT_LOCKED_OUT) == []


def bearer(client: APIClient) -> str:
    response = login(client)
    assert response.status_code == 200
    return f"Bearer {response.json()['access']}"


def create_key(client: APIClient, token: str, **fields: Any) -> Any:
    body = {"name": "ci", "scopes": ["notes:read"], **fields}
    response = client.post("/api/keys/", body, format="json", HTTP_AUTHORIZATION=token)
    assert response.status_code == 201
    return response.json()


def test_api_key_created(alice: Any, api_key_settings: Any, recorded: Recorded) -> None:
    client = APIClient()
    created = create_key(client, bearer(client))
    [payload] = recorded.of(events.API_KEY_CREATED)
    assert payload["outcome"] == "success"
    assert payload["user_id"] == str(alice.pk)
    assert payload["key_id"] == created["id"]
    assert payload["prefix"] == created["prefix"]
    assert payload["scopes"] == ["notes:read"]
    assert created["key"] not in str(recorded.caplog.records[-1].__dict__)


def test_api_key_revoked(alice: Any, api_key_settings: Any, recorded: Recorded) -> None:
    client = APIClient()
    token = bearer(client)
    created = create_key(client, token)
    response = client.delete(f"/api/keys/{created['id']}/", HTTP_AUTHORIZATION=token)
    assert response.status_code == 204
    [payload] = recorded.of(events.API_KEY_REVOKED)
    assert payload["outcome"] == "success"
    assert payload["key_id"] == created["id"]
    assert payload["by"] == "owner"


def test_api_key_rejected(alice: Any, api_key_settings: Any, recorded: Recorded) -> None:
    client = APIClient()
    created = create_key(client, bearer(client))
    key = f"Api-Key {created['key']}"
    assert client.post("/api/notes/", {}, HTTP_AUTHORIZATION=key).status_code == 403
    wrong = f"Api-Key {created['prefix']}.{'x' * 32}"
    assert client.get("/api/notes/", HTTP_AUTHORIZATION=wrong).status_code == 401
    scope, unknown = recorded.of(events.API_KEY_REJECTED)
    assert (scope["reason"], scope["key_id"], scope["outcome"]) == (
        "scope",
        created["id"],
        "denied",
    )
    assert unknown["reason"] == "unknown"
    assert "key_id" not in unknown
    assert created["key"] not in str([r.__dict__ for r in recorded.caplog.records])


@override_settings(
    APISEC_ATTACK_THRESHOLDS={"failures": 12, "accounts": 12, "networks": 6},
    APISEC_ATTACK_TIGHTENING={"rate": "30/min", "duration": 60},
)
def test_attack_detected(alice: Any, recorded: Recorded) -> None:
    for i in range(12):
        address = f"198.51.{i % 6}.7"
        login(APIClient(REMOTE_ADDR=address), username=f"victim{i}", password="guess")
    [payload] = recorded.of(events.ATTACK_DETECTED)
    assert payload["kind"] == "credential_stuffing"
    assert (payload["failures"], payload["accounts"], payload["networks"]) == (12, 12, 6)
    assert payload["tightened_for"] == 60
    assert payload["outcome"] == "denied"


def enrol_totp(client: APIClient, token: str) -> tuple[Any, list[str]]:
    import pyotp

    from django_apisec.models import TOTPDevice

    secret = client.post("/api/auth/mfa/totp/", HTTP_AUTHORIZATION=token).json()["secret"]
    totp = pyotp.TOTP(secret)
    response = client.post(
        "/api/auth/mfa/totp/confirm/", {"code": totp.now()}, format="json", HTTP_AUTHORIZATION=token
    )
    assert response.status_code == 200
    TOTPDevice.objects.update(last_used_step=None)  # stands for the next 30 s step
    return totp, response.json()["recovery_codes"]


def mfa_verify(factor: dict[str, str]) -> Any:
    token = login(APIClient()).json()["mfa_token"]
    return APIClient().post("/api/auth/mfa/verify/", {"mfa_token": token, **factor}, format="json")


def test_mfa_enrolled(alice: Any, recorded: Recorded) -> None:
    client = APIClient()
    _, codes = enrol_totp(client, bearer(client))
    [payload] = recorded.of(events.MFA_ENROLLED)
    assert (payload["outcome"], payload["factor"]) == ("success", "totp")
    assert payload["user_id"] == str(alice.pk)
    assert codes[0] not in str([r.__dict__ for r in recorded.caplog.records])


def test_mfa_removed(alice: Any, recorded: Recorded) -> None:
    client = APIClient()
    token = bearer(client)
    enrol_totp(client, token)
    assert client.delete("/api/auth/mfa/totp/", HTTP_AUTHORIZATION=token).status_code == 204
    [payload] = recorded.of(events.MFA_REMOVED)
    assert (payload["outcome"], payload["factor"]) == ("success", "totp")


def test_mfa_succeeded(alice: Any, recorded: Recorded) -> None:
    client = APIClient()
    totp, _ = enrol_totp(client, bearer(client))
    assert mfa_verify({"code": totp.now()}).status_code == 200
    [payload] = recorded.of(events.MFA_SUCCEEDED)
    assert (payload["outcome"], payload["factor"]) == ("success", "totp")
    assert payload["path"] == "/api/auth/mfa/verify/"


def test_mfa_failed(alice: Any, recorded: Recorded) -> None:
    client = APIClient()
    enrol_totp(client, bearer(client))
    assert mfa_verify({"code": "000000"}).status_code == 401
    [payload] = recorded.of(events.MFA_FAILED)
    assert (payload["outcome"], payload["factor"]) == ("failure", "totp")
    assert "000000" not in str(payload)


def test_recovery_code_used(alice: Any, recorded: Recorded) -> None:
    client = APIClient()
    _, codes = enrol_totp(client, bearer(client))
    assert mfa_verify({"recovery_code": codes[0]}).status_code == 200
    [payload] = recorded.of(events.RECOVERY_CODE_USED)
    assert (payload["outcome"], payload["remaining"]) == ("success", 9)
    assert codes[0] not in str([r.__dict__ for r in recorded.caplog.records])


def test_reauthenticated(alice: Any, recorded: Recorded) -> None:
    client = APIClient()
    token = bearer(client)
    response = client.post(
        "/api/auth/reauth/", {"password": PASSWORD}, format="json", HTTP_AUTHORIZATION=token
    )
    assert response.status_code == 200
    [payload] = recorded.of(events.REAUTHENTICATED)
    assert payload["outcome"] == "success"
    assert payload["user_id"] == str(alice.pk)
    assert payload["family_id"]


def test_recovery_codes_regenerated(alice: Any, recorded: Recorded) -> None:
    client = APIClient()
    token = bearer(client)
    enrol_totp(client, token)
    response = client.post("/api/auth/mfa/recovery-codes/", HTTP_AUTHORIZATION=token)
    assert response.status_code == 200
    [payload] = recorded.of(events.RECOVERY_CODES_REGENERATED)
    assert (payload["outcome"], payload["count"]) == ("success", 10)
    assert payload["user_id"] == str(alice.pk)
    codes = response.json()["recovery_codes"]
    assert codes[0] not in str([r.__dict__ for r in recorded.caplog.records])


@override_settings(APISEC_WEBAUTHN_RP_ID="example.com")
def test_passkey_counter_regressed(alice: Any, recorded: Recorded) -> None:
    client = APIClient()
    token = bearer(client)
    authenticator = SoftAuthenticator("example.com", "https://example.com")
    options = client.post("/api/auth/webauthn/register/options/", HTTP_AUTHORIZATION=token)
    body = {"credential": authenticator.create(options.json()["publicKey"])}
    response = client.post(
        "/api/auth/webauthn/register/", body, format="json", HTTP_AUTHORIZATION=token
    )
    assert response.status_code == 201
    WebAuthnCredential.objects.update(sign_count=10)  # the genuine authenticator is at 10
    options = APIClient().post("/api/auth/webauthn/login/options/").json()["publicKey"]
    cloned = authenticator.get(options, counter=3)
    response = APIClient().post("/api/auth/webauthn/login/", {"credential": cloned}, format="json")
    assert response.status_code == 401
    [payload] = recorded.of(events.PASSKEY_COUNTER_REGRESSED)
    assert payload["outcome"] == "blocked"
    assert (payload["stored_count"], payload["presented_count"]) == (10, 3)
    assert payload["passkey"] == str(WebAuthnCredential.objects.get().pk)
    assert payload["user_id"] == str(alice.pk)


TESTS: dict[str, Callable[..., None]] = {
    events.AUTHENTICATION_SUCCEEDED: test_authentication_succeeded,
    events.AUTHENTICATION_FAILED: test_authentication_failed,
    events.ACCOUNT_LOCKED_OUT: test_account_locked_out,
    events.ACCOUNT_UNLOCKED: test_account_unlocked,
    events.TOKEN_REUSED: test_token_reused,
    events.AUTHORIZATION_DENIED: test_authorization_denied,
    events.OWNER_BYPASS_USED: test_owner_bypass,
    events.VALIDATION_FAILED: test_validation_failed,
    events.INPUT_REJECTED: test_input_rejected,
    events.THROTTLED: test_throttled,
    events.API_KEY_CREATED: test_api_key_created,
    events.API_KEY_REVOKED: test_api_key_revoked,
    events.API_KEY_REJECTED: test_api_key_rejected,
    events.ATTACK_DETECTED: test_attack_detected,
    events.MFA_ENROLLED: test_mfa_enrolled,
    events.MFA_REMOVED: test_mfa_removed,
    events.MFA_SUCCEEDED: test_mfa_succeeded,
    events.MFA_FAILED: test_mfa_failed,
    events.RECOVERY_CODE_USED: test_recovery_code_used,
    events.REAUTHENTICATED: test_reauthenticated,
    events.RECOVERY_CODES_REGENERATED: test_recovery_codes_regenerated,
    events.PASSKEY_COUNTER_REGRESSED: test_passkey_counter_regressed,
}


def test_every_documented_event_has_a_test() -> None:
    documented = documented_events()
    assert len(documented) == len(set(documented)), "an event is documented twice"
    assert set(documented) == set(TESTS), "each documented event needs a test above"
    # ...and the code declares exactly the documented events.
    assert set(documented) == events.EVENT_TYPES
