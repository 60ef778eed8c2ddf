"""The request state: one typed object per request, shared by the Django and the DRF request."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory, override_settings
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from django_apisec.request.state import ATTRIBUTE, RequestState, django_request, state_of
from tests.conftest import LOGIN, PASSWORD


def test_the_state_is_created_once_on_first_use() -> None:
    request = RequestFactory().get("/")
    before = set(vars(request))
    state = state_of(request)
    assert state == RequestState()
    assert state_of(request) is state
    assert set(vars(request)) - before == {ATTRIBUTE}


def test_a_drf_request_and_its_django_request_share_one_state() -> None:
    plain = APIRequestFactory().get("/")
    wrapped = APIView().initialize_request(plain)
    assert django_request(wrapped) is plain
    assert django_request(plain) is plain
    state_of(wrapped).body_too_large = True
    # A second wrapper (DRF makes one per view) sees what the first one recorded.
    assert state_of(APIView().initialize_request(plain)).body_too_large
    assert state_of(plain) is state_of(wrapped)


def test_a_foreign_value_under_the_attribute_is_replaced() -> None:
    request = RequestFactory().get("/")
    setattr(request, ATTRIBUTE, {"request_id": "forged"})
    assert state_of(request) == RequestState()


@pytest.mark.django_db
@override_settings(
    REST_FRAMEWORK={
        "DEFAULT_THROTTLE_RATES": {"login_ip": "10/min", "login_account": "10/min"},
        "EXCEPTION_HANDLER": "django_apisec.http.exception_handler.exception_handler",
    }
)
def test_a_login_leaves_one_attribute_on_the_request(alice: Any) -> None:
    response = APIClient().post(LOGIN, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    request = response.wsgi_request
    ours = {name for name in vars(request) if "apisec" in name}
    assert ours == {ATTRIBUTE}
    state = state_of(request)
    assert state.request_id == response["X-Request-ID"]
    assert [decision.scope for decision in state.throttle_decisions] == [
        "login_ip",
        "login_account",
    ]
    assert state.trusted_device_token
    # The successful login gave its throttle hits back.
    assert state.login_refunds == []
    assert state.lockout_refusal is None
    assert not state.body_too_large
