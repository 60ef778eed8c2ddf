"""Step-up re-authentication (``auth_time``) and the sessions list: attacks that must fail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from django_apisec.jwt.stepup import requires_recent_auth
from django_apisec.jwt.transport import refresh_cookie_name
from django_apisec.models import TokenFamily, TOTPDevice
from django_apisec.request.clients import describe_client, user_agent_family
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def login(client: APIClient, username: str = "alice", **extra: Any) -> str:
    response = client.post(
        "/api/auth/login/", {"username": username, "password": PASSWORD}, format="json", **extra
    )
    assert response.status_code == 200
    return str(response.json()["access"])


def auth(access: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {access}"}


def age_sessions(user: Any, seconds: int = 3600) -> None:
    TokenFamily.objects.filter(user=user).update(
        auth_time=timezone.now() - timedelta(seconds=seconds)
    )


def stale_access(client: APIClient, user: Any) -> str:
    """An access token whose auth_time is an hour old: the session's, carried by a refresh."""
    login(client)
    age_sessions(user)
    response = client.post("/api/auth/refresh/")
    assert response.status_code == 200
    return str(response.json()["access"])


def change_password(client: APIClient, access: str) -> Any:
    body = {"old_password": PASSWORD, "new_password": "a brand new passphrase 77"}
    return client.post("/api/auth/password/", body, format="json", **auth(access))


# --- step-up ------------------------------------------------------------------------------------


def test_a_stale_auth_time_cannot_change_the_password(alice: Any) -> None:
    client = APIClient()
    access = stale_access(client, alice)
    response = change_password(client, access)
    assert response.status_code == 403
    assert response.json()["code"] == "reauthentication_required"
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    # Re-authenticating gives a fresh auth_time, and then the change goes through.
    response = client.post(
        "/api/auth/reauth/", {"password": PASSWORD}, format="json", **auth(access)
    )
    assert response.status_code == 200
    assert change_password(client, response.json()["access"]).status_code == 204


def test_refresh_after_a_step_up_keeps_the_new_auth_time(alice: Any) -> None:
    client = APIClient()
    access = stale_access(client, alice)
    assert (
        client.post(
            "/api/auth/reauth/", {"password": PASSWORD}, format="json", **auth(access)
        ).status_code
        == 200
    )
    refreshed = client.post("/api/auth/refresh/").json()["access"]
    assert change_password(client, refreshed).status_code == 204


@override_settings(APISEC_REAUTH_MAX_AGE=7200)
def test_the_bound_is_the_setting(alice: Any) -> None:
    client = APIClient()
    assert change_password(client, stale_access(client, alice)).status_code == 204


def test_a_wrong_password_does_not_step_up_and_counts(alice: Any) -> None:
    client = APIClient()
    access = stale_access(client, alice)
    with override_settings(APISEC_LOCKOUT_THRESHOLD=2, APISEC_LOCKOUT_PERIODS=[60]):
        for _ in range(2):
            response = client.post(
                "/api/auth/reauth/", {"password": "wrong"}, format="json", **auth(access)
            )
            assert response.status_code == 401
            assert response.json()["code"] == "reauthentication_failed"
        response = client.post(
            "/api/auth/reauth/", {"password": PASSWORD}, format="json", **auth(access)
        )
        assert response.status_code == 429


def test_step_up_of_an_mfa_user_needs_the_second_factor(alice: Any) -> None:
    client = APIClient()
    access = login(client)
    secret = client.post("/api/auth/mfa/totp/", **auth(access)).json()["secret"]
    totp = pyotp.TOTP(secret)
    confirm = {"code": totp.now()}
    assert (
        client.post(
            "/api/auth/mfa/totp/confirm/", confirm, format="json", **auth(access)
        ).status_code
        == 200
    )
    TOTPDevice.objects.update(last_used_step=None)
    age_sessions(alice)
    access = client.post("/api/auth/refresh/").json()["access"]
    # Stale: neither removing the factor nor regenerating codes.
    response = client.delete("/api/auth/mfa/totp/", **auth(access))
    assert response.status_code == 403
    assert response.json()["code"] == "reauthentication_required"
    assert client.post("/api/auth/mfa/recovery-codes/", **auth(access)).status_code == 403
    reauth = "/api/auth/reauth/"
    assert (
        client.post(reauth, {"password": PASSWORD}, format="json", **auth(access)).status_code
        == 400
    )
    wrong = client.post(
        reauth, {"password": PASSWORD, "code": "000000"}, format="json", **auth(access)
    )
    assert wrong.status_code == 401
    response = client.post(
        reauth, {"password": PASSWORD, "code": totp.now()}, format="json", **auth(access)
    )
    assert response.status_code == 200
    fresh = response.json()["access"]
    codes = client.post("/api/auth/mfa/recovery-codes/", **auth(fresh))
    assert codes.status_code == 200
    assert len(codes.json()["recovery_codes"]) == 10
    assert client.delete("/api/auth/mfa/totp/", **auth(fresh)).status_code == 204
    assert not TOTPDevice.objects.exists()
    assert client.post("/api/auth/mfa/recovery-codes/", **auth(fresh)).status_code == 404
    # Removing nothing is still a 204, and the password alone logs in again.
    assert client.delete("/api/auth/mfa/totp/", **auth(fresh)).status_code == 204
    login(APIClient())


def test_requires_recent_auth_sets_its_own_bound() -> None:
    permission = requires_recent_auth(60)()
    assert permission.max_age == 60
    assert permission.code == "reauthentication_required"


# --- sessions -----------------------------------------------------------------------------------


def test_sessions_are_listed_with_a_coarse_client_and_the_current_one(alice: Any) -> None:
    laptop, phone = APIClient(), APIClient()
    login(laptop, HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="203.0.113.7")
    access = login(phone)
    assert phone.post("/api/auth/refresh/").status_code == 200
    response = phone.get("/api/auth/sessions/", **auth(access))
    assert response.status_code == 200
    sessions = response.json()
    assert [s["current"] for s in sessions] == [True, False]
    assert sessions[0]["last_used_at"] is not None
    assert sessions[1]["last_used_at"] is None
    assert sessions[1]["client"] == "Firefox on Linux, 203.0.113.0/24"
    assert set(sessions[0]) == {"id", "created_at", "last_used_at", "client", "current"}
    assert "jti" not in str(sessions)


def test_an_ended_session_is_refused_at_once(alice: Any) -> None:
    victim, thief = APIClient(), APIClient()
    mine = login(victim)
    stolen = login(thief)
    assert thief.get("/api/me/", **auth(stolen)).status_code == 200
    [other] = [
        s for s in victim.get("/api/auth/sessions/", **auth(mine)).json() if not s["current"]
    ]
    assert victim.delete(f"/api/auth/sessions/{other['id']}/", **auth(mine)).status_code == 204
    # The thief's access token and refresh cookie are dead on the next request.
    assert thief.get("/api/me/", **auth(stolen)).status_code == 401
    assert thief.post("/api/auth/refresh/").status_code == 401
    assert victim.get("/api/me/", **auth(mine)).status_code == 200
    assert victim.delete(f"/api/auth/sessions/{other['id']}/", **auth(mine)).status_code == 404


def test_another_users_session_is_a_404(alice: Any, bob: Any) -> None:
    client = APIClient()
    login(client, "bob")
    [bobs] = TokenFamily.objects.filter(user=bob)
    access = login(APIClient())
    assert APIClient().delete(f"/api/auth/sessions/{bobs.pk}/", **auth(access)).status_code == 404
    assert client.post("/api/auth/refresh/").status_code == 200
    assert refresh_cookie_name()


@pytest.mark.parametrize(
    ("agent", "family"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit Chrome/126.0 Safari/537.36 Edg/126.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Safari/604.1",
            "Safari on iOS",
        ),
        ("curl/8.5.0", "curl"),
        ("Mozilla/5.0 (Linux; Android 14)", "Android"),
        ("", "unknown client"),
    ],
)
def test_user_agent_families(agent: str, family: str) -> None:
    assert user_agent_family(agent) == family


def test_client_description_of_ipv6_and_unknown_addresses(rf: Any) -> None:
    assert (
        describe_client(rf.get("/", REMOTE_ADDR="2001:db8:1:2::5"))
        == "unknown client, 2001:db8:1::/48"
    )
    assert describe_client(rf.get("/", REMOTE_ADDR="")) == "unknown client"


def test_a_token_without_auth_time_is_never_recent(alice: Any) -> None:
    # Access tokens issued before auth_time existed (or by other code) cannot step up.
    from django_apisec.jwt.families import start_session
    from django_apisec.jwt.tokens import AUTH_TIME_CLAIM, SessionAccessToken

    issued = start_session(alice)
    token = SessionAccessToken(issued.access)  # type: ignore[arg-type]
    del token.payload[AUTH_TIME_CLAIM]
    response = change_password(APIClient(), str(token))
    assert response.status_code == 403
    assert response.json()["code"] == "reauthentication_required"
