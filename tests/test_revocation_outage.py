"""Revoking sessions while the revocation store is unreachable: 503 + Retry-After, never a 500,
and nothing half-done (the session stays live, the password stays the old one), so the client's
retry works once the store is back.

The store is a Redis address where nothing listens (connection refused at once): a real failure,
not a stub.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from rest_framework.test import APIClient

from django_apisec.models import TokenFamily
from tests.conftest import LOGIN, LOGOUT, LOGOUT_ALL, ME, PASSWORD, PASSWORD_URL
from tests.services import UNREACHABLE_URL, redis_caches

pytestmark = pytest.mark.django_db

UNAVAILABLE = {
    "detail": "Service temporarily unavailable, try again later.",
    "code": "service_unavailable",
}
NEW_PASSWORD = "a different long passphrase"


def store_down() -> override_settings:
    """The store is unreachable; the throttles and the lockout go on without it ("open"), so the
    request reaches the revocation, which refuses whatever the policy says."""
    return override_settings(
        CACHES=redis_caches(UNREACHABLE_URL), APISEC_CACHE="abuse", APISEC_FAILURE_POLICY="open"
    )


def logged_in() -> tuple[APIClient, str]:
    client = APIClient()
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return client, response.json()["access"]


def assert_unavailable(response: object) -> None:
    assert response.status_code == 503  # type: ignore[attr-defined]
    assert response.json() == UNAVAILABLE  # type: ignore[attr-defined]
    assert response["Retry-After"] == "10"  # type: ignore[index]


def test_logout_with_the_store_down_is_a_503_and_can_be_retried(
    alice: object, caplog: pytest.LogCaptureFixture
) -> None:
    client, access = logged_in()
    caplog.clear()
    with store_down(), caplog.at_level(logging.ERROR, logger="django_apisec.security"):
        assert_unavailable(client.post(LOGOUT))
    assert TokenFamily.objects.get().revoked_at is None
    events = [r.event for r in caplog.records if r.name == "django_apisec.security"]  # type: ignore[attr-defined]
    assert events == ["revocation_cache_unavailable"]
    # The store is back: the same request revokes the session.
    assert client.post(LOGOUT).status_code == 204
    assert TokenFamily.objects.get().revoked_at is not None
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401


def test_logout_all_with_the_store_down_is_a_503(alice: object) -> None:
    client, access = logged_in()
    with store_down():
        assert_unavailable(client.post(LOGOUT_ALL, HTTP_AUTHORIZATION=f"Bearer {access}"))
    assert TokenFamily.objects.get().revoked_at is None
    assert client.post(LOGOUT_ALL, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 204


def test_a_password_change_with_the_store_down_is_a_503_and_changes_nothing(alice: object) -> None:
    client, access = logged_in()
    body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    with store_down():
        response = client.post(
            PASSWORD_URL, body, format="json", HTTP_AUTHORIZATION=f"Bearer {access}"
        )
    assert_unavailable(response)
    user = get_user_model().objects.get(username="alice")
    assert user.check_password(PASSWORD)
    assert TokenFamily.objects.get().revoked_at is None
    response = client.post(PASSWORD_URL, body, format="json", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
