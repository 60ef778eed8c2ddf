"""The API key checks report exactly their ids."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import clear_url_caches, path
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec.apikeys.authentication import ApiKeyAuthentication
from django_apisec.apikeys.views import RefuseApiKeysMixin
from django_apisec.checks import apikeys
from django_apisec.checks.views_audit.routes import _routes_of


def rest_framework(**changes: Any) -> dict[str, Any]:
    return {**settings.REST_FRAMEWORK, **changes}


def ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


def test_the_test_settings_pass() -> None:
    assert apikeys.check_api_key_throttle() == []
    assert apikeys.check_api_key_scopes() == []


def test_key_authentication_without_the_key_throttle_is_e430() -> None:
    throttles = ["django_apisec.abuse.throttling.UserRateThrottle"]
    with override_settings(REST_FRAMEWORK=rest_framework(DEFAULT_THROTTLE_CLASSES=throttles)):
        assert ids(apikeys.check_api_key_throttle()) == ["apisec.E430"]
    # No throttle at all is apisec.E103's finding; without key authentication nothing to say.
    with override_settings(REST_FRAMEWORK=rest_framework(DEFAULT_THROTTLE_CLASSES=[])):
        assert apikeys.check_api_key_throttle() == []
    jwt_only = ["django_apisec.jwt.authentication.JWTSessionAuthentication"]
    with override_settings(
        REST_FRAMEWORK=rest_framework(
            DEFAULT_AUTHENTICATION_CLASSES=jwt_only, DEFAULT_THROTTLE_CLASSES=throttles
        )
    ):
        assert apikeys.check_api_key_throttle() == []
        assert apikeys.check_api_key_https() == []


def test_keys_over_http_are_e431() -> None:
    with override_settings(APISEC_API_KEY_HTTPS_ONLY=False):
        assert ids(apikeys.check_api_key_https()) == ["apisec.E431"]
    with override_settings(APISEC_API_KEY_HTTPS_ONLY=True):
        assert apikeys.check_api_key_https() == []
    # The development profile's default accepts http; production's does not.
    with override_settings(APISEC_PROFILE="development"):
        assert ids(apikeys.check_api_key_https()) == ["apisec.E431"]
    with override_settings(APISEC_PROFILE="production"):
        assert apikeys.check_api_key_https() == []


class Unscoped(APIView):
    authentication_classes = [ApiKeyAuthentication]

    def get(self, request: Any) -> Response:
        return Response({})


class Scoped(Unscoped):
    required_scopes = {"GET": "notes:read"}


class Refusing(RefuseApiKeysMixin, Unscoped):
    pass


class SessionOnly(APIView):
    authentication_classes: list[Any] = []

    def get(self, request: Any) -> Response:
        return Response({})


urlpatterns = [
    path("unscoped/", Unscoped.as_view()),
    path("scoped/", Scoped.as_view()),
    path("refusing/", Refusing.as_view()),
    path("session/", SessionOnly.as_view()),
]


@pytest.fixture
def audit_urls() -> Any:
    clear_url_caches()
    _routes_of.cache_clear()
    with override_settings(ROOT_URLCONF=__name__):
        yield
    clear_url_caches()
    _routes_of.cache_clear()


@pytest.mark.usefixtures("audit_urls")
def test_a_key_accepting_view_without_scopes_is_w560() -> None:
    [message] = apikeys.check_api_key_scopes()
    assert message.id == "apisec.W560"
    assert message.obj is Unscoped
    assert "'unscoped/'" in message.msg
