"""How tokens travel: body transport, the Origin check, and the sidejacking fingerprint cookie."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from django_apisec.jwt.families import SessionRefreshToken
from django_apisec.jwt.transport import fingerprint_cookie_name, refresh_cookie_name
from django_apisec.models import TokenFamily
from tests.conftest import LOGIN, LOGOUT, ME, PASSWORD, REFRESH

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def login(client: APIClient) -> Any:
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response


# --- body transport -----------------------------------------------------------------------


def test_body_transport_is_off_by_default(alice):
    client = APIClient()
    login(client)
    token = client.cookies[refresh_cookie_name()].value
    cookieless = APIClient()
    assert cookieless.post(REFRESH, {"refresh": token}, format="json").status_code == 401


@override_settings(APISEC_JWT_BODY_TRANSPORT=True)
def test_body_transport_for_clients_without_cookies(alice):
    client = APIClient()
    body = login(client).json()
    assert set(body) == {"access", "refresh"}
    cookieless = APIClient()
    response = cookieless.post(REFRESH, {"refresh": body["refresh"]}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    logout = cookieless.post(LOGOUT, {"refresh": response.json()["refresh"]}, format="json")
    assert logout.status_code == 204
    assert (
        APIClient()
        .post(REFRESH, {"refresh": response.json()["refresh"]}, format="json")
        .status_code
        == 401
    )


@override_settings(APISEC_JWT_BODY_TRANSPORT=True)
@pytest.mark.parametrize("body", [{"refresh": ""}, {"refresh": 5}, {}, ["refresh"]])
def test_body_transport_ignores_malformed_bodies(alice, body):
    assert APIClient().post(REFRESH, body, format="json").status_code == 401


@override_settings(APISEC_JWT_BODY_TRANSPORT=True)
def test_a_body_token_never_overrides_the_cookie(alice):
    victim = APIClient()
    login(victim)
    attacker = APIClient()
    attacker_body = login(attacker).json()
    # The victim's valid cookie wins over a (valid) token planted in the body...
    response = victim.post(REFRESH, {"refresh": attacker_body["refresh"]}, format="json")
    assert response.status_code == 200
    victims_refresh = SessionRefreshToken(response.json()["refresh"])
    assert victims_refresh.session_id != SessionRefreshToken(attacker_body["refresh"]).session_id
    # ...and a bad cookie is not rescued by a good body.
    stale = APIClient()
    stale.cookies[refresh_cookie_name()] = "garbage"
    body = {"refresh": victim.cookies[refresh_cookie_name()].value}
    assert stale.post(REFRESH, body, format="json").status_code == 401


# --- Origin ---------------------------------------------------------------------------------
# Attack tests through the real refresh and logout views, each with a real refresh cookie: an
# untrusted origin is refused and the session is left exactly as it was (not rotated, not
# ended); a trusted one gets through. Trust comes from Django's CSRF_TRUSTED_ORIGINS matcher and
# django-cors-headers' allow-list, never from CORS_ALLOW_ALL_ORIGINS.

WILDCARD_CSRF = {"CSRF_TRUSTED_ORIGINS": ["https://*.example.com"]}
CORS_REGEX = {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://[a-z0-9-]+\.example\.org$"]}


def session_state() -> tuple[int, Any, str]:
    family = TokenFamily.objects.get()
    return family.generation, family.revoked_at, family.current_jti


def post_with_origin(client: APIClient, path: str, origin: str | None) -> Any:
    extra = {} if origin is None else {"HTTP_ORIGIN": origin}
    return client.post(path, **extra)


def assert_refused(client: APIClient, path: str, origin: str) -> None:
    before = session_state()
    response = post_with_origin(client, path, origin)
    assert response.status_code == 403
    assert response.json()["code"] == "origin_not_allowed"
    assert session_state() == before  # neither rotated nor ended
    assert client.post(REFRESH).status_code == 200  # the cookie still works for its owner


def assert_allowed(client: APIClient, path: str, origin: str | None) -> None:
    before = session_state()
    response = post_with_origin(client, path, origin)
    generation, revoked_at, _jti = session_state()
    if path == REFRESH:
        assert response.status_code == 200
        assert generation == before[0] + 1
    else:
        assert response.status_code == 204
        assert revoked_at is not None


@pytest.mark.parametrize("path", [REFRESH, LOGOUT])
@pytest.mark.parametrize(
    ("overrides", "origin"),
    [
        pytest.param({}, "https://evil.example", id="foreign"),
        pytest.param({}, "null", id="null"),
        pytest.param({"CORS_ALLOWED_ORIGINS": ["null"]}, "null", id="null-listed-for-cors"),
        pytest.param({"CORS_ALLOW_ALL_ORIGINS": True}, "https://evil.example", id="cors-allow-all"),
        pytest.param(WILDCARD_CSRF, "https://example.com.evil.net", id="wildcard-suffix"),
        pytest.param(WILDCARD_CSRF, "https://evilexample.com", id="wildcard-no-dot"),
        pytest.param(WILDCARD_CSRF, "http://app.example.com", id="wildcard-other-scheme"),
        pytest.param(WILDCARD_CSRF, "https://app.example.com:8443", id="wildcard-other-port"),
        pytest.param(CORS_REGEX, "https://app.example.org.evil.net", id="regex-no-match"),
        pytest.param(CORS_REGEX, "http://app.example.org", id="regex-other-scheme"),
        pytest.param({}, "https://testserver", id="own-host-other-scheme"),
    ],
)
def test_untrusted_origins_are_refused(alice, path, overrides, origin):
    client = APIClient()
    login(client)
    with override_settings(**overrides):
        assert_refused(client, path, origin)


@pytest.mark.parametrize("path", [REFRESH, LOGOUT])
@pytest.mark.parametrize(
    ("overrides", "origin"),
    [
        pytest.param({}, None, id="no-origin"),
        pytest.param({}, "http://testserver", id="same-origin"),
        pytest.param(WILDCARD_CSRF, "https://app.example.com", id="csrf-wildcard"),
        pytest.param(WILDCARD_CSRF, "https://a.b.example.com", id="csrf-wildcard-deeper"),
        pytest.param(
            {"CSRF_TRUSTED_ORIGINS": ["https://admin.example"]},
            "https://admin.example",
            id="csrf-exact",
        ),
        pytest.param(CORS_REGEX, "https://app.example.org", id="cors-regex"),
        pytest.param(
            {"CORS_ALLOWED_ORIGINS": ["https://app.example"]},
            "https://app.example",
            id="cors-exact",
        ),
    ],
)
def test_trusted_origins_are_allowed(alice, path, overrides, origin):
    client = APIClient()
    login(client)
    with override_settings(**overrides):
        assert_allowed(client, path, origin)


def test_same_origin_follows_the_request_scheme(alice):
    client = APIClient()
    login(client)
    response = client.post(REFRESH, HTTP_ORIGIN="https://testserver", secure=True)
    assert response.status_code == 200
    assert client.post(REFRESH, HTTP_ORIGIN="http://testserver", secure=True).status_code == 403


# --- sidejacking fingerprint ------------------------------------------------------------------


@override_settings(APISEC_JWT_FINGERPRINT=True)
def test_fingerprint_cookie_binds_access_tokens_to_the_browser(alice):
    browser = APIClient()
    response = login(browser)
    cookie = response.cookies[fingerprint_cookie_name()]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"
    access = response.json()["access"]
    assert browser.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    # The token alone, stolen by XSS or from a log, is useless elsewhere.
    thief = APIClient()
    assert thief.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401
    thief.cookies[fingerprint_cookie_name()] = "guessed"
    assert thief.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401
    # A refresh keeps the fingerprint and re-sends its cookie.
    refreshed = browser.post(REFRESH)
    assert refreshed.status_code == 200
    assert refreshed.cookies[fingerprint_cookie_name()].value == cookie.value
    new_access = refreshed.json()["access"]
    assert browser.get(ME, HTTP_AUTHORIZATION=f"Bearer {new_access}").status_code == 200
    logout = browser.post(LOGOUT)
    assert logout.cookies[fingerprint_cookie_name()]["max-age"] == 0


@override_settings(APISEC_JWT_FINGERPRINT=True)
def test_refresh_without_the_fingerprint_cookie_is_refused(alice):
    browser = APIClient()
    login(browser)
    thief = APIClient()
    thief.cookies[refresh_cookie_name()] = browser.cookies[refresh_cookie_name()].value
    assert thief.post(REFRESH).status_code == 401
    assert browser.post(REFRESH).status_code == 200


def test_tokens_issued_without_fingerprint_fail_once_it_is_required(alice):
    browser = APIClient()
    access = login(browser).json()["access"]
    with override_settings(APISEC_JWT_FINGERPRINT=True):
        browser.cookies[fingerprint_cookie_name()] = "anything"
        assert browser.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401


@override_settings(APISEC_JWT_COOKIE_SECURE=True)
def test_secure_fingerprint_cookie_name():
    assert fingerprint_cookie_name() == "__Host-apisec_fgp"
    assert refresh_cookie_name() == "__Secure-apisec_refresh"


# --- authentication header edge cases -------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Token abc"])
def test_no_bearer_header_means_anonymous(alice, header):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    # /api/me/ needs authentication: anonymous is 401, not an error.
    assert APIClient().get(ME, **extra).status_code == 401


def test_two_part_bearer_header_is_required(alice):
    response = APIClient().get(ME, HTTP_AUTHORIZATION="Bearer a b")
    assert response.status_code == 401


# --- wiring ---------------------------------------------------------------------------------


def test_schema_documents_the_auth_endpoints():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert {
        f"/api/auth/{name}/" for name in ("login", "refresh", "logout", "logout-all", "password")
    } <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"


def test_testproject_starts_with_the_session_authentication_as_default(tmp_path):
    # DRF imports DEFAULT_AUTHENTICATION_CLASSES while django_apisec's AppConfig.ready() is
    # importing the session modules: a circular import would break every manage.py command.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("APISEC_", "DJANGO_", "COV_CORE_"))
    }
    env.update({"APISEC_PROFILE": "development", "PYTHONPATH": str(ROOT)})
    done = subprocess.run(
        [sys.executable, str(ROOT / "testproject" / "manage.py"), "check"],
        env=env,
        capture_output=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
